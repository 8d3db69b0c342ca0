// The JSON-RPC message handler (rpc/basic_session.hpp with rpc/json_rpc.hpp) fed
// text messages on a connection double that records what the session sends.
// A model of JSON-RPC 2.0 says which responses each message must produce: one
// per request with an id (in a batch, one array), none for notifications and
// responses; the errors of the spec for malformed input; responses to our own
// calls complete each call exactly once.
//
// Input: one flags byte, then up to 8 text messages separated by NUL bytes.
//   flags bits 0-1: limits (defaults, small, tiny, few pending); bits 2-3: how
//   many calls we make first (ids 1, 2, 3); bit 4: also hand in a binary message
#include <duplex/rpc/json_rpc.hpp>

#include "fuzz_target.hpp"

#include <asio/io_context.hpp>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace {

using json = nlohmann::json;

/// What basic_session needs of a connection: an executor and send_text.
struct recording_connection {
    using executor_type = asio::io_context::executor_type;
    explicit recording_connection(asio::io_context& io) : executor(io.get_executor()) {}
    executor_type get_executor() const noexcept { return executor; }
    void send_text(std::string text) { sent.push_back(std::move(text)); }
    executor_type executor;
    std::vector<std::string> sent;
};
using rpc_session = duplex::rpc::session<recording_connection>;

duplex::rpc::limits pick_limits(unsigned selector) {
    duplex::rpc::limits l;
    switch (selector & 3) {
    case 1:
        l.max_pending = 2;
        l.max_depth = 4;
        l.max_batch = 3;
        l.max_id_length = 8;
        break;
    case 2:
        l.max_pending = 1;
        l.max_depth = 2;
        l.max_batch = 1;
        l.max_id_length = 0;
        break;
    case 3: l.max_pending = 4; break;
    default: break;
    }
    return l;
}

// A response in a comparable form: its id and its result, or its error code.
json response_key(const json& id, const json* result, int code) {
    json key = json::object();
    key["id"] = id;
    if (result)
        key["result"] = json::parse(result->dump(-1, ' ', false, json::error_handler_t::replace));
    else
        key["error"] = code;
    return key;
}

// A response the session sent: well-formed (JSON-RPC 2.0 section 5), as a key.
json sent_response_key(const json& r) {
    DUPLEX_FUZZ_CHECK(r.is_object());
    DUPLEX_FUZZ_CHECK(r.value("jsonrpc", json()) == "2.0");
    DUPLEX_FUZZ_CHECK(r.contains("id"));
    const bool has_result = r.contains("result"), has_error = r.contains("error");
    DUPLEX_FUZZ_CHECK(has_result != has_error);
    if (has_result) return response_key(r["id"], &r["result"], 0);
    const json& e = r["error"];
    DUPLEX_FUZZ_CHECK(e.is_object() && e.contains("code") && e["code"].is_number_integer());
    DUPLEX_FUZZ_CHECK(e.contains("message") && e["message"].is_string());
    return response_key(r["id"], nullptr, e["code"].get<int>());
}

std::size_t depth_of(const json& v) {
    std::size_t deepest = 0;
    if (v.is_array() || v.is_object())
        for (const auto& child : v)
            deepest = std::max(deepest, depth_of(child));
    return v.is_array() || v.is_object() ? deepest + 1 : 0;
}

struct call_record {
    int completions = 0;
    bool ok = false;
    int code = 0;
};

/// The model: what the session must answer, and the state that decides it.
class rpc_model {
public:
    explicit rpc_model(const duplex::rpc::limits& l) : limits_(l) {}

    std::map<std::uint64_t, call_record> expected_calls; // our calls, by id, as the model completes them
    std::map<std::uint64_t, bool> pending;               // our calls awaiting a response

    /// The responses one message must produce (each a response_key), or nullopt for none.
    std::optional<std::vector<json>> expect(std::string_view text, bool& batch) {
        batch = false;
        const auto error = [](int code) { return std::vector<json>{response_key(json(), nullptr, code)}; };
        if (duplex::rpc::nesting_depth(text) > limits_.max_depth) return error(duplex::rpc::code::invalid_request);
        // RFC 8259: a NUL byte is never part of JSON text (nlohmann alone would stop there).
        const bool has_nul = text.find('\0') != std::string_view::npos;
        const json v = has_nul ? json(json::value_t::discarded) : json::parse(text.begin(), text.end(), nullptr, false);
        if (v.is_discarded()) return error(duplex::rpc::code::parse_error);
        // The text's depth bounds the value's: with a duplicate key the value keeps
        // only the last member, which may be shallower than an earlier one.
        DUPLEX_FUZZ_CHECK(depth_of(v) <= duplex::rpc::nesting_depth(text));
        if (!v.is_array()) {
            auto one = expect_one(v);
            settle();
            if (!one) return std::nullopt;
            return std::vector<json>{*one};
        }
        if (v.empty() || v.size() > limits_.max_batch) return error(duplex::rpc::code::invalid_request);
        batch = true;
        std::vector<json> responses;
        bool never = false;
        for (const auto& element : v) {
            const std::size_t before = never_answered_;
            if (auto one = expect_one(element)) responses.push_back(std::move(*one));
            never = never || never_answered_ != before;
        }
        settle();
        if (never || responses.empty()) return std::nullopt; // a batch is answered once complete
        return responses;
    }

private:
    bool valid_id(const json& id) const {
        if (id.is_string()) return id.get_ref<const std::string&>().size() <= limits_.max_id_length;
        return id.is_null() || id.is_number_integer();
    }

