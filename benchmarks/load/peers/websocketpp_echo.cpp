// websocketpp 0.8.2 echo server for comparison (Debian's libwebsocketpp-dev, on
// Boost.Asio): the stock asio config, as websocketpp's echo_server example,
// with its logging off (log I/O is not the library's cost) and TCP_NODELAY on.
//   websocketpp_echo [--port P] [--threads N] [--tls-cert FILE --tls-key FILE] [--broadcast]
//   prints "listening on 127.0.0.1:PORT"
// --broadcast: every message received goes to every connection (the sender
// too), as websocketpp's broadcast_server example does it: a set of handles and
// server::send of the received message to each.
// With N threads the io_service runs on all of them; websocketpp's asio config
// puts every connection on a strand of its own.
#include <websocketpp/config/asio.hpp>
#include <websocketpp/server.hpp>

#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {
struct options {
    unsigned short port = 0;
    int threads = 1;
    std::string cert, key;
    bool broadcast = false;
};

template <class Config>
int serve(const options& o) {
    using server = websocketpp::server<Config>;
    server s;
    s.clear_access_channels(websocketpp::log::alevel::all);
    s.clear_error_channels(websocketpp::log::elevel::all);
    s.init_asio();
    s.set_reuse_addr(true);
    s.set_tcp_pre_init_handler([&s](websocketpp::connection_hdl hdl) { // accepted, before TLS and the upgrade
        boost::system::error_code ignored;
        s.get_con_from_hdl(hdl)->get_raw_socket().lowest_layer().set_option(boost::asio::ip::tcp::no_delay(true),
                                                                            ignored);
    });
    if constexpr (std::is_same_v<Config, websocketpp::config::asio_tls>) {
        s.set_tls_init_handler([&o](websocketpp::connection_hdl) {
            auto context =
                websocketpp::lib::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
            context->use_certificate_chain_file(o.cert);
            context->use_private_key_file(o.key, boost::asio::ssl::context::pem);
            return context;
        });
    }
    std::set<websocketpp::connection_hdl, std::owner_less<websocketpp::connection_hdl>> everyone; // one thread
    if (o.broadcast) {
        s.set_open_handler([&everyone](websocketpp::connection_hdl hdl) { everyone.insert(hdl); });
        s.set_close_handler([&everyone](websocketpp::connection_hdl hdl) { everyone.erase(hdl); });
        s.set_message_handler([&s, &everyone](websocketpp::connection_hdl, typename server::message_ptr message) {
            websocketpp::lib::error_code ec;
            for (const auto& each : everyone)
                s.send(each, message, ec);
        });
    } else {
        s.set_message_handler([&s](websocketpp::connection_hdl hdl, typename server::message_ptr message) {
            websocketpp::lib::error_code ec;
            s.send(hdl, message->get_payload(), message->get_opcode(), ec);
        });
    }
    s.listen(boost::asio::ip::tcp::endpoint(boost::asio::ip::address::from_string("127.0.0.1"), o.port));
    s.start_accept();
    websocketpp::lib::asio::error_code ec;
    const auto endpoint = s.get_local_endpoint(ec);
    if (ec) {
        std::fprintf(stderr, "websocketpp_echo: %s\n", ec.message().c_str());
        return 1;
    }
    std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(endpoint.port()));
    std::fflush(stdout);
    std::vector<std::thread> workers;
    for (int i = 1; i < o.threads; ++i)
        workers.emplace_back([&s] { s.run(); });
    s.run();
    for (auto& t : workers)
        t.join();
    return 0;
}
} // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--broadcast") o.broadcast = true;
        if (i + 1 >= argc) break;
        if (a == "--port") o.port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        if (a == "--threads") o.threads = std::max(1, std::stoi(argv[i + 1]));
        if (a == "--tls-cert") o.cert = argv[i + 1];
        if (a == "--tls-key") o.key = argv[i + 1];
    }
    if (o.broadcast) o.threads = 1; // the set of handles has no lock
    return o.cert.empty() ? serve<websocketpp::config::asio>(o) : serve<websocketpp::config::asio_tls>(o);
}
