/// @file
/// The opening handshake without I/O (RFC 6455 4), from the first byte of the
/// HTTP request to the first byte of the first frame, for both roles:
///
/// - server_upgrade: feed() the client's bytes; once the request is read and
///   passed the checks of RFC 6455 4.2.1, accept() (choosing a subprotocol,
///   negotiating the extension) or reject() it, or respond() to a plain HTTP
///   request. The response bytes are in output().
/// - client_upgrade: output() holds the GET request from construction; feed()
///   the server's bytes; the response is checked against RFC 6455 4.1 and the
///   offer (subprotocol, extensions).
///
/// Both keep what arrived behind the header block (a client may send its
/// first frames right behind the request) for the session: leftover().
/// server_connection and client_connection (protocol/connection.hpp) put an
/// upgrade and a session together for an event loop of your own; duplex's Asio
/// endpoints use the upgrade objects and their own session.
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/error.hpp>
#include <duplex/handshake/accept_key.hpp>
#include <duplex/handshake/client_handshake.hpp>
#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/server_handshake.hpp>
#include <duplex/handshake/token_list.hpp>
#include <duplex/protocol/extension.hpp>

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace duplex::protocol {

/// Negotiates an extension at the handshake (e.g. permessage-deflate).
/// Server: given the client's offers, return the extension for the connection
/// and set `header` to the Sec-WebSocket-Extensions response value, or return
/// null to decline. Client: given what the server accepted, return the
/// extension, or null with `header` set to a reason to fail the handshake.
using extension_negotiator = std::function<std::shared_ptr<extension>(
    const std::vector<handshake::extension_offer>& offers, std::string& header)>;

/// Where an opening handshake stands.
enum class upgrade_state {
    reading,       ///< more bytes of the request (server) or response (client) are needed
    request_ready, ///< server: the request is read; accept(), reject() or respond() it
    open,          ///< the handshake succeeded; what follows is frames (leftover(), then the transport)
    failed,        ///< refused or broken: the output (a server's error response) is the last to send
};

namespace detail {
// Request and response bytes, and what arrived behind the header block.
class upgrade_io {
public:
    /// Bytes to send to the peer.
    std::string_view output() const noexcept { return output_; }
    /// Declare `n` bytes of output sent.
    void consume_output(std::size_t n) noexcept { output_.erase(0, n); }
    /// Bytes received behind the header block: the first frames, for the session.
    std::string_view leftover() const noexcept { return leftover_; }

protected:
    // Hands `data` to `parser` while it reads; keeps what follows the header
    // block. Returns the parser's result for the bytes it took.
    template <class Parser>
    handshake::parse_result take(Parser& parser, const void* data, std::size_t size) {
        const auto* bytes = static_cast<const char*>(data);
        const auto r = parser.feed(bytes, size);
        if (r.status == handshake::parse_result::done) leftover_.append(bytes + r.consumed, size - r.consumed);
        return r;
    }
    void keep(const void* data, std::size_t size) { leftover_.append(static_cast<const char*>(data), size); }

    std::string output_;
    std::string leftover_;
};
} // namespace detail

/// What a server accepts: limits of the request, supported subprotocols, the extension negotiator.
struct server_upgrade_options {
    handshake::http_limits http; ///< header block limits (431, 414, 400 past them)
    /// Subprotocols this server speaks, in its order of preference; the first
    /// one the client offered is chosen (RFC 6455 4.2.2 item 5.4).
    std::vector<std::string> subprotocols;
    /// null: every extension offer is declined.
    extension_negotiator negotiate_extensions;
};

/// The server's side of the opening handshake, without I/O.
///
/// Members shared with client_upgrade (from an internal base class):
/// - `output()`: the bytes to send to the peer; `consume_output(n)` declares `n` of them sent.
/// - `leftover()`: bytes received behind the header block, the first frames
///   for the session.
///
/// @par Thread safety
/// One thread at a time.
class server_upgrade : public detail::upgrade_io {
public:
    /// Ready for the first byte of the client's request.
    explicit server_upgrade(server_upgrade_options options = {})
        : options_(std::move(options)), parser_(options_.http) {}

    /// Bytes from the client. Once the request is read, it is checked: a
    /// malformed or unacceptable upgrade request is answered with its status
    /// (RFC 6455 4.2.1, 4.4) and the state becomes failed; a good one or a
    /// plain HTTP request makes it request_ready. Bytes after that are kept
    /// in leftover().
    void feed(const void* data, std::size_t size) {
        if (state_ != upgrade_state::reading) {
            if (state_ != upgrade_state::failed) keep(data, size);
            return;
        }
        const auto r = take(parser_, data, size);
        if (r.status == handshake::parse_result::need_more) return;
        if (r.status == handshake::parse_result::error) return fail(r.http_status, r.reason);
        request_ = parser_.release();
        is_upgrade_ = handshake::is_upgrade_request(*request_) || request_->header("Upgrade") ||
                      request_->header("Sec-WebSocket-Key") || request_->header_has_token("Connection", "upgrade");
        state_ = upgrade_state::request_ready;
        if (!is_upgrade_) return; // plain HTTP: the caller responds
        const auto check = handshake::check_upgrade_request(*request_);
        if (!check) return fail(check.status, check.reason);
        key_ = std::string(check.key);
        auto protocols = handshake::offered_subprotocols(*request_);
        if (!protocols) return fail(400, "malformed Sec-WebSocket-Protocol");
        offered_subprotocols_ = std::move(*protocols);
        auto extensions = handshake::offered_extensions(*request_);
        if (extensions) offered_extensions_ = std::move(*extensions); // RFC 7692: decline what cannot be parsed
    }
    /// Bytes from the client; see the overload above.
    void feed(std::string_view bytes) { feed(bytes.data(), bytes.size()); }

    /// Where the handshake stands.
    upgrade_state state() const noexcept { return state_; }
    /// The request, once read (request_ready, open, or failed after reading it).
    const handshake::http_request* request() const noexcept { return request_ ? &*request_ : nullptr; }
    /// True when the request asks for a WebSocket upgrade (by any of its
    /// markers); false for a plain HTTP request, which respond() answers.
    bool is_upgrade() const noexcept { return is_upgrade_; }
    /// The client's Sec-WebSocket-Protocol offer, in its order.
    const std::vector<std::string>& offered_subprotocols() const noexcept { return offered_subprotocols_; }
    /// The client's Sec-WebSocket-Extensions offers; empty if the header was
    /// malformed, as such offers are declined rather than refused (RFC 7692).
    const std::vector<handshake::extension_offer>& offered_extensions() const noexcept { return offered_extensions_; }
    /// With failed: the HTTP status the request was refused with.
    int status() const noexcept { return status_; }
    /// The options, e.g. to set the extension negotiator of the endpoint the
    /// request turned out to be for, before accept().
    server_upgrade_options& options() noexcept { return options_; }
    /// Move the request out (request() must not be read afterwards); accept()
    /// and reject() still work, respond() then answers as to a GET.
    handshake::http_request release_request() { return std::move(*request_); }

    /// Accept the upgrade (request_ready, is_upgrade()): writes the 101
    /// response with `subprotocol` (one the client offered, or empty), the
    /// negotiated extension and `extra` headers. Without an explicit
    /// subprotocol the options' preference order picks one. Does nothing in
    /// any other state.
    void accept(std::optional<std::string> subprotocol = std::nullopt, const handshake::header_fields& extra = {}) {
        if (state_ != upgrade_state::request_ready || !is_upgrade_) return;
        subprotocol_ = subprotocol ? std::move(*subprotocol)
                                   : handshake::select_subprotocol(offered_subprotocols_, options_.subprotocols);
        std::string extension_header;
        if (options_.negotiate_extensions && !offered_extensions_.empty())
            extension_ = options_.negotiate_extensions(offered_extensions_, extension_header);
        if (!extension_) extension_header.clear();
        output_ += handshake::build_accept_response(key_, subprotocol_, extension_header, extra);
        state_ = upgrade_state::open;
    }

    /// Refuse the upgrade (or any request) with an HTTP status and a short body;
    /// the state becomes failed. Only in request_ready.
    void reject(int status, std::string_view body, const handshake::header_fields& extra = {}) {
        if (state_ != upgrade_state::request_ready) return;
        output_ += handshake::build_reject_response(status, body, extra);
        status_ = status;
        state_ = upgrade_state::failed;
    }

    /// Answer a plain HTTP request (not is_upgrade()); the connection ends after
    /// it. A HEAD request gets the headers without the body. Only in request_ready.
    void respond(int status, std::string_view body, std::string_view content_type = "text/plain; charset=utf-8",
                 const handshake::header_fields& headers = {}) {
        if (state_ != upgrade_state::request_ready) return;
        const bool head = request_ && request_->method() == "HEAD";
        output_ += handshake::build_http_response(status, head ? std::string_view{} : body, content_type, headers);
        status_ = status;
        state_ = upgrade_state::failed;
    }

    /// With open: the chosen subprotocol (empty for none).
    const std::string& subprotocol() const noexcept { return subprotocol_; }
    /// With open: the negotiated extension (null for none), for session::set_extension().
    const std::shared_ptr<extension>& negotiated_extension() const noexcept { return extension_; }

private:
    void fail(int status, std::string_view reason) {
        output_ += handshake::build_reject_response(status, reason);
        status_ = status;
        state_ = upgrade_state::failed;
    }

    server_upgrade_options options_;
    handshake::request_parser parser_;
    std::optional<handshake::http_request> request_;
    upgrade_state state_ = upgrade_state::reading;
    bool is_upgrade_ = false;
    int status_ = 0;
    std::string key_;
    std::vector<std::string> offered_subprotocols_;
    std::vector<handshake::extension_offer> offered_extensions_;
    std::string subprotocol_;
    std::shared_ptr<extension> extension_;
};

/// What a client asks for.
struct client_upgrade_options {
    handshake::client_request_options request; ///< host, target, origin, subprotocols, extension offer, headers
    handshake::http_limits http;               ///< response header limits
    /// Checks what the server accepted of `request.extensions` and makes the
    /// extension; null: a server that accepts any extension fails the handshake.
    extension_negotiator accept_extensions;
};

/// The client's side of the opening handshake, without I/O.
///
/// It has the output(), consume_output() and leftover() server_upgrade lists.
/// @par Thread safety
/// One thread at a time.
class client_upgrade : public detail::upgrade_io {
public:
    /// Writes the request (with a fresh Sec-WebSocket-Key) into output().
    explicit client_upgrade(client_upgrade_options options)
        : options_(std::move(options)), key_(handshake::generate_client_key()), parser_(options_.http) {
        output_ = handshake::build_client_request(options_.request, key_);
        handshake::for_each_list_element(options_.request.extensions, [this](std::string_view e) {
            offered_extensions_.emplace_back(handshake::trim_ows(e.substr(0, e.find(';'))));
        });
    }

    /// Bytes from the server. Once the response is read it is checked (RFC
    /// 6455 4.1): open, or failed with error(): error::handshake_failed for a
    /// status other than 101, error::bad_response for a 101 that does not fit
    /// the request or for bytes that are not an HTTP response.
    void feed(const void* data, std::size_t size) {
        if (state_ != upgrade_state::reading) {
            if (state_ == upgrade_state::open) keep(data, size);
            return;
        }
        const auto r = take(parser_, data, size);
        if (r.status == handshake::parse_result::need_more) return;
        if (r.status == handshake::parse_result::error) return fail(error::bad_response, std::string(r.reason));
        const auto& response = parser_.get();
        status_ = response.status();
        const auto check =
            handshake::check_upgrade_response(response, key_, options_.request.subprotocols, offered_extensions_);
        if (!check) return fail(status_ != 101 ? error::handshake_failed : error::bad_response, check.reason);
        subprotocol_ = check.subprotocol;
        if (!check.extensions.empty()) {
            std::string reason = "server accepted an extension that was not offered";
            if (options_.accept_extensions) extension_ = options_.accept_extensions(check.extensions, reason);
            if (!extension_) return fail(error::bad_response, reason);
        }
        state_ = upgrade_state::open;
    }
    /// Bytes from the server; see the overload above.
    void feed(std::string_view bytes) { feed(bytes.data(), bytes.size()); }

    /// Where the handshake stands.
    upgrade_state state() const noexcept { return state_; }
    /// With failed: why, error::handshake_failed or error::bad_response.
    error_code error() const noexcept { return error_; }
    /// With failed: a reason for logs.
    const std::string& reason() const noexcept { return reason_; }
    /// The response's status code, once read (0 before).
    int status() const noexcept { return status_; }
    /// The response, once read.
    const handshake::http_response& response() const noexcept { return parser_.get(); }
    /// With open: the server's subprotocol (empty for none).
    const std::string& subprotocol() const noexcept { return subprotocol_; }
    /// With open: the extension (null for none), for session::set_extension().
    const std::shared_ptr<extension>& negotiated_extension() const noexcept { return extension_; }

private:
    void fail(duplex::error e, std::string reason) {
        error_ = e;
        reason_ = std::move(reason);
        state_ = upgrade_state::failed;
    }

    client_upgrade_options options_;
    std::string key_;
    handshake::response_parser parser_;
    std::vector<std::string> offered_extensions_;
    upgrade_state state_ = upgrade_state::reading;
    error_code error_;
    std::string reason_;
    int status_ = 0;
    std::string subprotocol_;
    std::shared_ptr<extension> extension_;
};

} // namespace duplex::protocol
