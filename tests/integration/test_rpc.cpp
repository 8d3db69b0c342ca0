// JSON-RPC 2.0 over real loopback connections: calls both ways, events with
// acks, every error code, timeouts, close, the pending bound, batches, and
// malformed input sent as raw frames.
#include <duplex/duplex.hpp>

#include "support/catch.hpp"
#include "support/loopback.hpp"

#if defined(DUPLEX_HAS_JSON)
#include <duplex/rpc.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <string>
#include <vector>

using namespace duplex_test;
using namespace std::chrono_literals;
using json = nlohmann::json;

namespace {

// A connection's user data is its RPC session.
struct rpc_server_config : duplex::config::server {
    using user_data = std::shared_ptr<duplex::rpc::session<duplex::basic_connection<rpc_server_config>>>;
};
struct rpc_client_config : duplex::config::client {
    using user_data = std::shared_ptr<duplex::rpc::session<duplex::basic_connection<rpc_client_config>>>;
};
using server_type = duplex::basic_server<rpc_server_config>;
using client_type = duplex::basic_client<rpc_client_config>;
using server_session = duplex::rpc::session<server_type::connection_type>;
using client_session = duplex::rpc::session<client_type::connection_type>;

struct pair_of_ints {
    int a = 0, b = 0;
};
void from_json(const json& j, pair_of_ints& p) {
    j.at("a").get_to(p.a);
    j.at("b").get_to(p.b);
}

// The server side: methods, an event, and a call back to the client on open.
struct rpc_server {
    io_thread thread;
    server_type server{thread.io};
    std::shared_ptr<duplex::rpc::registry<>> methods = std::make_shared<duplex::rpc::registry<>>();
    std::promise<duplex::rpc::outcome> client_answer;
    std::atomic<bool> asked{false};
    stop_before_destruction stop_first{thread};

    explicit rpc_server(duplex::rpc::limits limits = {}) {
        methods->add("add", [](const std::vector<int>& xs) { return xs.at(0) + xs.at(1); });
        methods->add("add_named", [](const pair_of_ints& p) { return p.a + p.b; });
        methods->add("fail", [](const json&) -> int { throw duplex::rpc::rpc_error(42, "nope", {{"why", "test"}}); });
        methods->add("boom", [](const json&) -> int { throw std::runtime_error("unexpected"); });
        methods->add_async("later", [this](const json& params, duplex::rpc::responder reply) {
            auto timer = std::make_shared<asio::steady_timer>(thread.io, 30ms);
            timer->async_wait([timer, params, reply](duplex::error_code) mutable { reply.reply(params); });
        });
        methods->add_async("never", [](const json&, duplex::rpc::responder) {});
        methods->on("chat", [](const json& payload, auto ack) { ack(payload.dump().size()); });
        // One registry for every connection: handlers learn their caller.
        methods->add("whoami", [](const json&, const duplex::rpc::caller& from) {
            const auto c = from.connection<server_type::connection_type>();
            const bool other_type_is_null = from.connection<client_type::connection_type>() == nullptr;
            return json{{"target", c ? c->target() : "none"}, {"other_type_is_null", other_type_is_null}};
        });
        methods->add_async("whoami_later", [](const json&, duplex::rpc::responder reply) {
            const auto c = reply.from().connection<server_type::connection_type>();
            reply.reply(c ? c->target() : "none");
        });
        methods->on("whoami_event", [](const json&, auto ack, const duplex::rpc::caller& from) {
            const auto c = from.connection<server_type::connection_type>();
            ack(c ? c->target() : "none");
        });
        auto& ep = server.route("/rpc");
        ep.on_open = [this, limits](const auto& c) {
            c->data() = server_session::make(c, methods, limits);
            if (c->target() == "/rpc?ask" && !asked.exchange(true))
                c->data()->call("client.name", nullptr,
                                [this](const duplex::rpc::outcome& o) { client_answer.set_value(o); });
        };
        ep.on_message = [](const auto& c, const duplex::message& m) { c->data()->handle(m); };
        ep.on_close = [](const auto& c, const duplex::close_info&) { c->data()->close(); };
        REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    }
    std::string url(const char* query = "") const {
        return "ws://127.0.0.1:" + std::to_string(server.port()) + "/rpc" + query;
    }
};

// Runs `script(session, connection)` on a connected client and the io_context
// until `finish()` is called or 10 s pass.
template <class Script>
void with_client(const std::string& url, Script script, duplex::rpc::limits limits = {}) {
    asio::io_context io{1};
    client_type client{io};
    auto methods = std::make_shared<duplex::rpc::registry<>>();
    methods->add("client.name", [](const json&) { return std::string("tester"); });
    client_type::handlers_type h;
    h.on_open = [&](const auto& c) {
        c->data() = client_session::make(c, methods, limits);
        script(*c->data(), c, [&io] { io.stop(); });
    };
    h.on_message = [](const auto& c, const duplex::message& m) { c->data()->handle(m); };
    h.on_close = [](const auto& c, const duplex::close_info&) {
        if (c->data()) c->data()->close();
    };
    client.connect(url, h);
    io.run_for(10s);
}

// Raw frames in, the server's JSON out.
struct raw_rpc {
    raw_client raw;
    explicit raw_rpc(std::uint16_t port) : raw(port) {
        REQUIRE(raw.upgrade("/rpc").find(" 101 ") != std::string::npos);
    }
    void send(const std::string& text) { raw.send(client_frame(0x1, text)); }
    json ask(const std::string& text) {
        send(text);
        return next();
    }
    json next() {
        const auto frame = raw.read_frame();
        REQUIRE(frame.first == 1);
        return json::parse(frame.second);
    }
};

} // namespace

