#include <duplex/frame/utf8_validator.hpp>

#include "support/catch.hpp"

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

using duplex::frame::is_valid_utf8;
using duplex::frame::utf8_validator;

namespace {

const std::vector<std::string> valid_strings = {
    "",
    "hello",
    std::string("a\0b", 3),                         // NUL is a valid code point
    "\x7f",                                         // U+007F, the last ASCII
    "\xc2\x80",                                     // U+0080, the first 2-byte
    "\xc3\xa9",                                     // U+00E9
    "\xdf\xbf",                                     // U+07FF, the last 2-byte
    "\xe0\xa0\x80",                                 // U+0800, the first 3-byte
    "\xe0\xbf\xbf",                                 // U+0FFF
    "\xe1\x80\x80",                                 // U+1000
    "\xe2\x82\xac",                                 // U+20AC
    "\xec\xbf\xbf",                                 // U+CFFF
    "\xed\x80\x80",                                 // U+D000
    "\xed\x9f\xbf",                                 // U+D7FF, just below the surrogates
    "\xee\x80\x80",                                 // U+E000, just above them
    "\xef\xbf\xbd",                                 // U+FFFD
    "\xef\xbf\xbe",                                 // U+FFFE (a noncharacter, still valid)
    "\xef\xbf\xbf",                                 // U+FFFF
    "\xf0\x90\x80\x80",                             // U+10000, the first 4-byte
    "\xf0\x9f\x98\x80",                             // U+1F600
    "\xf0\xbf\xbf\xbf",                             // U+3FFFF
    "\xf1\x80\x80\x80",                             // U+40000
    "\xf3\xbf\xbf\xbf",                             // U+FFFFF
    "\xf4\x80\x80\x80",                             // U+100000
    "\xf4\x8f\xbf\xbf",                             // U+10FFFF, the last code point
    "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5", // "kosme" in Greek (Autobahn 6.2)
    "Hello-\xc2\xb5@\xc3\x9f\xc3\xb6\xc3\xa4\xc3\xbc\xc3\xa0\xc3\xa1-UTF-8!!",
    "0123456789abcdef\xf0\x9f\x98\x80" // a 4-byte sequence right after a 16-byte ASCII block
    "0123456789abcde\xe2\x82\xac",
};

struct invalid_case {
    std::string text;
    std::size_t fail_at; // index of the first byte that cannot be part of valid UTF-8
};

const std::vector<invalid_case> invalid_strings = {
    {"\x80", 0}, // lone continuation bytes
    {"\xbf", 0},
    {"a\x80", 1},
    {"\xc3\xa9\xa9", 2},             // one continuation too many
    {"\xc0\x80", 0},                 // overlong NUL: C0 and C1 never start a sequence
    {"\xc1\xbf", 0},                 // overlong U+007F
    {"\xe0\x80\x80", 1},             // overlong 3-byte
    {"\xe0\x9f\xbf", 1},             // overlong U+07FF
    {"\xf0\x80\x80\x80", 1},         // overlong 4-byte
    {"\xf0\x8f\xbf\xbf", 1},         // overlong U+FFFF
    {"\xed\xa0\x80", 1},             // surrogate U+D800
    {"\xed\xad\xbf", 1},             // U+DB7F
    {"\xed\xb0\x80", 1},             // U+DC00
    {"\xed\xbf\xbf", 1},             // U+DFFF
    {"\xed\xa0\x80\xed\xb0\x80", 1}, // a surrogate pair (CESU-8)
    {"\xf4\x90\x80\x80", 1},         // U+110000
    {"\xf4\xbf\xbf\xbf", 1},         // U+13FFFF
    {"\xf5\x80\x80\x80", 0},         // leads F5-FF are never valid
    {"\xf7\xbf\xbf\xbf", 0},
    {"\xf8\x88\x80\x80\x80", 0},     // 5-byte form
    {"\xfc\x84\x80\x80\x80\x80", 0}, // 6-byte form
    {"\xfe", 0},
    {"\xff", 0},
    {"\xc3\x28", 1}, // a lead followed by ASCII
    {"\xe2\x28\xa1", 1},
    {"\xe2\x82\x28", 2},
    {"\xe2\x82"
     "a",
     2},
    {"\xf0\x28\x8c\xbc", 1},
    {"\xf0\x90\x28\xbc", 2},
    {"\xf0\x90\x8c\x28", 3},
    {"\xf0\x9f\x98\xf0\x9f\x98\x80", 3}, // truncated sequence followed by a new lead
    // Autobahn 6.4.1 and 6.4.2: valid text, then a surrogate / a code point above U+10FFFF.
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64\x69\x74\x65\x64", 12},
    {"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90\x80\x80\x65\x64\x69\x74\x65\x64", 12},
    {"0123456789abcdef0123456789abcdef\xff"
     "0123456789abcdef",
     32},
};

// Valid so far, but cut off in the middle of a sequence.
const std::vector<std::string> truncated_strings = {
    "\xc3",
    "\xe2",
    "\xe2\x82",
    "\xe0\xa0",
    "\xed\x9f",
    "\xf0",
    "\xf0\x9f",
    "\xf0\x9f\x98",
    "\xf4\x8f\xbf",
    "ok\xf4\x8f\xbf",
    std::string(40, 'a') + "\xe2\x82",
};

// An independent, straightforward decoder (RFC 3629 section 3) to compare against.
bool reference_valid(const std::string& s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::uint32_t cp = 0;
        std::size_t length = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            length = 2;
            cp = c & 0x1Fu;
        } else if ((c & 0xF0) == 0xE0) {
            length = 3;
            cp = c & 0x0Fu;
        } else if ((c & 0xF8) == 0xF0) {
            length = 4;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + length > s.size()) return false;
        for (std::size_t k = 1; k < length; ++k) {
            const auto t = static_cast<unsigned char>(s[i + k]);
            if ((t & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (t & 0x3Fu);
        }
        const std::uint32_t minimum = length == 2 ? 0x80 : (length == 3 ? 0x800 : 0x10000);
        if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
        i += length;
    }
    return true;
}

} // namespace

