#include <duplex/handshake/token_list.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

using namespace duplex::handshake;

namespace {

std::vector<std::string> elements(std::string_view list) {
    std::vector<std::string> out;
    for_each_list_element(list, [&](std::string_view e) { out.emplace_back(e); });
    return out;
}

using strings = std::vector<std::string>;

} // namespace

TEST_CASE("token characters are exactly RFC 7230 tchar", "[handshake][tokens]") {
    const char* specials = "!#$%&'*+-.^_`|~";
    for (int c = 0; c < 256; ++c) {
        const auto ch = static_cast<char>(c);
        const bool expected = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                              (c != 0 && std::strchr(specials, c) != nullptr);
        INFO("character " << c);
        CHECK(is_token_char(ch) == expected);
    }
}

TEST_CASE("tokens are non-empty runs of tchar", "[handshake][tokens]") {
    CHECK(is_token("a"));
    CHECK(is_token("permessage-deflate"));
    CHECK(is_token("client_max_window_bits"));
    CHECK(is_token("v10.stomp"));
    CHECK_FALSE(is_token(""));
    CHECK_FALSE(is_token("a b"));
    CHECK_FALSE(is_token("a,b"));
    CHECK_FALSE(is_token("a;b"));
    CHECK_FALSE(is_token("a=b"));
    CHECK_FALSE(is_token("\"a\""));
    CHECK_FALSE(is_token("a/b"));
    CHECK_FALSE(is_token("caf\xc3\xa9"));
    CHECK_FALSE(is_token("a\tb"));
}

TEST_CASE("case-insensitive comparison is ASCII only", "[handshake][tokens]") {
    CHECK(iequals("WebSocket", "websocket"));
    CHECK(iequals("UPGRADE", "upgrade"));
    CHECK(iequals("", ""));
    CHECK_FALSE(iequals("websocket", "websockets"));
    CHECK_FALSE(iequals("websocket", "websocket "));
    CHECK_FALSE(iequals("[", "{")); // 0x5B and 0x7B differ by 0x20 but are not letters
    CHECK_FALSE(iequals("@", "`"));
    CHECK(ascii_lower('A') == 'a');
    CHECK(ascii_lower('Z') == 'z');
    CHECK(ascii_lower('a') == 'a');
    CHECK(ascii_lower('[') == '[');
}

TEST_CASE("trimming optional whitespace", "[handshake][tokens]") {
    CHECK(trim_ows(" \t a b \t") == "a b");
    CHECK(trim_ows("a") == "a");
    CHECK(trim_ows("") == "");
    CHECK(trim_ows(" \t ") == "");
    CHECK(trim_ows("\r a") == "\r a"); // only SP and HTAB are OWS
    CHECK(is_ows(' '));
    CHECK(is_ows('\t'));
    CHECK_FALSE(is_ows('\r'));
    CHECK_FALSE(is_ows('\n'));
}

TEST_CASE("comma-separated lists", "[handshake][tokens]") {
    SECTION("optional whitespace and empty elements") {
        CHECK(elements(" a ,b,, \t c\t,") == strings{"a", "b", "c"});
        CHECK(elements("a") == strings{"a"});
        CHECK(elements("").empty());
        CHECK(elements(" , ,,\t").empty());
        CHECK(elements("keep-alive, Upgrade") == strings{"keep-alive", "Upgrade"});
    }
    SECTION("commas inside quoted strings do not split") {
        CHECK(elements("\"x,y\" , z") == strings{"\"x,y\"", "z"});
        CHECK(elements("a; p=\"1,2\", b") == strings{"a; p=\"1,2\"", "b"});
        CHECK(elements("\"a\\\"b,c\", d") == strings{"\"a\\\"b,c\"", "d"}); // an escaped quote stays quoted
    }
    SECTION("unterminated quotes keep the rest as one element") {
        CHECK(elements("a, \"b, c") == strings{"a", "\"b, c"});
        CHECK(elements("a, \"b\\") == strings{"a", "\"b\\"});
    }
}

