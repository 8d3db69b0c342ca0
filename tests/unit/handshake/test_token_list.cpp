#include <duplex/handshake/token_list.hpp>

#include "support/catch.hpp"

#include <chrono>
#include <string>
#include <vector>

using namespace duplex::handshake;

TEST_CASE("comma-separated lists with optional whitespace", "[handshake][tokens]") {
    std::vector<std::string> items;
    for_each_list_element(" a ,b,, \t c\t,\"x,y\" ,", [&](std::string_view e) { items.emplace_back(e); });
    CHECK(items == std::vector<std::string>{"a", "b", "c", "\"x,y\""});
    CHECK(list_contains_token("keep-alive, Upgrade", "upgrade"));
    CHECK_FALSE(list_contains_token("keep-alive, upgrader", "upgrade"));
    CHECK(iequals("WebSocket", "websocket"));
    const auto tokens = parse_token_list("chat, superchat");
    REQUIRE(tokens);
    CHECK(*tokens == std::vector<std::string>{"chat", "superchat"});
    CHECK_FALSE(parse_token_list("chat, super chat"));
    CHECK_FALSE(parse_token_list("ch@t"));
}

TEST_CASE("extension offers", "[handshake][extensions]") {
    SECTION("browser offer") {
        const auto offers = parse_extensions("permessage-deflate; client_max_window_bits");
        REQUIRE(offers);
        REQUIRE(offers->size() == 1);
        CHECK((*offers)[0].name == "permessage-deflate");
        REQUIRE((*offers)[0].params.size() == 1);
        CHECK((*offers)[0].params[0].name == "client_max_window_bits");
        CHECK_FALSE((*offers)[0].params[0].has_value);
    }
    SECTION("several offers, values and quoted values") {
        const auto offers =
            parse_extensions("permessage-deflate;server_max_window_bits=10; client_no_context_takeover ,"
                             " permessage-deflate; server_max_window_bits=\"12\", x-other");
        REQUIRE(offers);
        REQUIRE(offers->size() == 3);
        CHECK((*offers)[0].find("server_max_window_bits")->value == "10");
        CHECK((*offers)[0].find("client_no_context_takeover") != nullptr);
        CHECK((*offers)[1].find("server_max_window_bits")->value == "12");
        CHECK((*offers)[2].name == "x-other");
        CHECK((*offers)[2].params.empty());
    }
    SECTION("malformed headers") {
        for (const char* bad :
             {";", "a;", "a;=b", "a b", "a; b=\"unterminated", "a; b=\"not a token\"", "a; b=", "=a", "a,,b c"}) {
            INFO(bad);
            CHECK_FALSE(parse_extensions(bad));
        }
        CHECK(parse_extensions(""));    // no offers at all
        CHECK(parse_extensions(", ,")); // empty list elements are allowed
    }
}

TEST_CASE("header values built to trigger super-linear parsing parse in linear time", "[handshake][tokens]") {
    // ws CVE-2021-32640: a token followed by many spaces.
    const std::string spaces = "a" + std::string(32 * 1024, ' ') + "b";
    const std::string long_list = [] {
        std::string s;
        for (int i = 0; i < 2000; ++i)
            s += "x" + std::to_string(i) + " ; p=1 ,";
        return s;
    }();
    const auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) {
        CHECK_FALSE(parse_token_list(spaces));
        CHECK_FALSE(parse_extensions(spaces));
        CHECK(parse_extensions(long_list));
        CHECK_FALSE(list_contains_token(spaces, "upgrade"));
    }
    // A generous bound: quadratic parsing of 32 KiB would take far longer than this.
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
}