TEST_CASE("valid UTF-8 is accepted", "[frame][utf8]") {
    for (const auto& s : valid_strings) {
        INFO("valid string of " << s.size() << " bytes");
        CHECK(reference_valid(s));
        CHECK(is_valid_utf8(s));
        utf8_validator v;
        CHECK(v.feed(s));
        CHECK(v.complete());
        CHECK_FALSE(v.failed());
    }
}

TEST_CASE("invalid UTF-8 is rejected", "[frame][utf8]") {
    for (const auto& c : invalid_strings) {
        INFO("invalid string of " << c.text.size() << " bytes, bad at " << c.fail_at);
        CHECK_FALSE(reference_valid(c.text));
        CHECK_FALSE(is_valid_utf8(c.text));
        utf8_validator v;
        CHECK_FALSE(v.feed(c.text));
        CHECK(v.failed());
        CHECK_FALSE(v.complete());
    }
}

TEST_CASE("a truncated sequence is not an error until the message ends", "[frame][utf8]") {
    for (const auto& s : truncated_strings) {
        INFO("truncated string of " << s.size() << " bytes");
        utf8_validator v;
        CHECK(v.feed(s));          // nothing wrong yet...
        CHECK_FALSE(v.complete()); // ...but the last sequence is cut off
        CHECK_FALSE(v.failed());
        CHECK_FALSE(is_valid_utf8(s));
        for (std::size_t split = 0; split <= s.size(); ++split) {
            utf8_validator w;
            CHECK(w.feed(s.substr(0, split)));
            CHECK(w.feed(s.substr(split)));
            CHECK_FALSE(w.complete());
        }
    }
}

TEST_CASE("a sequence completed by a later piece is valid", "[frame][utf8]") {
    utf8_validator v;
    CHECK(v.feed("\xf0"));
    CHECK_FALSE(v.complete());
    CHECK(v.feed("\x9f\x98"));
    CHECK_FALSE(v.complete());
    CHECK(v.feed("\x80"));
    CHECK(v.complete());
    CHECK(v.feed(""));
    CHECK(v.complete());
}

