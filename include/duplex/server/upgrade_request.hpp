/// @file
/// What a server's upgrade hook sees of one opening handshake (upgrade_request),
/// and an allowlist of Origins for it.
#pragma once

#include <duplex/handshake/http_message.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/token_list.hpp>

#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex {

template <class Config>
class basic_server;

/// The opening handshake of one connection, as the upgrade hook
/// (endpoint::on_upgrade) sees it once the request passed the RFC 6455 4.2.1
/// checks. Call accept() or reject(); if the hook calls neither, the upgrade
/// is accepted. Call defer() to decide later (from any thread), e.g. after an
/// asynchronous token lookup. Only the first decision counts.
template <class Connection>
class upgrade_request {
public:
    /// The connection's user data type (Config::user_data).
    using user_data_type = typename Connection::user_data_type;

    /// The whole HTTP request: method, target, header fields.
    const handshake::http_request& request() const noexcept { return request_; }
    /// The request target before '?', not percent-decoded.
    std::string_view path() const noexcept { return request_.path(); }
    /// The request target after '?', without it; empty if there is none.
    std::string_view query() const noexcept { return request_.query(); }
    /// The first header field of this name (case-insensitive), if any.
    std::optional<std::string_view> header(std::string_view name) const { return request_.header(name); }
    /// The Origin header, or empty.
    std::string_view origin() const { return request_.header("Origin").value_or(std::string_view{}); }
    /// True when a browser's page comes from this server: the Origin's host
    /// (and port) is the request's Host (RFC 6454; http and https, compared
    /// case-insensitively), or there is no Origin at all (not a browser).
    /// Cross-site WebSocket hijacking (RFC 6455 10.2): refuse the rest with 403
    /// unless an origin_allowlist says otherwise.
    bool is_same_origin() const {
        const auto o = origin();
        if (o.empty()) return true;
        const auto host = request_.header("Host").value_or(std::string_view{});
        for (std::string_view scheme : {"http://", "https://"})
            if (o.size() > scheme.size() && handshake::iequals(o.substr(0, scheme.size()), scheme))
                return !host.empty() && handshake::iequals(o.substr(scheme.size()), host);
        return false; // "null" (sandboxed frames, file:) and other schemes
    }
    /// A cookie value by name (the last one if repeated), or empty; not
    /// unquoted or decoded.
    std::string_view cookie(std::string_view name) const {
        std::string_view result;
        const auto cookies = request_.header("Cookie").value_or(std::string_view{});
        std::size_t pos = 0;
        while (pos < cookies.size()) {
            auto end = cookies.find(';', pos);
            if (end == std::string_view::npos) end = cookies.size();
            const auto pair = handshake::trim_ows(cookies.substr(pos, end - pos));
            const auto eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == name) result = pair.substr(eq + 1);
            pos = end + 1;
        }
        return result;
    }
    /// A query parameter by name (the first one; not percent-decoded), or empty.
    std::string_view query_param(std::string_view name) const {
        const auto q = query();
        std::size_t pos = 0;
        while (pos <= q.size()) {
            auto end = q.find('&', pos);
            if (end == std::string_view::npos) end = q.size();
            const auto pair = q.substr(pos, end - pos);
            const auto eq = pair.find('=');
            if (pair.substr(0, eq) == name)
                return eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
            pos = end + 1;
        }
        return {};
    }
    /// A path parameter captured by the route (e.g. "id" for "/rooms/{id}"), or empty.
    std::string_view param(std::string_view name) const { return connection_->param(name); }
    /// The subprotocols the client offered (Sec-WebSocket-Protocol), in its order.
    const std::vector<std::string>& subprotocols() const noexcept { return subprotocols_; }
    /// The extensions the client offered (Sec-WebSocket-Extensions); empty
    /// when the header was malformed (declined, RFC 7692). The endpoint's
    /// negotiate_extensions picks among them at accept().
    const std::vector<handshake::extension_offer>& extensions() const noexcept { return extensions_; }
    /// The peer's address, as basic_connection::remote_address().
    const std::string& remote_address() const noexcept { return connection_->remote_address(); }
    /// The user data the connection will carry; set it here, or on a deferred
    /// handle before its accept().
    user_data_type& data() noexcept { return connection_->data(); }

    /// Accept: send the 101 response (RFC 6455 4.2.2) with `headers` added
    /// (unsafe ones are left out), and open the connection.
    /// @param subprotocol one of subprotocols(), or empty for none. It is sent
    /// unchecked; a client fails a handshake naming one it did not offer (RFC
    /// 6455 4.1).
    void accept(std::string subprotocol = {}, handshake::header_fields headers = {}) {
        decided_ = true;
        decision_(true, 101, std::move(subprotocol), std::move(headers), {});
    }
    /// Refuse with an HTTP status (e.g. 401, 403), a body and headers; the
    /// connection closes after the response and no handler runs.
    void reject(int status, std::string body = {}, handshake::header_fields headers = {}) {
        decided_ = true;
        decision_(false, status, {}, std::move(headers), std::move(body));
    }
    /// Decide later: the returned handle's accept()/reject() may be called from
    /// any thread, once. It holds the connection; the handshake timeout still
    /// applies (undecided past Config::handshake_timeout, the connection ends).
    std::shared_ptr<upgrade_request> defer() {
        decided_ = true;
        return std::shared_ptr<upgrade_request>(new upgrade_request(*this));
    }

private:
    // Made by the server for its upgrade hook only.
    friend class basic_server<typename Connection::config_type>;
    using decision_fn = std::function<void(bool, int, std::string, handshake::header_fields, std::string)>;
    upgrade_request(std::shared_ptr<Connection> c, handshake::http_request r, std::vector<std::string> protocols,
                    std::vector<handshake::extension_offer> extensions, decision_fn decide)
        : connection_(std::move(c)), request_(std::move(r)), subprotocols_(std::move(protocols)),
          extensions_(std::move(extensions)), decision_(std::move(decide)) {}
    bool decided() const noexcept { return decided_; }

    std::shared_ptr<Connection> connection_;
    handshake::http_request request_;
    std::vector<std::string> subprotocols_;
    std::vector<handshake::extension_offer> extensions_;
    decision_fn decision_;
    bool decided_ = false;
};

/// Allow only these Origin values (whole values compared case-insensitively,
/// e.g. "https://chat.example.com"; RFC 6455 10.2).
/// Use in an upgrade hook: `if (!allowed(req.origin())) req.reject(403, ...)`.
/// A client that is not a browser sends no Origin: origin() is then empty,
/// allowed only if "" is listed.
class origin_allowlist {
public:
    /// Allow these origins.
    origin_allowlist(std::initializer_list<std::string> origins) : origins_(origins) {}
    /// Allow these origins.
    explicit origin_allowlist(std::vector<std::string> origins) : origins_(std::move(origins)) {}
    /// True when `origin` is one of the allowed values.
    bool operator()(std::string_view origin) const {
        for (const auto& o : origins_)
            if (handshake::iequals(o, origin)) return true;
        return false;
    }

private:
    std::vector<std::string> origins_;
};

} // namespace duplex