TEST_CASE("list_contains_token", "[handshake][tokens]") {
    CHECK(list_contains_token("keep-alive, Upgrade", "upgrade"));
    CHECK(list_contains_token("Upgrade", "upgrade"));
    CHECK(list_contains_token("\tupgrade\t", "upgrade"));
    CHECK(list_contains_token("a,,upgrade,", "UPGRADE"));
    CHECK_FALSE(list_contains_token("keep-alive, upgrader", "upgrade"));
    CHECK_FALSE(list_contains_token("keep-alive upgrade", "upgrade"));
    CHECK_FALSE(list_contains_token("\"upgrade\"", "upgrade"));
    CHECK_FALSE(list_contains_token("", "upgrade"));
}

TEST_CASE("parse_token_list", "[handshake][tokens]") {
    SECTION("lists of tokens") {
        const auto tokens = parse_token_list("chat, superchat");
        REQUIRE(tokens);
        CHECK(*tokens == strings{"chat", "superchat"});
        CHECK(*parse_token_list(" , chat ,, v2.chat\t") == strings{"chat", "v2.chat"});
        CHECK(parse_token_list("")->empty());
    }
    SECTION("any element that is not a token fails the whole list") {
        for (const char* bad : {"chat, super chat", "ch@t", "\"chat\"", "chat;v=1", "chat/1", "chat, caf\xc3\xa9",
                                "chat, \"x\\", "chat, \"open"}) {
            INFO(bad);
            CHECK_FALSE(parse_token_list(bad));
        }
    }
}

TEST_CASE("extension offers", "[handshake][extensions]") {
    SECTION("a browser's permessage-deflate offer") {
        const auto offers = parse_extensions("permessage-deflate; client_max_window_bits");
        REQUIRE(offers);
        REQUIRE(offers->size() == 1);
        CHECK((*offers)[0].name == "permessage-deflate");
        REQUIRE((*offers)[0].params.size() == 1);
        CHECK((*offers)[0].params[0].name == "client_max_window_bits");
        CHECK_FALSE((*offers)[0].params[0].has_value);
        CHECK((*offers)[0].params[0].value.empty());
    }
    SECTION("several offers with values and quoted values") {
        const auto offers =
            parse_extensions("permessage-deflate;server_max_window_bits=10; client_no_context_takeover ,"
                             " permessage-deflate; server_max_window_bits=\"12\", x-other");
        REQUIRE(offers);
        REQUIRE(offers->size() == 3);
        CHECK((*offers)[0].name == "permessage-deflate");
        REQUIRE((*offers)[0].params.size() == 2);
        CHECK((*offers)[0].params[0].name == "server_max_window_bits");
        CHECK((*offers)[0].params[0].has_value);
        CHECK((*offers)[0].params[0].value == "10");
        CHECK((*offers)[0].params[1].name == "client_no_context_takeover");
        CHECK_FALSE((*offers)[0].params[1].has_value);
        REQUIRE((*offers)[1].find("server_max_window_bits") != nullptr);
        CHECK((*offers)[1].find("server_max_window_bits")->value == "12");
        CHECK((*offers)[2].name == "x-other");
        CHECK((*offers)[2].params.empty());
    }
    SECTION("quoted values are unquoted and unescaped") {
        const auto offers = parse_extensions("x; a=\"10\"; b=\"1\\0\"; c=tok");
        REQUIRE(offers);
        REQUIRE((*offers)[0].params.size() == 3);
        CHECK((*offers)[0].params[0].value == "10");
        CHECK((*offers)[0].params[1].value == "10");
        CHECK((*offers)[0].params[2].value == "tok");
    }
    SECTION("parameter lookup is case-insensitive") {
        const auto offers = parse_extensions("x; Server_Max_Window_Bits=9");
        REQUIRE(offers);
        const auto* p = (*offers)[0].find("server_max_window_bits");
        REQUIRE(p != nullptr);
        CHECK(p->value == "9");
        CHECK((*offers)[0].find("client_max_window_bits") == nullptr);
    }
    SECTION("optional whitespace around separators, none at all, and empty elements") {
        const auto spaced = parse_extensions(" a ; b = 1 ;c\t, d ");
        REQUIRE(spaced);
        REQUIRE(spaced->size() == 2);
        CHECK((*spaced)[0].params.size() == 2);
        CHECK((*spaced)[0].params[0].value == "1");
        CHECK((*spaced)[1].name == "d");
        const auto tight = parse_extensions("a;b=1,c");
        REQUIRE(tight);
        CHECK(tight->size() == 2);
        CHECK(parse_extensions("")->empty());
        CHECK(parse_extensions(", ,")->empty());
        CHECK(parse_extensions("a,,b")->size() == 2);
    }
    SECTION("a quoted value that is not a token is rejected") {
        CHECK_FALSE(parse_extensions("a; b=\"not a token\""));
        CHECK_FALSE(parse_extensions("a; b=\"\""));
        CHECK_FALSE(parse_extensions("a; b=\"1,2\""));
    }
    SECTION("malformed values") {
        for (const char* bad : {
                 ";",                   // no name
                 "=a",                  //
                 "a;",                  // no parameter name
                 "a;=b",                //
                 "a;;b",                //
                 "a=1",                 // a value on the extension itself
                 "a b",                 // two tokens
                 "a,,b c",              //
                 "a; b=",               // no value
                 "a; b=c=d",            //
                 "a; b=1 x",            // trailing garbage
                 "a; b=\"1\"x",         //
                 "a; b=\"unterminated", // unterminated quote
                 "a; b=\"x\\",          // unterminated escape
                 "a\"b\"",              //
                 "a, @",                // not a token
                 "caf\xc3\xa9",         //
             }) {
            INFO(bad);
            CHECK_FALSE(parse_extensions(bad));
        }
    }
}