TEST_CASE("the verdict is the same in any two pieces", "[frame][utf8]") {
    for (const auto& s : valid_strings) {
        for (std::size_t split = 0; split <= s.size(); ++split) {
            INFO("valid string of " << s.size() << " bytes split at " << split);
            utf8_validator v;
            CHECK(v.feed(s.substr(0, split)));
            CHECK(v.feed(s.substr(split)));
            CHECK(v.complete());
        }
    }
    for (const auto& c : invalid_strings) {
        for (std::size_t split = 0; split <= c.text.size(); ++split) {
            INFO("invalid string of " << c.text.size() << " bytes split at " << split);
            utf8_validator v;
            const bool first = v.feed(c.text.substr(0, split));
            // Fail fast: the first piece fails exactly when it holds the bad byte.
            CHECK(first == (split <= c.fail_at));
            if (first) CHECK_FALSE(v.feed(c.text.substr(split)));
            CHECK(v.failed());
            CHECK_FALSE(v.complete());
        }
    }
}

TEST_CASE("the verdict is the same byte by byte, and fails at the first bad byte", "[frame][utf8]") {
    for (const auto& s : valid_strings) {
        INFO("valid string of " << s.size() << " bytes");
        utf8_validator v;
        for (std::size_t i = 0; i < s.size(); ++i)
            REQUIRE(v.feed(reinterpret_cast<const std::uint8_t*>(s.data()) + i, 1));
        CHECK(v.complete());
    }
    for (const auto& c : invalid_strings) {
        INFO("invalid string of " << c.text.size() << " bytes, bad at " << c.fail_at);
        utf8_validator v;
        for (std::size_t i = 0; i < c.text.size(); ++i) {
            INFO("byte " << i);
            CHECK(v.feed(reinterpret_cast<const std::uint8_t*>(c.text.data()) + i, 1) == (i < c.fail_at));
        }
        CHECK(v.failed());
    }
}