    // Replies made while handling one message are dispatched afterwards; only
    // then does the count of requests in progress fall.
    void settle() {
        incoming_ -= answered_;
        answered_ = 0;
    }

    std::optional<json> expect_one(const json& v) {
        if (!v.is_object()) return response_key(json(), nullptr, duplex::rpc::code::invalid_request);
        const json* id = v.contains("id") ? &v["id"] : nullptr;
        const json* method = v.contains("method") ? &v["method"] : nullptr;
        const json* result = v.contains("result") ? &v["result"] : nullptr;
        const json* err = v.contains("error") ? &v["error"] : nullptr;
        if (!method && (result || err)) {
            take_response(id, result, err);
            return std::nullopt;
        }
        const json reply_id = id && valid_id(*id) ? *id : json();
        const json* version = v.contains("jsonrpc") ? &v["jsonrpc"] : nullptr;
        const json* params = v.contains("params") ? &v["params"] : nullptr;
        if (!version || *version != "2.0" || !method || !method->is_string() || (id && !valid_id(*id)) ||
            (params && !params->is_array() && !params->is_object()))
            return response_key(reply_id, nullptr, duplex::rpc::code::invalid_request);
        if (id) {
            if (incoming_ >= limits_.max_pending)
                return response_key(reply_id, nullptr, duplex::rpc::code::too_many_pending);
            ++incoming_;
        }
        const json params_value = params ? *params : json();
        const auto respond = [&](const json& r) -> std::optional<json> {
            if (!id) return std::nullopt;
            ++answered_;
            return response_key(reply_id, &r, 0);
        };
        const auto fail = [&](int code) -> std::optional<json> {
            if (!id) return std::nullopt;
            ++answered_;
            return response_key(reply_id, nullptr, code);
        };
        const std::string& name = method->get_ref<const std::string&>();
        if (name == "rpc.emit") {
            const bool has_event =
                params_value.is_object() && params_value.contains("event") && params_value["event"].is_string();
            if (!has_event) return fail(duplex::rpc::code::invalid_params);
            if (params_value["event"] != "chat") return fail(duplex::rpc::code::method_not_found);
            return respond(params_value.contains("data") ? params_value["data"] : json());
        }
        if (name == "echo") return respond(params_value);
        if (name == "fail") return fail(42);
        if (name == "boom") return fail(duplex::rpc::code::internal_error);
        if (name == "count") {
            bool strings = params_value.is_array();
            if (strings)
                for (const auto& p : params_value)
                    strings = strings && p.is_string();
            if (!strings) return fail(duplex::rpc::code::invalid_params);
            return respond(json(params_value.size()));
        }
        if (name == "later") return respond(json("late"));
        if (name == "never") {
            if (id) ++never_answered_; // stays in progress for good
            return std::nullopt;
        }
        return fail(duplex::rpc::code::method_not_found);
    }

    void take_response(const json* id, const json* result, const json* err) {
        if (!id || !id->is_number_integer()) return;
        if (id->is_number_integer() && !id->is_number_unsigned() && id->get<std::int64_t>() < 0) return;
        const auto n = id->get<std::uint64_t>();
        const auto it = pending.find(n);
        if (it == pending.end()) return; // unknown or already answered: ignored
        pending.erase(it);
        call_record& c = expected_calls[n];
        ++c.completions;
        c.ok = result != nullptr;
        if (!result) {
            const json* code = err->is_object() && err->contains("code") ? &(*err)["code"] : nullptr;
            const bool integral = code && code->is_number_integer() &&
                                  !(code->is_number_unsigned() && code->get<std::uint64_t>() > INT64_MAX);
            c.code = integral ? static_cast<int>(code->get<std::int64_t>()) : duplex::rpc::code::internal_error;
        }
    }

    duplex::rpc::limits limits_;
    std::size_t incoming_ = 0;
    std::size_t answered_ = 0;
    std::size_t never_answered_ = 0;
};

std::shared_ptr<duplex::rpc::registry<>> make_methods(std::vector<duplex::rpc::responder>& held) {
    auto methods = std::make_shared<duplex::rpc::registry<>>();
    methods->add("echo", [](const json& params) { return params; });
    methods->add("fail", [](const json& params) -> int { throw duplex::rpc::rpc_error(42, "nope", params); });
    methods->add("boom", [](const json&) -> int { throw std::runtime_error("unexpected"); });
    methods->add("count", [](const std::vector<std::string>& xs) { return xs.size(); });
    methods->add_async("later", [&held](const json&, duplex::rpc::responder reply) { held.push_back(reply); });
    methods->add_async("never", [](const json&, duplex::rpc::responder) {});
    methods->on("chat", [](const json& payload, auto ack) { ack(payload); });
    return methods;
}

} // namespace

