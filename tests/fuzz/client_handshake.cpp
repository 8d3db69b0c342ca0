// The client side of the opening handshake: the HTTP response parser, the
// checks of handshake/client_handshake.hpp on the server's answer, and the
// client's own request, built from fuzz strings and parsed back.
//
// Input: one flags byte, then the response bytes.
//   flags bits 0-1: parser limits; bits 2-4: how the response is cut into chunks
//   flags bits 5-7: the client's permessage-deflate settings
// The response bytes, split at '\n', also give the request's host, target,
// origin, subprotocols (comma-separated) and extension offer.
#include <duplex/handshake/client_handshake.hpp>

#include <duplex/extensions/deflate_negotiation.hpp>
#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/server_handshake.hpp>

#include "fuzz_target.hpp"
#include "handshake_checks.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace duplex::handshake;

// RFC 6455 4.1 / 4.2.2: the example key and its accept value.
constexpr std::string_view sample_key = "dGhlIHNhbXBsZSBub25jZQ==";

duplex::extensions::deflate_options client_deflate_options(unsigned bits) {
    duplex::extensions::deflate_options options;
    options.max_window_bits = 9 + static_cast<int>(bits % 7);
    options.no_context_takeover = (bits & 1) != 0;
    options.request_no_context_takeover = (bits & 2) != 0;
    return options;
}

void check_response(const http_response& response, unsigned deflate_bits) {
    DUPLEX_FUZZ_CHECK(response.status() >= 0 && response.status() <= 999);
    DUPLEX_FUZZ_CHECK(response.version_major() >= 0 && response.version_major() <= 9);
    const std::vector<std::string> offered = {"chat", "superchat"};
    const auto check = check_upgrade_response(response, sample_key, offered, {"permessage-deflate"});
    if (!check) {
        DUPLEX_FUZZ_CHECK(!check.reason.empty());
        return;
    }
    DUPLEX_FUZZ_CHECK(response.status() == 101);
    DUPLEX_FUZZ_CHECK(response.header_has_token("Upgrade", "websocket"));
    DUPLEX_FUZZ_CHECK(check.subprotocol.empty() || check.subprotocol == "chat" || check.subprotocol == "superchat");
    const auto options = client_deflate_options(deflate_bits);
    for (const auto& e : check.extensions) {
        DUPLEX_FUZZ_CHECK(iequals(e.name, "permessage-deflate"));
        const auto a = duplex::extensions::accept_deflate_response(e, options);
        if (!a) continue;
        // Never more than we asked for (RFC 7692 7.1.2).
        DUPLEX_FUZZ_CHECK(a->send_window_bits >= 9 && a->send_window_bits <= options.max_window_bits);
        DUPLEX_FUZZ_CHECK(a->receive_window_bits >= 8 && a->receive_window_bits <= 15);
        if (options.request_no_context_takeover) DUPLEX_FUZZ_CHECK(a->receive_no_context_takeover);
        if (options.no_context_takeover) DUPLEX_FUZZ_CHECK(a->send_no_context_takeover);
    }
}

std::vector<std::string_view> split_lines(std::string_view s, std::size_t most) {
    std::vector<std::string_view> parts;
    while (parts.size() + 1 < most) {
        const auto nl = s.find('\n');
        if (nl == std::string_view::npos) break;
        parts.push_back(s.substr(0, nl));
        s.remove_prefix(nl + 1);
    }
    parts.push_back(s);
    parts.resize(most);
    return parts;
}

// The request the client writes parses back, passes the server's checks when
// its Host is sendable, and carries the target, subprotocols and offer it was given.
void check_own_request(std::string_view input, unsigned deflate_bits) {
    const auto lines = split_lines(input, 5);
    client_request_options options;
    options.host = std::string(lines[0]);
    options.target = std::string(lines[1]);
    options.origin = std::string(lines[2]);
    for_each_list_element(lines[3], [&](std::string_view p) { options.subprotocols.emplace_back(p); });
    options.extensions =
        lines[4].empty() ? make_deflate_offer(client_deflate_options(deflate_bits)) : std::string(lines[4]);
    const std::string text = build_client_request(options, sample_key);

    http_limits roomy;
    roomy.max_header_bytes = roomy.max_start_line = 1 << 20;
    request_parser parser(roomy);
    const auto r = parser.feed(text);
    DUPLEX_FUZZ_CHECK(r.status == parse_result::done && r.consumed == text.size());
    const http_request& request = parser.get();

    std::string target;
    for (const char c : options.target.empty() ? std::string("/") : options.target) {
        const auto u = static_cast<unsigned char>(c);
        if (u > 0x20 && u != 0x7F) {
            target += c;
        } else {
            static constexpr char hex[] = "0123456789ABCDEF";
            target += '%';
            target += hex[u >> 4];
            target += hex[u & 15];
        }
    }
    DUPLEX_FUZZ_CHECK(request.target() == target);
    const auto check = check_upgrade_request(request);
    DUPLEX_FUZZ_CHECK(static_cast<bool>(check) == is_safe_header_value(options.host));
    if (check) DUPLEX_FUZZ_CHECK(check.key == sample_key);

    std::vector<std::string> tokens;
    for (const auto& p : options.subprotocols)
        if (is_token(p)) tokens.push_back(p);
    const auto offered = offered_subprotocols(request);
    DUPLEX_FUZZ_CHECK(offered && *offered == tokens);
    const std::string expected_extensions =
        is_safe_header_value(options.extensions) ? std::string(trim_ows(options.extensions)) : std::string();
    DUPLEX_FUZZ_CHECK(request.header_list("Sec-WebSocket-Extensions") == expected_extensions);
    if (lines[4].empty()) {
        // Our own deflate offer is well-formed: one permessage-deflate element.
        const auto offers = offered_extensions(request);
        DUPLEX_FUZZ_CHECK(offers && offers->size() == 1 && (*offers)[0].name == "permessage-deflate");
    }
}

} // namespace

DUPLEX_FUZZ_TARGET(client_handshake) {
    duplex_fuzz::input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const std::string_view input = in.rest();
    const http_limits limits = duplex_fuzz::pick_limits(flags);

    response_parser whole(limits), chunked(limits);
    const auto outcome = duplex_fuzz::parse_both_ways(whole, chunked, input, (flags >> 2) & 7u);
    if (outcome.status == parse_result::done) {
        duplex_fuzz::check_fields(whole.get(), input, outcome.consumed, limits);
        check_response(whole.get(), flags >> 5);
    } else if (outcome.status == parse_result::need_more) {
        DUPLEX_FUZZ_CHECK(outcome.consumed == input.size());
    }
    check_own_request(input, flags >> 5);
    return 0;
}
