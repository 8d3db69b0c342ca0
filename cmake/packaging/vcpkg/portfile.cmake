# vcpkg port for duplex (header-only). Copy this folder to <vcpkg>/ports/duplex
# (or an overlay port directory) and fill in REF/SHA512 for the release.
set(VCPKG_BUILD_TYPE release) # header-only: nothing differs between debug and release

vcpkg_from_github(
    OUT_SOURCE_PATH SOURCE_PATH
    REPO duplex-ws/duplex
    REF "v${VERSION}"
    SHA512 0 # replace with the archive's SHA512 for the release
    HEAD_REF main
)

vcpkg_check_features(OUT_FEATURE_OPTIONS FEATURE_OPTIONS
    FEATURES
        tls  DUPLEX_WITH_TLS
        zlib DUPLEX_WITH_ZLIB
)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        ${FEATURE_OPTIONS}
        -DDUPLEX_BUILD_TESTS=OFF
        -DDUPLEX_BUILD_EXAMPLES=OFF
        -DDUPLEX_BUILD_BENCHMARKS=OFF
        -DDUPLEX_INSTALL=ON
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(CONFIG_PATH share/cmake/duplex)

file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/doc")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