TEST_CASE("the validator fails fast, before the rest of the message arrives", "[frame][utf8]") {
    // Autobahn 6.4.1: the first fragment already holds a surrogate.
    utf8_validator v;
    CHECK_FALSE(v.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80"));
    CHECK(v.failed());
    // Autobahn 6.4.2: U+110000 is out of range as soon as F4 90 is seen.
    utf8_validator w;
    CHECK_FALSE(w.feed("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xf4\x90"));
    // A bad lead byte fails with nothing after it.
    for (const char* lead : {"\x80", "\xc0", "\xc1", "\xf5", "\xf8", "\xff"}) {
        utf8_validator x;
        CHECK_FALSE(x.feed(lead));
    }
}

TEST_CASE("a failed validator stays failed until reset", "[frame][utf8]") {
    utf8_validator v;
    REQUIRE_FALSE(v.feed("\xed\xa0\x80"));
    CHECK_FALSE(v.feed("plain ASCII"));
    CHECK_FALSE(v.feed(std::string(100, 'a'))); // long enough for the fast path
    CHECK_FALSE(v.feed(""));                    // even an empty piece
    CHECK(v.failed());
    CHECK_FALSE(v.complete());
    v.reset();
    CHECK_FALSE(v.failed());
    CHECK(v.complete());
    CHECK(v.feed("\xc3\xa9"));
    CHECK(v.complete());
}

TEST_CASE("reset discards a pending sequence", "[frame][utf8]") {
    utf8_validator v;
    REQUIRE(v.feed("\xe2\x82"));
    REQUIRE_FALSE(v.complete());
    v.reset();
    CHECK(v.complete());
    CHECK_FALSE(v.feed("\xac")); // the continuation has nothing to continue now
}

TEST_CASE("agrees with a reference decoder on every 1- and 2-byte string", "[frame][utf8]") {
    std::size_t mismatches = 0;
    for (int a = 0; a < 256; ++a) {
        const std::string one(1, static_cast<char>(a));
        if (is_valid_utf8(one) != reference_valid(one)) ++mismatches;
        for (int b = 0; b < 256; ++b) {
            const std::string two{static_cast<char>(a), static_cast<char>(b)};
            if (is_valid_utf8(two) != reference_valid(two)) {
                ++mismatches;
                UNSCOPED_INFO("mismatch on " << a << " " << b);
            }
        }
    }
    CHECK(mismatches == 0);
}

TEST_CASE("agrees with a reference decoder on 3- and 4-byte strings around every boundary", "[frame][utf8]") {
    // Every lead byte, followed by bytes from each range the grammar distinguishes.
    const int interesting[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xE0, 0xF0, 0xFF};
    std::size_t mismatches = 0, valid_count = 0;
    for (int a = 0; a < 256; ++a) {
        for (int b : interesting) {
            for (int c : interesting) {
                const std::string three{static_cast<char>(a), static_cast<char>(b), static_cast<char>(c)};
                if (is_valid_utf8(three) != reference_valid(three)) ++mismatches;
                for (int d : interesting) {
                    const std::string four = three + static_cast<char>(d);
                    const bool expected = reference_valid(four);
                    valid_count += expected ? 1 : 0;
                    utf8_validator v;
                    const bool fed = v.feed(four.substr(0, 2)) && v.feed(four.substr(2));
                    if ((fed && v.complete()) != expected || is_valid_utf8(four) != expected) {
                        ++mismatches;
                        UNSCOPED_INFO("mismatch on " << a << " " << b << " " << c << " " << d);
                    }
                }
            }
        }
    }
    CHECK(mismatches == 0);
    CHECK(valid_count > 1000); // the sample is not all invalid
}

TEST_CASE("ASCII fast path: an invalid byte at every position of a long string", "[frame][utf8]") {
    for (std::size_t length : {17u, 64u, 80u, 200u}) {
        for (std::size_t position = 0; position < 64 && position < length; ++position) {
            for (char bad : {'\x80', '\xbf', '\xc0', '\xff'}) {
                INFO("length " << length << " bad byte " << int(static_cast<unsigned char>(bad)) << " at " << position);
                std::string s(length, 'a');
                s[position] = bad;
                CHECK_FALSE(is_valid_utf8(s));
                utf8_validator v;
                CHECK_FALSE(v.feed(s));
            }
            std::string s(length, 'a');
            s[position] = '\x7f';
            CHECK(is_valid_utf8(s));
        }
        // A lead byte at the very end: valid so far, incomplete.
        std::string s(length, 'a');
        s.back() = '\xe2';
        utf8_validator v;
        CHECK(v.feed(s));
        CHECK_FALSE(v.complete());
    }
}

TEST_CASE("ASCII fast path: a multi-byte sequence at every position of a long string", "[frame][utf8]") {
    for (const std::string sequence : {"\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80"}) {
        for (std::size_t position = 0; position <= 150; ++position) {
            std::string s = std::string(position, 'x') + sequence + std::string(150 - position, 'y');
            INFO("sequence of " << sequence.size() << " bytes at " << position);
            CHECK(is_valid_utf8(s));
            // A continuation byte replaced by ASCII.
            std::string broken = s;
            broken[position + 1] = 'z';
            CHECK_FALSE(is_valid_utf8(broken));
        }
    }
    // A long valid mixed string in two pieces, split at every offset.
    std::string mixed;
    for (int i = 0; i < 20; ++i)
        mixed += (i % 3 == 0) ? "\xe4\xb8\xad" : (i % 3 == 1 ? "abcdefghijklmnopq" : "\xf0\x9f\x98\x80");
    for (std::size_t split = 0; split <= mixed.size(); ++split) {
        utf8_validator v;
        INFO("split at " << split);
        CHECK(v.feed(mixed.substr(0, split)));
        CHECK(v.feed(mixed.substr(split)));
        CHECK(v.complete());
    }
}

TEST_CASE("long mixed text is valid, and one bad byte at the end makes it invalid", "[frame][utf8]") {
    std::string mixed;
    for (int i = 0; i < 1000; ++i)
        mixed += (i % 3 == 0) ? "\xe4\xb8\xad" : (i % 3 == 1 ? "abcdefghij" : "\xf0\x9f\x98\x80");
    CHECK(is_valid_utf8(mixed));
    CHECK(is_valid_utf8(std::string(100000, 'a')));
    mixed.back() = 'a'; // the last 4-byte sequence now ends in ASCII: F0 9F 98 61
    CHECK_FALSE(is_valid_utf8(mixed));
}