DUPLEX_FUZZ_TARGET(json_rpc) {
    duplex_fuzz::input_reader in(data, size);
    const std::uint8_t flags = in.byte();
    const duplex::rpc::limits limits = pick_limits(flags);

    asio::io_context io{1};
    const auto poll = [&io] {
        io.restart();
        io.poll();
    };
    auto connection = std::make_shared<recording_connection>(io);
    std::vector<duplex::rpc::responder> held;
    auto session = rpc_session::make(connection, make_methods(held), limits);
    rpc_model model(limits);

    // Our own calls first: requests with ids 1.. go out, up to the pending bound.
    std::map<std::uint64_t, call_record> calls;
    const unsigned own_calls = (flags >> 2) & 3u;
    for (std::uint64_t id = 1; id <= own_calls; ++id) {
        session->call("peer.add", json::array({1, 2}), [&calls, id](const duplex::rpc::outcome& o) {
            call_record& c = calls[id];
            ++c.completions;
            c.ok = o.ok;
            c.code = o.ok ? 0 : o.error.code;
        });
    }
    poll();
    const std::size_t accepted = std::min<std::size_t>(own_calls, limits.max_pending);
    DUPLEX_FUZZ_CHECK(connection->sent.size() == accepted);
    for (std::uint64_t id = 1; id <= own_calls; ++id) {
        if (id <= accepted) {
            const json request = json::parse(connection->sent[id - 1]);
            DUPLEX_FUZZ_CHECK(request["method"] == "peer.add" && request["id"] == id && request["jsonrpc"] == "2.0");
            model.pending[id] = true;
        } else {
            DUPLEX_FUZZ_CHECK(calls[id].completions == 1 && calls[id].code == duplex::rpc::code::too_many_pending);
            model.expected_calls[id] = calls[id];
        }
    }
    DUPLEX_FUZZ_CHECK(session->pending_calls() == accepted);

    if (flags & 0x10) {
        duplex::message binary{duplex::message_kind::binary, "\x01\x02"};
        DUPLEX_FUZZ_CHECK(!session->handle(binary));
    }

    const std::string_view input = in.rest();
    std::size_t start = 0;
    for (int message = 0; start <= input.size(); ++message) {
        // At most 8 messages, so an input full of NULs stays quick; the 8th takes the rest.
        auto end = message == 7 ? std::string_view::npos : input.find('\0', start);
        if (end == std::string_view::npos) end = input.size();
        const std::string_view text = input.substr(start, end - start);
        start = end + 1;

        bool batch = false;
        const auto expected = model.expect(text, batch);
        const std::size_t before = connection->sent.size();
        DUPLEX_FUZZ_CHECK(session->handle(duplex::message{duplex::message_kind::text, text}));
        poll();
        for (auto& reply : held)
            reply.reply("late");
        held.clear();
        poll();

        DUPLEX_FUZZ_CHECK(connection->sent.size() - before == (expected ? 1u : 0u));
        if (expected) {
            const json sent = json::parse(connection->sent.back(), nullptr, false);
            DUPLEX_FUZZ_CHECK(!sent.is_discarded());
            std::vector<json> got;
            if (batch) {
                DUPLEX_FUZZ_CHECK(sent.is_array() && !sent.empty());
                for (const auto& r : sent)
                    got.push_back(sent_response_key(r));
            } else {
                got.push_back(sent_response_key(sent));
            }
            std::vector<std::string> a, b;
            for (const auto& k : got)
                a.push_back(k.dump());
            for (const auto& k : *expected)
                b.push_back(k.dump());
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            DUPLEX_FUZZ_CHECK(a == b);
        }
        // Our calls completed exactly as the responses in the input said.
        for (const auto& [id, c] : model.expected_calls) {
            DUPLEX_FUZZ_CHECK(calls[id].completions == c.completions);
            DUPLEX_FUZZ_CHECK(calls[id].ok == c.ok && calls[id].code == c.code);
        }
        DUPLEX_FUZZ_CHECK(session->pending_calls() == model.pending.size());
        if (end == input.size()) break;
    }

    // The connection ends: every call still pending fails once with connection_closed.
    session->close();
    poll();
    DUPLEX_FUZZ_CHECK(session->pending_calls() == 0);
    for (std::uint64_t id = 1; id <= own_calls; ++id) {
        DUPLEX_FUZZ_CHECK(calls[id].completions == 1);
        if (model.pending.count(id)) DUPLEX_FUZZ_CHECK(calls[id].code == duplex::rpc::code::connection_closed);
    }
    bool refused = false;
    session->call("peer.add", json(), [&refused](const duplex::rpc::outcome& o) {
        refused = !o.ok && o.error.code == duplex::rpc::code::connection_closed;
    });
    poll();
    DUPLEX_FUZZ_CHECK(refused);
    return 0;
}