TEST_CASE("rpc: calls in both directions, typed params, application and internal errors", "[integration][rpc]") {
    rpc_server s;
    std::map<std::string, duplex::rpc::outcome> results;
    with_client(s.url("?ask"), [&](client_session& rpc, const auto&, auto finish) {
        auto remaining = std::make_shared<int>(11);
        const auto record = [&, remaining, finish](const std::string& name) {
            return [&, remaining, finish, name](const duplex::rpc::outcome& o) {
                results[name] = o;
                if (--*remaining == 0) finish();
            };
        };
        rpc.call("add", {2, 3}, record("add"));
        rpc.call("add_named", {{"a", 40}, {"b", 2}}, record("add_named"));
        rpc.call("add", {{"a", 1}}, record("bad params"));
        rpc.call("missing", nullptr, record("missing"));
        rpc.call("fail", nullptr, record("fail"));
        rpc.call("boom", nullptr, record("boom"));
        rpc.call("later", {{"k", "v"}}, record("later"));
        rpc.emit("chat", "hello", record("ack"));
        rpc.call("whoami", nullptr, record("whoami"));
        rpc.call("whoami_later", nullptr, record("whoami_later"));
        rpc.emit("whoami_event", nullptr, record("whoami_event"));
    });
    REQUIRE(results.size() == 11);
    CHECK(results["whoami"].result == json{{"target", "/rpc?ask"}, {"other_type_is_null", true}});
    CHECK(results["whoami_later"].result == "/rpc?ask");
    CHECK(results["whoami_event"].result == "/rpc?ask");
    CHECK(results["add"].ok);
    CHECK(results["add"].result == 5);
    CHECK(results["add_named"].result == 42);
    CHECK(results["bad params"].error.code == duplex::rpc::code::invalid_params);
    CHECK(results["missing"].error.code == duplex::rpc::code::method_not_found);
    CHECK(results["fail"].error.code == 42);
    CHECK(results["fail"].error.message == "nope");
    CHECK(results["fail"].error.data == json{{"why", "test"}});
    CHECK(results["boom"].error.code == duplex::rpc::code::internal_error);
    CHECK(results["later"].result == json{{"k", "v"}});
    CHECK(results["ack"].ok);
    CHECK(results["ack"].result == 7); // "\"hello\"" is 7 bytes
    // The server called the client's method on open.
    auto answer = s.client_answer.get_future();
    REQUIRE(answer.wait_for(5s) == std::future_status::ready);
    const auto o = answer.get();
    CHECK(o.ok);
    CHECK(o.result == "tester");
}

