# The API reference: `cmake --build <dir> --target docs` runs Doxygen on the
# public headers (docs/Doxyfile.in) and writes <dir>/docs/html/index.html.
# Not part of ALL; without Doxygen there is no docs target.
#   -DDUPLEX_DOCS_WERROR=ON  any Doxygen warning fails the target (CI)

option(DUPLEX_DOCS_WERROR "Make Doxygen warnings fail the docs target" OFF)

find_package(Doxygen QUIET)
if(NOT DOXYGEN_FOUND)
    message(STATUS "duplex: Doxygen not found, so no docs target (Debian: apt-get install doxygen)")
    return()
endif()

get_filename_component(DUPLEX_DOCS_SOURCE_DIR "${CMAKE_CURRENT_LIST_DIR}/.." ABSOLUTE)
set(DUPLEX_DOCS_OUTPUT "${CMAKE_CURRENT_BINARY_DIR}/docs")
set(DUPLEX_DOCS_WARN_AS_ERROR NO)
if(DUPLEX_DOCS_WERROR)
    # FAIL_ON_WARNINGS (Doxygen 1.9.0+) reports every warning, then fails; YES stops at the first.
    if(DOXYGEN_VERSION VERSION_LESS 1.9.0)
        set(DUPLEX_DOCS_WARN_AS_ERROR YES)
    else()
        set(DUPLEX_DOCS_WARN_AS_ERROR FAIL_ON_WARNINGS)
    endif()
endif()
configure_file("${DUPLEX_DOCS_SOURCE_DIR}/docs/Doxyfile.in" "${DUPLEX_DOCS_OUTPUT}/Doxyfile" @ONLY)

# Runs every time it is asked for (Doxygen takes seconds), so a failed run is
# never mistaken for an up-to-date one. A fresh html/ drops pages of removed headers.
add_custom_target(
    docs
    COMMAND "${CMAKE_COMMAND}" -E remove_directory "${DUPLEX_DOCS_OUTPUT}/html"
    COMMAND Doxygen::doxygen "${DUPLEX_DOCS_OUTPUT}/Doxyfile"
    WORKING_DIRECTORY "${DUPLEX_DOCS_OUTPUT}"
    COMMENT "Doxygen: API reference in ${DUPLEX_DOCS_OUTPUT}/html"
    VERBATIM)
