// Header value parsing of the handshake: token lists (Sec-WebSocket-Protocol,
// Connection, Upgrade), Sec-WebSocket-Extensions offers (handshake/token_list.hpp)
// and permessage-deflate negotiation (extensions/deflate_negotiation.hpp).
//
// Input: one flags byte, then a header value.
//   flags bits 0-2: the server's deflate settings; bits 3-5: the client's
#include <duplex/handshake/token_list.hpp>

#include <duplex/extensions/deflate_negotiation.hpp>
#include <duplex/handshake/server_handshake.hpp>

#include "fuzz_target.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace duplex::handshake;
using duplex::extensions::deflate_agreement;
using duplex::extensions::deflate_options;

deflate_options pick_options(unsigned bits) {
    deflate_options options;
    options.max_window_bits = 9 + static_cast<int>(bits % 7);
    options.no_context_takeover = (bits & 2) != 0;
    options.request_no_context_takeover = (bits & 4) != 0;
    return options;
}

void check_list(std::string_view value) {
    // Elements are non-empty, trimmed, and come from the value in order.
    const char* last = value.data();
    std::vector<std::string_view> elements;
    for_each_list_element(value, [&](std::string_view e) {
        DUPLEX_FUZZ_CHECK(!e.empty() && !is_ows(e.front()) && !is_ows(e.back()));
        DUPLEX_FUZZ_CHECK(e.data() >= last && e.data() + e.size() <= value.data() + value.size());
        last = e.data() + e.size();
        elements.push_back(e);
    });
    const auto tokens = parse_token_list(value);
    bool all_tokens = true;
    for (const auto e : elements)
        all_tokens = all_tokens && is_token(e);
    DUPLEX_FUZZ_CHECK(tokens.has_value() == all_tokens);
    if (!tokens) return;
    DUPLEX_FUZZ_CHECK(tokens->size() == elements.size());
    std::string joined;
    for (const auto& t : *tokens) {
        DUPLEX_FUZZ_CHECK(is_token(t));
        DUPLEX_FUZZ_CHECK(list_contains_token(value, t));
        joined += (joined.empty() ? "" : ", ") + t;
    }
    DUPLEX_FUZZ_CHECK(parse_token_list(joined) == tokens);
    const std::string chosen = select_subprotocol(*tokens, {"chat", "superchat", "v2.json"});
    if (!chosen.empty()) DUPLEX_FUZZ_CHECK(list_contains_token(value, chosen));
}

bool same_offers(const std::vector<extension_offer>& a, const std::vector<extension_offer>& b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (a[i].name != b[i].name || a[i].params.size() != b[i].params.size()) return false;
        for (std::size_t k = 0; k < a[i].params.size(); ++k) {
            const auto &p = a[i].params[k], &q = b[i].params[k];
            if (p.name != q.name || p.has_value != q.has_value || p.value != q.value) return false;
        }
    }
    return true;
}

// Parsed offers hold tokens only and print back to a value that parses the same.
std::optional<std::vector<extension_offer>> check_extensions(std::string_view value) {
    auto offers = parse_extensions(value);
    if (!offers) return offers;
    std::string printed;
    for (const auto& o : *offers) {
        DUPLEX_FUZZ_CHECK(is_token(o.name));
        printed += (printed.empty() ? "" : ", ") + o.name;
        for (const auto& p : o.params) {
            DUPLEX_FUZZ_CHECK(is_token(p.name));
            DUPLEX_FUZZ_CHECK(p.has_value ? is_token(p.value) : p.value.empty());
            DUPLEX_FUZZ_CHECK(o.find(p.name) != nullptr);
            printed += "; " + p.name + (p.has_value ? "=\"" + p.value + "\"" : "");
        }
    }
    const auto again = parse_extensions(printed);
    DUPLEX_FUZZ_CHECK(again && same_offers(*again, *offers));
    return offers;
}

// What the client makes of the server's answer mirrors what the server agreed.
void check_mirror(const deflate_agreement& server, const deflate_agreement& client) {
    DUPLEX_FUZZ_CHECK(client.send_window_bits == server.receive_window_bits);
    DUPLEX_FUZZ_CHECK(client.receive_window_bits == server.send_window_bits);
    DUPLEX_FUZZ_CHECK(client.send_no_context_takeover == server.receive_no_context_takeover);
    DUPLEX_FUZZ_CHECK(client.receive_no_context_takeover == server.send_no_context_takeover);
}

// The server's negotiation: within its settings, and its response header is one
// well-formed permessage-deflate element a client reads back to the same terms.
std::optional<deflate_agreement> negotiate(const std::vector<extension_offer>& offers, const deflate_options& options,
                                           const deflate_options& client_options, bool own_offer) {
    std::string response;
    const auto agreement = duplex::extensions::negotiate_deflate_offer(offers, options, response);
    DUPLEX_FUZZ_CHECK(agreement.has_value() == !response.empty());
    if (!agreement) return agreement;
    DUPLEX_FUZZ_CHECK(agreement->send_window_bits >= 9 && agreement->send_window_bits <= options.max_window_bits);
    DUPLEX_FUZZ_CHECK(agreement->receive_window_bits >= 8 && agreement->receive_window_bits <= 15);
    if (options.no_context_takeover) DUPLEX_FUZZ_CHECK(agreement->send_no_context_takeover);
    if (options.request_no_context_takeover) DUPLEX_FUZZ_CHECK(agreement->receive_no_context_takeover);
    const auto answer = parse_extensions(response);
    DUPLEX_FUZZ_CHECK(answer && answer->size() == 1 && (*answer)[0].name == "permessage-deflate");
    DUPLEX_FUZZ_CHECK(duplex::extensions::detail::parse_params((*answer)[0], true).has_value());
    // A client that offered without limits of its own accepts any answer it can honour.
    deflate_options open_client;
    open_client.no_context_takeover = false; // asks nothing: keeps its context unless told otherwise
    open_client.request_no_context_takeover = false;
    const auto client =
        duplex::extensions::accept_deflate_response((*answer)[0], own_offer ? client_options : open_client);
    if (own_offer || agreement->receive_window_bits >= 9) {
        DUPLEX_FUZZ_CHECK(client.has_value());
        check_mirror(*agreement, *client);
    } else {
        DUPLEX_FUZZ_CHECK(!client); // 8 bits: zlib cannot compress with that window
    }
    return agreement;
}

void check_window_bits(const std::string& value) {
    const bool expected =
        value == "8" || value == "9" || (value.size() == 2 && value[0] == '1' && value[1] >= '0' && value[1] <= '5');
    const auto bits = duplex::extensions::detail::parse_window_bits(value);
    DUPLEX_FUZZ_CHECK(bits.has_value() == expected);
    if (bits) DUPLEX_FUZZ_CHECK(std::to_string(*bits) == value);
}

} // namespace

DUPLEX_FUZZ_TARGET(extension_headers) {
    duplex_fuzz::input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const std::string_view value = in.rest();
    const deflate_options server_options = pick_options(flags & 7u);
    const deflate_options client_options = pick_options((flags >> 3) & 7u);

    check_list(value);
    check_window_bits(std::string(value.substr(0, 3)));
    if (const auto offers = check_extensions(value)) negotiate(*offers, server_options, client_options, false);

    // Our client's own offer is always accepted by our server, and back.
    const std::string offer = duplex::extensions::make_deflate_offer(client_options);
    const auto offers = check_extensions(offer);
    DUPLEX_FUZZ_CHECK(offers && offers->size() == 1);
    DUPLEX_FUZZ_CHECK(negotiate(*offers, server_options, client_options, true).has_value());
    return 0;
}