TEST_CASE("rpc: timeouts, the pending-call bound, and calls failing when the connection closes", "[integration][rpc]") {
    rpc_server s;
    std::vector<duplex::rpc::outcome> outcomes;
    duplex::rpc::limits limits;
    limits.max_pending = 3;
    with_client(
        s.url(),
        [&](client_session& rpc, const auto& c, auto finish) {
            rpc.call(
                "never", nullptr, [&](const duplex::rpc::outcome& o) { outcomes.push_back(o); }, 100ms);
            rpc.call(
                "never", nullptr, [&](const duplex::rpc::outcome& o) { outcomes.push_back(o); }, 60s);
            rpc.call(
                "never", nullptr, [&](const duplex::rpc::outcome& o) { outcomes.push_back(o); }, 60s);
            // A fourth while three are pending: refused at once.
            rpc.call(
                "never", nullptr, [&](const duplex::rpc::outcome& o) { outcomes.push_back(o); }, 60s);
            // After the timeout, close: the two left fail with connection_closed.
            auto timer = std::make_shared<asio::steady_timer>(c->get_executor(), 300ms);
            timer->async_wait([timer, c, finish](duplex::error_code) {
                c->close();
                auto done = std::make_shared<asio::steady_timer>(c->get_executor(), 300ms);
                done->async_wait([done, finish](duplex::error_code) { finish(); });
            });
        },
        limits);
    REQUIRE(outcomes.size() == 4);
    CHECK(outcomes[0].error.code == duplex::rpc::code::too_many_pending);
    CHECK(outcomes[1].error.code == duplex::rpc::code::timeout);
    CHECK(outcomes[2].error.code == duplex::rpc::code::connection_closed);
    CHECK(outcomes[3].error.code == duplex::rpc::code::connection_closed);
}

TEST_CASE("rpc: malformed input gets the right error and the server keeps serving", "[integration][rpc][attacks]") {
    rpc_server s;
    raw_rpc r(s.server.port());
    const auto is_error = [](const json& j, int code, const json& id) {
        return j.is_object() && j.value("jsonrpc", "") == "2.0" && j.contains("error") &&
               j["error"].value("code", 0) == code && j["id"] == id;
    };
    CHECK(is_error(r.ask("not json"), -32700, nullptr));
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":1,"id":1})"), -32600, 1));
    CHECK(is_error(r.ask(R"({"jsonrpc":"1.0","method":"add","id":2})"), -32600, 2));
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":"x","id":3})"), -32600, 3));
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1180591620717411303424})"), -32600,
                   nullptr)); // 2^70 is no valid id
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":")" + std::string(1000, 'x') + "\"}"),
                   -32600, nullptr));
    const auto huge = r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":1e400})");
    CHECK((is_error(huge, -32700, nullptr) || is_error(huge, -32600, nullptr)));
    CHECK(is_error(r.ask(std::string(100000, '[') + std::string(100000, ']')), -32600, nullptr)); // too deep
    CHECK(is_error(r.ask("[]"), -32600, nullptr));
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":["a","b"],"id":"s"})"), -32602, "s"));
    // Floating-point numbers an int cannot hold are invalid params, not undefined behaviour (UBSan in CI).
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1e300,1],"id":4})"), -32602, 4));
    CHECK(is_error(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1,-2147483649.0],"id":5})"), -32602, 5));
    CHECK(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[2.0,-2147483648.5],"id":6})")["result"] == -2147483646);

    // A batch: a call, a notification, garbage, an unknown method.
    const auto batch = r.ask(R"([{"jsonrpc":"2.0","method":"add","params":[1,2],"id":1},
                                 {"jsonrpc":"2.0","method":"add","params":[3,4]},
                                 {"foo":"bar"},
                                 {"jsonrpc":"2.0","method":"nope","id":"x"},
                                 {"jsonrpc":"2.0","method":"later","params":[9],"id":2}])");
    REQUIRE(batch.is_array());
    REQUIRE(batch.size() == 4);
    std::map<std::string, json> by_id;
    for (const auto& response : batch)
        by_id[response["id"].dump()] = response;
    CHECK(by_id["1"]["result"] == 3);
    CHECK(by_id["2"]["result"] == json{9}); // the asynchronous one, answered in the same batch
    CHECK(by_id["\"x\""]["error"]["code"] == -32601);
    CHECK(by_id["null"]["error"]["code"] == -32600);
    // Notifications get nothing back, in a batch or alone; the next frame answers the call after them.
    r.send(R"([{"jsonrpc":"2.0","method":"add","params":[1,1]},{"jsonrpc":"2.0","method":"x"}])");
    r.send(R"({"jsonrpc":"2.0","method":"nope"})");
    CHECK(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[5,5],"id":7})")["result"] == 10);
    std::string big = "[";
    for (int i = 0; i < 101; ++i)
        big += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"add","params":[1,1],"id":1})";
    CHECK(is_error(r.ask(big + "]"), -32600, nullptr)); // over max_batch
    // A response nobody asked for is ignored.
    r.send(R"({"jsonrpc":"2.0","result":1,"id":12345})");
    CHECK(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[2,2],"id":8})")["result"] == 4);
}

