#include <duplex/frame/utf8_validator.hpp>

#include "support/catch.hpp"

#include <string>
#include <vector>

using duplex::frame::is_valid_utf8;
using duplex::frame::utf8_validator;

namespace {
const std::vector<std::string> valid = {
    "",
    "hello",
    "\xc3\xa9",                                     // U+00E9
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", // "κόσμε"
    "\xe2\x82\xac",                                 // U+20AC
    "\xef\xbf\xbf",                                 // U+FFFF (a noncharacter, still valid)
    "\xef\xbf\xbe",                                 // U+FFFE
    "\xf0\x9f\x98\x80",                             // U+1F600
    "\xf4\x8f\xbf\xbf",                             // U+10FFFF
    "\xc2\x80",                                     // U+0080
    "\xdf\xbf",                                     // U+07FF
    "\xe0\xa0\x80",                                 // U+0800
    "\xed\x9f\xbf",                                 // U+D7FF
    "\xee\x80\x80",                                 // U+E000
    "\xf0\x90\x80\x80",                             // U+10000
    std::string("a\0b", 3),
};
const std::vector<std::string> invalid = {
    "\x80",             // lone continuation
    "\xbf",             //
    "\xc0\x80",         // overlong NUL
    "\xc1\xbf",         // overlong
    "\xe0\x80\x80",     // overlong 3-byte
    "\xe0\x9f\xbf",     // overlong 3-byte
    "\xf0\x80\x80\x80", // overlong 4-byte
    "\xf0\x8f\xbf\xbf", // overlong 4-byte
    "\xed\xa0\x80",     // surrogate U+D800
    "\xed\xbf\xbf",     // surrogate U+DFFF
    "\xf4\x90\x80\x80", // U+110000
    "\xf5\x80\x80\x80", // out of range lead
    "\xf8\x88\x80\x80\x80",
    "\xfc\x84\x80\x80\x80\x80", // 5/6-byte forms
    "\xfe",
    "\xff",
    "\xc3\x28", // bad continuation
    "\xe2\x28\xa1",
    "\xf0\x28\x8c\xbc",
    "a\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64",
};
const std::vector<std::string> truncated = {"\xc3", "\xe2\x82", "\xf0\x9f\x98", "\xe0\xa0", "ok\xf4\x8f\xbf"};
} // namespace

TEST_CASE("valid and invalid UTF-8, whole, split in two anywhere, and byte by byte", "[frame][utf8]") {
    const auto verdict_in_pieces = [](const std::string& s, std::size_t split) {
        utf8_validator v;
        const bool ok = v.feed(s.substr(0, split)) && v.feed(s.substr(split));
        return ok && v.complete();
    };
    for (const auto& s : valid) {
        INFO("valid: " << s.size() << " bytes");
        CHECK(is_valid_utf8(s));
        for (std::size_t split = 0; split <= s.size(); ++split)
            CHECK(verdict_in_pieces(s, split));
    }
    for (const auto& s : invalid) {
        INFO("invalid: " << s.size() << " bytes");
        CHECK_FALSE(is_valid_utf8(s));
        for (std::size_t split = 0; split <= s.size(); ++split)
            CHECK_FALSE(verdict_in_pieces(s, split));
        utf8_validator v;
        bool ok = true;
        for (char c : s)
            ok = v.feed(std::string(1, c)) && ok;
        CHECK_FALSE(ok);
        CHECK(v.failed());
    }
    for (const auto& s : truncated) {
        utf8_validator v;
        CHECK(v.feed(s));          // nothing wrong yet...
        CHECK_FALSE(v.complete()); // ...but the sequence is cut off
        CHECK_FALSE(is_valid_utf8(s));
    }
}

TEST_CASE("the validator fails fast, at the first bad byte", "[frame][utf8]") {
    utf8_validator v;
    // Autobahn 6.4.1: the first part already contains a surrogate; the rest never matters.
    CHECK_FALSE(v.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"));
    CHECK(v.failed());
    CHECK_FALSE(v.feed("\x65\x64\x69\x74\x65\x64")); // stays failed
    // An invalid lead byte fails at once even with nothing after it.
    utf8_validator w;
    CHECK_FALSE(w.feed("\xf5"));
}

TEST_CASE("ASCII fast path: an invalid byte at every position of a long string", "[frame][utf8]") {
    for (std::size_t position = 0; position < 64; ++position) {
        std::string s(80, 'a');
        s[position] = '\xff';
        CHECK_FALSE(is_valid_utf8(s));
        s[position] = '\x7f';
        CHECK(is_valid_utf8(s));
    }
    std::string mixed;
    for (int i = 0; i < 1000; ++i)
        mixed += (i % 3 == 0) ? "\xe4\xb8\xad" : (i % 3 == 1 ? "abcdefghij" : "\xf0\x9f\x98\x80");
    CHECK(is_valid_utf8(mixed));
    mixed.back() = 'a';
    CHECK_FALSE(is_valid_utf8(mixed)); // the last 4-byte sequence now ends in ASCII: F0 9F 98 61
}