TEST_CASE("values built to trigger super-linear parsing are parsed in linear time", "[handshake][tokens]") {
    // A token followed by many spaces (ws CVE-2021-32640), long lists, a long quoted string.
    const std::string spaces(32 * 1024, ' ');
    const std::string token_then_spaces = "a" + spaces;
    const std::string token_spaces_token = "a" + spaces + "b";
    std::string long_list;
    while (long_list.size() < 8 * 1024)
        long_list += "x" + std::to_string(long_list.size()) + " ; p=1 ,";
    std::string long_token_list;
    while (long_token_list.size() < 8 * 1024)
        long_token_list += "proto" + std::to_string(long_token_list.size()) + ", ";
    const std::string long_quoted = "x; p=\"" + std::string(32 * 1024, 'q') + "\"";
    const std::string spaced_params = "a" + spaces + ";" + spaces + "b" + spaces + "=" + spaces + "1" + spaces;

    const auto start = std::chrono::steady_clock::now();
    const auto offers = parse_extensions(token_then_spaces);
    REQUIRE(offers);
    REQUIRE(offers->size() == 1);
    CHECK((*offers)[0].name == "a");
    CHECK(parse_token_list(token_then_spaces) == std::optional<strings>(strings{"a"}));
    CHECK(list_contains_token(token_then_spaces, "a"));
    CHECK_FALSE(parse_extensions(token_spaces_token));
    CHECK_FALSE(parse_token_list(token_spaces_token));
    CHECK_FALSE(list_contains_token(token_spaces_token, "a"));
    CHECK(parse_extensions(long_list));
    CHECK(parse_token_list(long_token_list));
    CHECK(parse_extensions(long_quoted));
    CHECK(parse_extensions(spaced_params));
    // Generous: quadratic work on 32 KiB would take far longer than this.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}
