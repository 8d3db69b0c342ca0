# Locating duplex's dependencies; shared by the build and the installed package config.

# Standalone Asio as the imported target duplex::asio: the system's headers
# first (Debian's libasio-dev), else, in a build (not in an installed package's
# config), a pinned release through FetchContent. In the installed config a
# missing Asio leaves duplex::asio undefined and the config reports it.
#
# DUPLEX_ASIO=boost instead: Boost.Asio (Boost >= 1.74, headers only) with
# DUPLEX_USE_BOOST_ASIO=1, so duplex runs on boost::asio and
# boost::system::error_code.
macro(duplex_find_asio)
    if(NOT TARGET duplex::asio AND DUPLEX_ASIO STREQUAL "boost")
        if(DUPLEX_PACKAGE_CONFIG)
            find_package(Boost 1.74 QUIET)
        else()
            find_package(Boost 1.74 REQUIRED)
        endif()
        if(Boost_FOUND)
            find_package(Threads REQUIRED)
            add_library(duplex::asio INTERFACE IMPORTED)
            target_link_libraries(duplex::asio INTERFACE Boost::headers Threads::Threads)
            target_compile_definitions(duplex::asio INTERFACE DUPLEX_USE_BOOST_ASIO=1)
        endif()
    elseif(NOT TARGET duplex::asio)
        find_package(Asio 1.18 QUIET)
        if(Asio_FOUND)
            add_library(duplex::asio INTERFACE IMPORTED)
            target_link_libraries(duplex::asio INTERFACE Asio::Asio)
        elseif(NOT DUPLEX_PACKAGE_CONFIG)
            message(STATUS "duplex: standalone Asio >= 1.18 not found; fetching asio-1-22-1")
            include(FetchContent)
            FetchContent_Declare(asio GIT_REPOSITORY https://github.com/chriskohlhoff/asio.git GIT_TAG asio-1-22-1
                                      GIT_SHALLOW TRUE)
            # Asio's repository has no top-level CMakeLists.txt: this only downloads it.
            FetchContent_MakeAvailable(asio)
            if(NOT EXISTS "${asio_SOURCE_DIR}/asio/include/asio.hpp")
                message(FATAL_ERROR "duplex: no asio.hpp under ${asio_SOURCE_DIR}/asio/include; "
                                    "install standalone Asio (Debian: libasio-dev) or set Asio_INCLUDE_DIR")
            endif()
            find_package(Threads REQUIRED)
            add_library(duplex::asio INTERFACE IMPORTED)
            target_include_directories(duplex::asio INTERFACE "${asio_SOURCE_DIR}/asio/include")
            target_compile_definitions(duplex::asio INTERFACE ASIO_STANDALONE)
            target_link_libraries(duplex::asio INTERFACE Threads::Threads)
        endif()
    endif()
endmacro()

# duplex_optional_dependency(NAME Package "targets"): honours DUPLEX_WITH_<NAME>
# (AUTO: use when found, ON or another true value: required, OFF or another
# false value: never) and sets DUPLEX_<NAME>_ENABLED.
macro(duplex_optional_dependency name package targets)
    set(DUPLEX_${name}_ENABLED OFF)
    string(TOUPPER "${DUPLEX_WITH_${name}}" _duplex_mode)
    set(_duplex_found FALSE)
    if(_duplex_mode STREQUAL "AUTO")
        find_package(${package} QUIET)
        set(_duplex_found ${${package}_FOUND})
    elseif(DUPLEX_WITH_${name})
        find_package(${package} REQUIRED)
        set(_duplex_found ${${package}_FOUND})
    endif() # else OFF: not even looked for
    if(_duplex_found)
        set(DUPLEX_${name}_ENABLED ON)
        foreach(_duplex_target ${targets})
            if(NOT TARGET ${_duplex_target})
                message(FATAL_ERROR "duplex: ${package} was found but defines no target ${_duplex_target}")
            endif()
        endforeach()
    endif()
    message(STATUS "duplex: ${name} ${DUPLEX_${name}_ENABLED} (DUPLEX_WITH_${name}=${DUPLEX_WITH_${name}})")
    unset(_duplex_mode)
    unset(_duplex_found)
endmacro()