TEST_CASE("rpc: a flood of requests is bounded per connection", "[integration][rpc][attacks]") {
    duplex::rpc::limits limits;
    limits.max_pending = 5;
    rpc_server s(limits);
    raw_rpc r(s.server.port());
    std::string batch = "[";
    for (int i = 0; i < 8; ++i)
        batch += std::string(i ? "," : "") + R"({"jsonrpc":"2.0","method":"never","id":)" + std::to_string(i) + "}";
    r.send(batch + "]");
    // Five are held (never answered); the other three are refused at once, in a batch of their own...
    // but a batch is answered only when complete, so ask alone to see the bound.
    const auto refused = r.ask(R"({"jsonrpc":"2.0","method":"never","id":"one more"})");
    CHECK(refused["error"]["code"] == duplex::rpc::code::too_many_pending);
    CHECK(refused["id"] == "one more");
    CHECK(r.ask(R"({"jsonrpc":"2.0","method":"add","params":[1,2],"id":9})")["error"]["code"] ==
          duplex::rpc::code::too_many_pending);
}

namespace {
// Another codec: nlohmann's ordered_json keeps members in writing order, so the
// wire shows that every value the session built went through this codec.
using ordered_codec = duplex::rpc::basic_nlohmann_codec<nlohmann::ordered_json>;
struct ordered_server_config : duplex::config::server {
    using user_data =
        std::shared_ptr<duplex::rpc::basic_session<duplex::basic_connection<ordered_server_config>, ordered_codec>>;
};
} // namespace

TEST_CASE("rpc: the JSON library is a codec policy", "[integration][rpc]") {
    io_thread thread;
    duplex::basic_server<ordered_server_config> server{thread.io};
    auto methods = std::make_shared<duplex::rpc::registry<ordered_codec>>();
    methods->add("pair", [](const std::vector<int>& xs) {
        nlohmann::ordered_json out;
        out["z"] = xs.at(0); // written first, so it stays first
        out["a"] = xs.at(1);
        return out;
    });
    stop_before_destruction stop_first{thread};
    auto& ep = server.route("/rpc");
    ep.on_open = [methods](const auto& c) { c->data() = std::decay_t<decltype(*c->data())>::make(c, methods); };
    ep.on_message = [](const auto& c, const duplex::message& m) { c->data()->handle(m); };
    REQUIRE_FALSE(server.listen(0, "127.0.0.1"));
    raw_rpc r(server.port());
    r.send(R"({"jsonrpc":"2.0","method":"pair","params":[1,2],"id":5})");
    const auto frame = r.raw.read_frame();
    CHECK(frame.second == R"({"jsonrpc":"2.0","result":{"z":1,"a":2},"id":5})");
}

#endif // DUPLEX_HAS_JSON
