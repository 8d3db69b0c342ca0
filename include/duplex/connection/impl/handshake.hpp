// basic_connection<Config>, definitions. The opening handshake, server side (read the request into
// server_upgrade) and client side (write the request, read the 101 through client_upgrade).
#pragma once

#include <duplex/config/system_error.hpp>
#include <duplex/connection/connection.hpp>

#include <cstring>

#include <utility>

namespace duplex {

// ---- server handshake --------------------------------------------------------

template <class Config>
void basic_connection<Config>::start_server(request_callback on_request, const protocol::session_options& limits) {
    handshake_->on_request = std::move(on_request);
    handshake_->upgrade.emplace();
    session_.options() = limits;
    transport_type::prepare(transport_type::lowest_layer(socket_));
    arm_timer(Config::handshake_timeout); // covers the TLS handshake too
    transport_type::async_handshake(socket_, true, std::string{}, [self = this->shared_from_this()](error_code ec) {
        if (self->phase_ != phase::handshake) return;
        if (ec) return self->finish(ec);
        self->read_request();
    });
}

// The request goes through the sans-I/O server_upgrade (limits, RFC 6455 4.2.1
// checks); this reads it into the session's input buffer, so frames sent right
// behind it stay there for the session. The server decides (route, hooks).
template <class Config>
void basic_connection<Config>::read_request() {
    auto* buffer = session_.input_buffer(4096);
    socket_.async_read_some(asio::buffer(buffer, 4096),
                            [self = this->shared_from_this(), buffer](error_code ec, std::size_t n) {
                                if (self->phase_ != phase::handshake) return;
                                if (ec) return self->finish(ec);
                                auto& upgrade = *self->handshake_->upgrade;
                                upgrade.feed(buffer, n);
                                if (upgrade.state() == protocol::upgrade_state::reading) return self->read_request();
                                if (!upgrade.request()) { // the header block broke HTTP or its limits
                                    if constexpr (metrics_type::enabled)
                                        self->metrics_->handshake_rejected(upgrade.status());
                                    return self->respond_and_close(std::string(upgrade.output()));
                                }
                                const std::size_t leftover = upgrade.leftover().size();
                                if (leftover != 0) std::memmove(buffer, buffer + n - leftover, leftover);
                                self->session_.commit_input(leftover);
                                self->target_ = std::string(upgrade.request()->target());
                                const auto on_request = std::move(self->handshake_->on_request);
                                on_request(self);
                            });
}

template <class Config>
void basic_connection<Config>::respond_and_close(std::string response) {
    phase_ = phase::closing;
    handshake_.reset();
    queue_bytes(response);
    session_.transport_closed(); // no WebSocket session follows
    start_write();
}

template <class Config>
void basic_connection<Config>::accept(std::shared_ptr<const handlers_type> handlers,
                                      const protocol::session_options& options) {
    auto& upgrade = *handshake_->upgrade; // accepted: holds the 101
    subprotocol_ = upgrade.subprotocol();
    extension_ = upgrade.negotiated_extension();
    queue_bytes(upgrade.output());
    handshake_.reset(); // an open connection keeps no handshake memory
    handlers_ = std::move(handlers);
    session_.options() = options;
    session_.set_extension(extension_.get());
    open_and_read(0);
}

// ---- client handshake --------------------------------------------------------

template <class Config>
void basic_connection<Config>::start_client(protocol::client_upgrade_options upgrade,
                                            std::shared_ptr<const handlers_type> handlers,
                                            protocol::session_options options, std::string tls_host) {
    handlers_ = std::move(handlers);
    session_.options() = options;
    target_ = upgrade.request.target;
    transport_type::describe_peer(transport_type::lowest_layer(socket_), remote_address_,
                                  remote_port_); // connected now
    auto& client = handshake_->upgrade.emplace(std::move(upgrade));
    transport_type::prepare(transport_type::lowest_layer(socket_));
    arm_timer(Config::handshake_timeout);
    queue_bytes(client.output());
    client.consume_output(client.output().size());
    transport_type::async_handshake(socket_, false, tls_host, [self = this->shared_from_this()](error_code ec) {
        if (self->phase_ != phase::handshake) return;
        if (ec) return self->finish(ec);
        self->start_write();
        self->read_response();
    });
}

// The server's answer goes through the sans-I/O client_upgrade (RFC 6455 4.1
// checks, subprotocol, extensions); this reads it into the session's input
// buffer, so frames behind it stay there for the session.
template <class Config>
void basic_connection<Config>::read_response() {
    auto* buffer = session_.input_buffer(4096);
    socket_.async_read_some(
        asio::buffer(buffer, 4096), [self = this->shared_from_this(), buffer](error_code ec, std::size_t n) {
            if (self->phase_ != phase::handshake) return;
            if (ec) return self->finish(ec);
            auto& client = *self->handshake_->upgrade;
            client.feed(buffer, n);
            self->handshake_status_ = client.status();
            switch (client.state()) {
            case protocol::upgrade_state::open: break;
            case protocol::upgrade_state::failed:
                detail::log<typename Config::logger>(log_level::warning, [&] { return client.reason(); });
                return self->finish(client.error());
            default: return self->read_response();
            }
            self->subprotocol_ = client.subprotocol();
            self->extension_ = client.negotiated_extension();
            if (self->extension_) self->session_.set_extension(self->extension_.get());
            // What came behind the response is the end of this read: the first frames.
            const std::size_t leftover = client.leftover().size();
            if (leftover != 0) std::memmove(buffer, buffer + n - leftover, leftover);
            self->session_.commit_input(leftover);
            self->handshake_.reset(); // an open connection keeps no handshake memory
            self->open_and_read(leftover);
        });
}

} // namespace duplex
