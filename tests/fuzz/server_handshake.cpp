// The server side of the opening handshake: the HTTP request parser
// (handshake/http_parser.hpp), the upgrade checks and the responses of
// handshake/server_handshake.hpp.
//
// Input: one flags byte, then the request bytes.
//   flags bits 0-1: parser limits (defaults, small, tiny)
//   flags bits 2-4: how the request is cut into chunks
//   flags bits 5-7: the server's permessage-deflate settings
#include <duplex/handshake/server_handshake.hpp>

#include <duplex/extensions/deflate_negotiation.hpp>
#include <duplex/handshake/client_handshake.hpp>
#include <duplex/handshake/http_parser.hpp>

#include "fuzz_target.hpp"
#include "handshake_checks.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace duplex::handshake;

void check_request_line(const http_request& request, const http_limits& limits) {
    DUPLEX_FUZZ_CHECK(is_token(request.method()));
    const auto target = request.target();
    DUPLEX_FUZZ_CHECK(!target.empty());
    for (const char c : target)
        DUPLEX_FUZZ_CHECK(static_cast<unsigned char>(c) > 0x20 && c != 0x7F);
    DUPLEX_FUZZ_CHECK(request.method().size() + target.size() + 10 <= limits.max_start_line);
    DUPLEX_FUZZ_CHECK(request.version_major() >= 0 && request.version_major() <= 9);
    DUPLEX_FUZZ_CHECK(request.version_minor() >= 0 && request.version_minor() <= 9);
    const auto query = request.query();
    const std::string rebuilt =
        std::string(request.path()) + (target.find('?') != std::string_view::npos ? "?" + std::string(query) : "");
    DUPLEX_FUZZ_CHECK(rebuilt == target);
}

// An HTTP response the server wrote parses back to what it meant.
http_response parse_own_response(const std::string& text) {
    response_parser parser;
    const auto r = parser.feed(text);
    DUPLEX_FUZZ_CHECK(r.status == parse_result::done);
    DUPLEX_FUZZ_CHECK(r.consumed <= text.size());
    return parser.release();
}

void check_accepted(const http_request& request, const upgrade_check& check, unsigned server_flags) {
    DUPLEX_FUZZ_CHECK(request.method() == "GET");
    DUPLEX_FUZZ_CHECK(is_upgrade_request(request));
    DUPLEX_FUZZ_CHECK(request.header_count("Host") == 1);
    DUPLEX_FUZZ_CHECK(is_valid_client_key(check.key));
    // The key is canonical base64 of 16 bytes: it re-encodes to itself.
    const auto decoded = detail::base64_decode(check.key);
    DUPLEX_FUZZ_CHECK(decoded && decoded->size() == 16);
    DUPLEX_FUZZ_CHECK(detail::base64_encode(reinterpret_cast<const std::uint8_t*>(decoded->data()), 16) == check.key);

    // Negotiate as a server would, then check the answer as the client would.
    const std::vector<std::string> supported = {"chat", "superchat", "v2.json"};
    const auto offered = offered_subprotocols(request);
    const std::vector<std::string> offered_list = offered ? *offered : std::vector<std::string>{};
    const std::string subprotocol = select_subprotocol(offered_list, supported);
    if (!subprotocol.empty()) {
        bool in_both = false;
        for (const auto& o : offered_list)
            if (o == subprotocol) in_both = true;
        DUPLEX_FUZZ_CHECK(in_both);
    }
    std::string extensions;
    duplex::extensions::deflate_options options;
    options.max_window_bits = 9 + static_cast<int>(server_flags % 7);
    options.no_context_takeover = (server_flags & 1) != 0;
    options.request_no_context_takeover = (server_flags & 2) != 0;
    bool agreed = false;
    if (const auto offers = offered_extensions(request))
        agreed = duplex::extensions::negotiate_deflate_offer(*offers, options, extensions).has_value();
    DUPLEX_FUZZ_CHECK(agreed == !extensions.empty());

    const std::string text = build_accept_response(check.key, subprotocol, extensions, {{"X-Served-By", "fuzz"}});
    const http_response response = parse_own_response(text);
    DUPLEX_FUZZ_CHECK(response.raw().size() == text.size());
    DUPLEX_FUZZ_CHECK(response.status() == 101);
    const auto answer = check_upgrade_response(response, check.key, offered_list, {"permessage-deflate"});
    DUPLEX_FUZZ_CHECK(answer.ok);
    DUPLEX_FUZZ_CHECK(answer.subprotocol == subprotocol);
    DUPLEX_FUZZ_CHECK(answer.extensions.size() == (agreed ? 1u : 0u));
}

void check_rejected(const upgrade_check& check) {
    const int s = check.status;
    DUPLEX_FUZZ_CHECK(s == 400 || s == 405 || s == 426 || s == 505);
    DUPLEX_FUZZ_CHECK(!check.reason.empty());
    const std::string text = build_reject_response(s, check.reason);
    const http_response response = parse_own_response(text);
    DUPLEX_FUZZ_CHECK(response.status() == s);
    const std::string body = text.substr(response.raw().size());
    const auto length = response.header("Content-Length");
    DUPLEX_FUZZ_CHECK(length && *length == std::to_string(body.size()));
    if (s == 426) DUPLEX_FUZZ_CHECK(response.header("Sec-WebSocket-Version") == std::string_view("13"));
}

} // namespace

DUPLEX_FUZZ_TARGET(server_handshake) {
    duplex_fuzz::input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const std::string_view input = in.rest();
    const http_limits limits = duplex_fuzz::pick_limits(flags);

    request_parser whole(limits), chunked(limits);
    const auto outcome = duplex_fuzz::parse_both_ways(whole, chunked, input, (flags >> 2) & 7u);
    if (outcome.status != parse_result::done) {
        if (outcome.status == parse_result::need_more) DUPLEX_FUZZ_CHECK(outcome.consumed == input.size());
        return 0;
    }
    const http_request& request = whole.get();
    duplex_fuzz::check_fields(request, input, outcome.consumed, limits);
    check_request_line(request, limits);

    const auto check = check_upgrade_request(request);
    if (check)
        check_accepted(request, check, flags >> 5);
    else
        check_rejected(check);
    return 0;
}
