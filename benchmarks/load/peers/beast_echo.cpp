// Boost.Beast 1.74 echo server for comparison: default options, one thread.
//   beast_echo [--port P] [--deflate | --deflate-level1]   prints "listening on 127.0.0.1:PORT"
// --deflate enables permessage-deflate with Beast's defaults (zlib level 8,
// memLevel 4); --deflate-level1 with zlib level 1, memLevel 8 (duplex's
// defaults), every other Beast option left at its default.
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <memory>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, int deflate) : ws_(std::move(socket)) {
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
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (!ec) self->read();
        });
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->ws_.text(self->ws_.got_text());
            self->ws_.async_write(self->buffer_.data(), [self](beast::error_code ec2, std::size_t) {
                if (ec2) return;
                self->buffer_.consume(self->buffer_.size());
                self->read();
            });
        });
    }
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
};

int main(int argc, char** argv) {
    unsigned short port = 0;
    int deflate = 0; // 1: Beast's defaults, 2: level 1
    for (int i = 1; i < argc; ++i) {
        if (std::string(argv[i]) == "--port" && i + 1 < argc)
            port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
        if (std::string(argv[i]) == "--deflate") deflate = 1;
        if (std::string(argv[i]) == "--deflate-level1") deflate = 2;
    }
    asio::io_context io{1};
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    std::function<void()> accept = [&] {
        acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true));
                std::make_shared<session>(std::move(socket), deflate)->run();
            }
            accept();
        });
    };
    accept();
    io.run();
}
