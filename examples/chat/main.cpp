// chat_server: a multi-room chat that serves its own page at "/".
//
//   chat_server [--host H] [--port P] [--secret S] [--token-ttl SECONDS] [--redis HOST:PORT]
//               [--no-deflate]
//
// POST /login?name=NAME answers {"name","token","expires"} (and sets the token
// as a cookie for /ws); the WebSocket endpoint /ws wants that token in the
// query (?token=...) or the cookie, and answers 401 before the upgrade without
// a valid one. Rooms, history, resume and rate limits: see chat_service.hpp.
// With --redis, servers sharing a Redis share their rooms (give them the same
// --secret so a token from one works on all). Messages are compressed with
// permessage-deflate when the browser offers it (every current one does): chat
// traffic is JSON text, which shrinks to a third or less. --no-deflate: never.
//
// Prints "listening on HOST:PORT" once ready. SIGINT/SIGTERM close every
// connection with 1001 and exit 0.
#include "chat_service.hpp"
#include "common/cli.hpp"
#include "common/signals.hpp"
#include "page.hpp"
#include "token.hpp"

#include <duplex/duplex.hpp>
#if DUPLEX_HAS_ZLIB
#include <duplex/server/deflate_negotiator.hpp>
#endif

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace {

using namespace example::chat;

struct options {
    std::string host = "127.0.0.1";
    std::uint16_t port = 8080;
    std::string secret; // empty: a random one per run
    long long token_ttl = 3600;
    std::string redis;      // HOST:PORT, empty: no backplane
    std::string redis_host; // --redis taken apart
    std::uint16_t redis_port = 0;
    bool deflate = true;
};

options parse(int argc, char** argv) {
    options o;
    example::command_line cli("chat_server", "[--host H] [--port P] [--secret S] [--token-ttl SECONDS] "
                                             "[--redis HOST:PORT] [--no-deflate]");
    cli.option("--host", o.host);
    cli.option("--port", o.port);
    cli.option("--secret", o.secret);
    cli.option("--token-ttl", o.token_ttl, 0);
    cli.option("--redis", o.redis);
    cli.flag("--no-deflate", o.deflate, false);
    cli.parse(argc, argv);
    if (!o.redis.empty()) {
#if defined(DUPLEX_HAS_REDIS)
        const auto colon = o.redis.rfind(':');
        std::optional<std::uint16_t> port;
        if (colon != std::string::npos) port = example::to_number<std::uint16_t>(o.redis.substr(colon + 1));
        if (!port) cli.fail("--redis wants HOST:PORT");
        o.redis_host = o.redis.substr(0, colon);
        o.redis_port = *port;
#else
        cli.fail("built without the Redis backplane (hiredis)");
#endif
    }
    return o;
}

std::string json_response_body(const nlohmann::json& j) {
    return j.dump() + "\n";
}

// POST /login?name=NAME: a signed token for NAME.
duplex::http_response login(const duplex::handshake::http_request& request, const token_signer& signer) {
    duplex::http_response response;
    response.content_type = "application/json";
    response.headers.emplace_back("Cache-Control", "no-store");
    if (request.method() != "POST") {
        response.status = 405;
        response.headers.emplace_back("Allow", "POST");
        response.body = json_response_body({{"error", "use POST"}});
        return response;
    }
    // Valid names need no percent-decoding; an encoded character makes the name invalid.
    std::string_view name;
    const auto query = request.query();
    for (std::size_t pos = 0; pos <= query.size();) {
        auto end = query.find('&', pos);
        if (end == std::string_view::npos) end = query.size();
        const auto pair = query.substr(pos, end - pos);
        if (pair.substr(0, 5) == "name=") name = pair.substr(5);
        pos = end + 1;
    }
    if (!is_valid_user_name(name)) {
        response.status = 400;
        response.body = json_response_body({{"error", "names are 1-32 of A-Z, a-z, 0-9, _ and -"}});
        return response;
    }
    const auto issued = signer.issue(name);
    response.headers.emplace_back("Set-Cookie", "chat_token=" + issued.token + "; Path=/ws; HttpOnly; SameSite=Strict");
    response.body = json_response_body({{"name", name}, {"token", issued.token}, {"expires", issued.expires}});
    return response;
}

std::string random_epoch() {
    unsigned char bytes[9];
    if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("RAND_bytes failed");
    return base64url(bytes, sizeof bytes);
}

int run(const options& o) {
    asio::io_context io(ASIO_CONCURRENCY_HINT_UNSAFE_IO);
    chat_server server{io};
    const token_signer signer(o.secret, std::chrono::seconds(o.token_ttl));
    chat_service chat(io, random_epoch());
#if defined(DUPLEX_HAS_REDIS)
    if (!o.redis.empty()) {
        duplex::pubsub::redis_options redis;
        redis.host = o.redis_host;
        redis.port = o.redis_port;
        redis.prefix = "duplex-chat:";
        chat.enable_backplane(redis);
    }
#endif

    auto& ws = server.route("/ws");
    ws.on_upgrade = [&signer](duplex::upgrade_request<connection>& request) {
        // A page from another site must not open a socket with this site's cookie.
        if (!request.is_same_origin()) return request.reject(403, "cross-origin WebSocket refused");
        auto token = request.query_param("token");
        if (token.empty()) token = request.cookie("chat_token");
        auto name = signer.verify(token);
        if (!name) return request.reject(401, "missing, invalid or expired token", {{"Cache-Control", "no-store"}});
        request.data().name = std::move(*name);
    };
#if DUPLEX_HAS_ZLIB
    if (o.deflate) ws.negotiate_extensions = duplex::extensions::deflate_negotiator();
#endif
    ws.on_open = [&chat](const connection_ptr& c) { chat.on_open(c); };
    ws.on_message = [&chat](const connection_ptr& c, const duplex::message& m) { chat.on_message(c, m); };
    ws.on_close = [&chat](const connection_ptr& c, const duplex::close_info&) { chat.on_close(*c); };

    server.on_http([&signer](const duplex::handshake::http_request& request) {
        duplex::http_response response;
        if (request.path() == "/" || request.path() == "/index.html") {
            response.content_type = "text/html; charset=utf-8";
            response.headers.emplace_back("Content-Security-Policy",
                                          "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'");
            response.body = std::string(example::chat_page);
        } else if (request.path() == "/login") {
            response = login(request, signer);
        } else if (request.path() == "/health") {
            response.body = "ok\n";
        } else {
            response.status = 404;
            response.body = "not found\n";
        }
        return response;
    });

    example::stop_on_signals signals(io, [&] {
        chat.stop();
        server.stop(); // close 1001, then io.run() returns when all are gone
    });

    if (const auto ec = server.listen(o.port, o.host)) {
        std::fprintf(stderr, "chat_server: cannot listen on %s: %s\n", example::host_port(o.host, o.port).c_str(),
                     ec.message().c_str());
        return 1;
    }
    example::print_listening(o.host, server.port());
    std::fprintf(stderr, "open http://%s/ in a browser\n", example::host_port(o.host, server.port()).c_str());

    io.run();
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    return run(parse(argc, argv));
}
