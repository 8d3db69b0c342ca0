import os

from conan import ConanFile
from conan.tools.build import check_min_cppstd
from conan.tools.files import copy
from conan.tools.layout import basic_layout

required_conan_version = ">=2.0"


class DuplexConan(ConanFile):
    name = "duplex"
    description = "Header-only C++17 WebSocket library (RFC 6455, RFC 7692) for servers and clients on standalone Asio"
    license = "MIT"
    url = "https://github.com/conan-io/conan-center-index"
    homepage = "https://github.com/duplex-ws/duplex"
    topics = ("websocket", "asio", "rfc6455", "permessage-deflate", "header-only")
    package_type = "header-library"
    settings = "os", "arch", "compiler", "build_type"
    options = {
        "with_openssl": [True, False],
        "with_zlib": [True, False],
    }
    default_options = {
        "with_openssl": True,
        "with_zlib": True,
    }
    no_copy_source = True
    exports_sources = "include/*", "LICENSE"

    def layout(self):
        basic_layout(self, src_folder=".")

    def requirements(self):
        self.requires("asio/1.22.1", transitive_headers=True)
        if self.options.with_openssl:
            self.requires("openssl/[>=3 <4]", transitive_headers=True)
        if self.options.with_zlib:
            self.requires("zlib/[>=1.2.11 <2]", transitive_headers=True)

    def package_id(self):
        self.info.clear()

    def validate(self):
        if self.settings.compiler.get_safe("cppstd"):
            check_min_cppstd(self, 17)

    def package(self):
        copy(self, "LICENSE", self.source_folder, os.path.join(self.package_folder, "licenses"))
        copy(self, "*.hpp", os.path.join(self.source_folder, "include"), os.path.join(self.package_folder, "include"))

    def package_info(self):
        self.cpp_info.set_property("cmake_file_name", "duplex")
        self.cpp_info.bindirs = []
        self.cpp_info.libdirs = []

        core = self.cpp_info.components["core"]
        core.set_property("cmake_target_name", "duplex::duplex")
        core.requires = ["asio::asio"]
        if self.settings.os in ["Linux", "FreeBSD"]:
            core.system_libs = ["pthread"]

        if self.options.with_openssl:
            tls = self.cpp_info.components["tls"]
            tls.set_property("cmake_target_name", "duplex::tls")
            tls.defines = ["DUPLEX_HAS_TLS=1"]
            tls.requires = ["core", "openssl::ssl", "openssl::crypto"]
        if self.options.with_zlib:
            deflate = self.cpp_info.components["deflate"]
            deflate.set_property("cmake_target_name", "duplex::deflate")
            deflate.defines = ["DUPLEX_HAS_ZLIB=1"]
            deflate.requires = ["core", "zlib::zlib"]
