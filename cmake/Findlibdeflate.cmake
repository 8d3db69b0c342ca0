# Findlibdeflate: libdeflate, whole-buffer DEFLATE (e.g. Debian's libdeflate-dev).
#
# Result: libdeflate_FOUND and the imported target libdeflate::libdeflate. A
# libdeflate CMake package (libdeflate >= 1.15 installs one) is used first.
find_package(libdeflate CONFIG QUIET)
if(TARGET libdeflate::libdeflate_shared OR TARGET libdeflate::libdeflate_static)
    if(NOT TARGET libdeflate::libdeflate)
        add_library(libdeflate::libdeflate INTERFACE IMPORTED)
        if(TARGET libdeflate::libdeflate_shared)
            target_link_libraries(libdeflate::libdeflate INTERFACE libdeflate::libdeflate_shared)
        else()
            target_link_libraries(libdeflate::libdeflate INTERFACE libdeflate::libdeflate_static)
        endif()
    endif()
    set(libdeflate_FOUND TRUE)
    return()
endif()
find_path(libdeflate_INCLUDE_DIR NAMES libdeflate.h)
find_library(libdeflate_LIBRARY NAMES deflate libdeflate)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(libdeflate REQUIRED_VARS libdeflate_LIBRARY libdeflate_INCLUDE_DIR)
if(libdeflate_FOUND AND NOT TARGET libdeflate::libdeflate)
    add_library(libdeflate::libdeflate UNKNOWN IMPORTED)
    set_target_properties(libdeflate::libdeflate PROPERTIES IMPORTED_LOCATION "${libdeflate_LIBRARY}"
                                                            INTERFACE_INCLUDE_DIRECTORIES "${libdeflate_INCLUDE_DIR}")
endif()
mark_as_advanced(libdeflate_INCLUDE_DIR libdeflate_LIBRARY)
