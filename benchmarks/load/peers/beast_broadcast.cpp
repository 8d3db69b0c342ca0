// Boost.Beast 1.74 fan-out server for the broadcast benchmark, written the way
// Beast's own examples broadcast: a set of sessions, each with a queue of
// shared messages written one at a time; every message received goes to all.
//   beast_broadcast [--port P]   prints "listening on 127.0.0.1:PORT"
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/websocket.hpp>

#include <cstdio>
#include <deque>
#include <memory>
#include <set>
#include <string>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
using tcp = asio::ip::tcp;

class session;
std::set<session*> sessions;

class session : public std::enable_shared_from_this<session> {
public:
    explicit session(tcp::socket socket) : ws_(std::move(socket)) {}
    ~session() { sessions.erase(this); }
    void run() {
        ws_.async_accept([self = shared_from_this()](beast::error_code ec) {
            if (ec) return;
            sessions.insert(self.get());
            self->read();
        });
    }
    void send(const std::shared_ptr<const std::string>& message, bool text) {
        queue_.push_back(message);
        text_ = text;
        if (queue_.size() == 1) write();
    }

private:
    void read() {
        ws_.async_read(buffer_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            const auto message = std::make_shared<const std::string>(beast::buffers_to_string(self->buffer_.data()));
            self->buffer_.consume(self->buffer_.size());
            const bool text = self->ws_.got_text();
            for (auto* s : sessions)
                s->send(message, text);
            self->read();
        });
    }
    void write() {
        ws_.text(text_);
        ws_.async_write(asio::buffer(*queue_.front()), [self = shared_from_this()](beast::error_code ec, std::size_t) {
            if (ec) return;
            self->queue_.pop_front();
            if (!self->queue_.empty()) self->write();
        });
    }
    websocket::stream<beast::tcp_stream> ws_;
    beast::flat_buffer buffer_;
    std::deque<std::shared_ptr<const std::string>> queue_;
    bool text_ = false;
};

int main(int argc, char** argv) {
    unsigned short port = 0;
    for (int i = 1; i + 1 < argc; ++i)
        if (std::string(argv[i]) == "--port") port = static_cast<unsigned short>(std::stoi(argv[i + 1]));
    asio::io_context io{1};
    tcp::acceptor acceptor(io, {asio::ip::make_address("127.0.0.1"), port});
    std::printf("listening on 127.0.0.1:%u\n", acceptor.local_endpoint().port());
    std::fflush(stdout);
    std::function<void()> accept = [&] {
        acceptor.async_accept([&](beast::error_code ec, tcp::socket socket) {
            if (!ec) {
                socket.set_option(tcp::no_delay(true));
                std::make_shared<session>(std::move(socket))->run();
            }
            accept();
        });
    };
    accept();
    io.run();
}
