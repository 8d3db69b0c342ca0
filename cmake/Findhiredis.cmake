# Findhiredis: the hiredis C client (its RESP reader), e.g. Debian's libhiredis-dev.
#
# Result: hiredis_FOUND, hiredis_INCLUDE_DIR, hiredis_LIBRARY and the imported
# target hiredis::hiredis. A hiredis CMake package, when installed, is used first.
find_package(hiredis CONFIG QUIET)
if(TARGET hiredis::hiredis)
    set(hiredis_FOUND TRUE)
    return()
endif()
find_path(hiredis_INCLUDE_DIR NAMES hiredis/hiredis.h)
find_library(hiredis_LIBRARY NAMES hiredis)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(hiredis REQUIRED_VARS hiredis_LIBRARY hiredis_INCLUDE_DIR)
if(hiredis_FOUND AND NOT TARGET hiredis::hiredis)
    add_library(hiredis::hiredis UNKNOWN IMPORTED)
    set_target_properties(hiredis::hiredis PROPERTIES IMPORTED_LOCATION "${hiredis_LIBRARY}"
                                                      INTERFACE_INCLUDE_DIRECTORIES "${hiredis_INCLUDE_DIR}")
endif()
mark_as_advanced(hiredis_INCLUDE_DIR hiredis_LIBRARY)
