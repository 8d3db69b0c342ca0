// Boost.Beast 1.74 echo server for comparison: default options.
//   beast_echo [--port P] [--threads N] [--tls-cert FILE --tls-key FILE]
//              [--deflate | --deflate-level1]   prints "listening on 127.0.0.1:PORT"
// --deflate enables permessage-deflate with Beast's defaults (zlib level 8,
// memLevel 4); --deflate-level1 with zlib level 1, memLevel 8 (duplex's
// defaults), every other Beast option left at its default.
// One thread runs as before (io_context hint 1, no strands); with N threads each
// session lives on a strand, as Beast's multi-threaded examples do. TLS is
// beast::ssl_stream (OpenSSL), as in Beast's websocket_server_async_ssl example;
// it is compiled in when DUPLEX_BEAST_TLS is defined.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>
#if DUPLEX_BEAST_TLS
#include <boost/asio/ssl.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket/ssl.hpp>
#endif

#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

template <class Stream>
class session : public std::enable_shared_from_this<session<Stream>> {
public:
    template <class... Args>
    session(int deflate, Args&&... args) : ws_(std::forward<Args>(args)...) {
        if (deflate) {
            websocket::permessage_deflate pmd;
            pmd.server_enable = true;
            if (deflate == 2) {
                pmd.compLevel = 1;
                pmd.memLevel = 8;
            }
            ws_.set_option(pmd);
        }
    }
    void run() {
#if DUPLEX_BEAST_TLS
        if constexpr (!std::is_same_v<Stream, beast::tcp_stream>) {
            ws_.next_layer().async_handshake(asio::ssl::stream_base::server,
                                             [self = this->shared_from_this()](beast::error_code ec) {
                                                 if (!ec) self->accept();
                                             });
            return;
        }
#endif
        accept();
    }

private:
    void accept() {
        ws_.async_accept([self = this->shared_from_this()](beast::error_code ec) {
            if (!ec) self->read();
        });
    }
    void read() {
        ws_.async_read(buffer_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->ws_.text(self->ws_.got_text());
            self->ws_.async_write(self->buffer_.data(), [self](beast::error_code ec2, std::size_t) {
                if (ec2) return;
                self->buffer_.consume(self->buffer_.size());
                self->read();
            });
        });
    }
    websocket::stream<Stream> ws_;
    beast::flat_buffer buffer_;
};

int main(int argc, char** argv) {
    unsigned short port = 0;
    int deflate = 0; // 1: Beast's defaults, 2: level 1
    int threads = 1;
    std::string cert, key;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const bool has_value = i + 1 < argc;
        if (a == "--port" && has_value) port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        if (a == "--threads" && has_value) threads = std::max(1, std::stoi(argv[i + 1]));
        if (a == "--tls-cert" && has_value) cert = argv[i + 1];
        if (a == "--tls-key" && has_value) key = argv[i + 1];
        if (a == "--deflate") deflate = 1;
        if (a == "--deflate-level1") deflate = 2;
    }
    asio::io_context io{threads};
#if DUPLEX_BEAST_TLS
    asio::ssl::context tls{asio::ssl::context::tls_server};
    if (!cert.empty()) {
        tls.use_certificate_chain_file(cert);
        tls.use_private_key_file(key, asio::ssl::context::pem);
    }
#else
    if (!cert.empty()) {
        std::fprintf(stderr, "beast_echo: built without TLS\n");
        return 2;
    }
#endif
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    std::function<void()> accept = [&] {
        const auto on_accept = [&](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true));
#if DUPLEX_BEAST_TLS
                if (!cert.empty()) {
                    std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(deflate, std::move(socket), tls)
                        ->run();
                    accept();
                    return;
                }
#endif
                std::make_shared<session<beast::tcp_stream>>(deflate, std::move(socket))->run();
            }
            accept();
        };
        if (threads > 1)
            acceptor.async_accept(asio::make_strand(io), on_accept);
        else
            acceptor.async_accept(on_accept);
    };
    accept();
    std::vector<std::thread> workers;
    for (int i = 1; i < threads; ++i)
        workers.emplace_back([&io] { io.run(); });
    io.run();
    for (auto& t : workers)
        t.join();
}
