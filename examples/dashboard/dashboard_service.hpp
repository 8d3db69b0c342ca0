// The dashboard's service: samples this process every interval, keeps the
// last samples in a broker topic's history, and answers the page's JSON-RPC.
//
// Every message is JSON-RPC 2.0 (one object per text message).
// Server to page, notifications:
//   {"method":"welcome","params":{"epoch":E,"interval_ms":N,"history":H}}
//       on open; E changes when the server restarts (its history starts over)
//   {"method":"sample","params":{"seq":N,"time":MS,"connections":N,"in_per_s":X,
//       "out_per_s":X,"cpu_percent":X|null,"rss_kib":N|null}}
//       one per interval to subscribers; seq numbers the topic's messages
// Page to server, requests:
//   "subscribe" {"epoch":E,"after":N} -> {"epoch":E,"resync":B,"replayed":N,"last":N}
//       subscribe and replay the samples after N (0: the whole history). With
//       resync true (another epoch, or N no longer in the history) the page drops
//       what it has: the history follows the response. Otherwise the replayed
//       samples come before the response.
//   "info" -> {"epoch":E,"interval_ms":N,"history":H,"last":N,"connections":N}
//
// Everything runs on the io_context's one thread.
#pragma once

#include "process_usage.hpp"

#include <duplex/duplex.hpp>
#include <duplex/pubsub.hpp>
#include <duplex/rpc.hpp>

#include <asio/steady_timer.hpp>
#include <nlohmann/json.hpp>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace example::dashboard {

struct peer;

struct dashboard_config : duplex::config::server {
    using user_data = peer;
    using metrics = duplex::counter_metrics; // messages in and out, sampled every interval
    static constexpr std::size_t max_message_size = 64 * 1024;
    static constexpr std::size_t max_frame_size = 64 * 1024;
};

using dashboard_server = duplex::basic_server<dashboard_config>;
using connection = duplex::basic_connection<dashboard_config>;
using connection_ptr = std::shared_ptr<connection>;
using rpc_session = duplex::rpc::session<connection>;

/// What each connection carries.
struct peer {
    std::shared_ptr<rpc_session> rpc;
};

class dashboard_service {
public:
    static constexpr std::string_view topic = "samples";
    static constexpr std::size_t history_length = 300;

    dashboard_service(asio::io_context& io, dashboard_server& server, std::chrono::milliseconds interval,
                      std::string epoch)
        : server_(server), interval_(interval), epoch_(std::move(epoch)), timer_(io), methods_(make_methods()) {
        samples_.keep_history(topic, history_length);
    }

    /// Take the first reading now and a sample every interval from then on.
    void start() {
        last_time_ = std::chrono::steady_clock::now();
        last_cpu_ = cpu_seconds();
        next_ = last_time_ + interval_;
        schedule();
    }
    void stop() { timer_.cancel(); }

    void on_open(const connection_ptr& c) {
        c->data().rpc = rpc_session::make(c, methods_);
        c->data().rpc->notify("welcome",
                              {{"epoch", epoch_}, {"interval_ms", interval_.count()}, {"history", history_length}});
    }
    void on_message(const connection_ptr& c, const duplex::message& m) {
        if (!c->data().rpc->handle(m)) c->close(duplex::close_code::unsupported_data, "JSON-RPC text only");
    }
    void on_close(const connection_ptr& c) {
        samples_.unsubscribe_all(*c);
        if (c->data().rpc) c->data().rpc->close();
    }

private:
    using json = nlohmann::json;

    // One registry for every connection: a method learns its caller from reply.from().
    std::shared_ptr<const duplex::rpc::registry<>> make_methods() {
        auto methods = std::make_shared<duplex::rpc::registry<>>();
        methods->add_async("subscribe", [this](const json& params, duplex::rpc::responder reply) {
            if (auto c = reply.from().connection<connection>()) subscribe(c, params, std::move(reply));
        });
        methods->add("info", [this](const json&) {
            return json{{"epoch", epoch_},
                        {"interval_ms", interval_.count()},
                        {"history", history_length},
                        {"last", samples_.last_sequence(topic)},
                        {"connections", server_.connection_count()}};
        });
        return methods;
    }

    void subscribe(const connection_ptr& c, const json& params, duplex::rpc::responder reply) {
        if (!params.is_null() && !params.is_object())
            return reply.fail(duplex::rpc::code::invalid_params, "subscribe wants {\"epoch\", \"after\"}");
        std::uint64_t after = 0;
        bool other_epoch = false;
        if (params.is_object()) {
            const auto epoch = params.find("epoch");
            if (epoch != params.end() && !epoch->is_null() && !epoch->is_string())
                return reply.fail(duplex::rpc::code::invalid_params, "\"epoch\" is a string");
            other_epoch = epoch != params.end() && epoch->is_string() && *epoch != epoch_;
            const auto seen = params.find("after");
            if (seen != params.end() && !seen->is_number_unsigned())
                return reply.fail(duplex::rpc::code::invalid_params, "\"after\" is a sequence number (0 or more)");
            // Sequence numbers of another server instance mean nothing here.
            if (seen != params.end() && !other_epoch) after = seen->get<std::uint64_t>();
        }
        if (other_epoch) {
            // Subscribe without a replay (one thread: nothing is published in between), then resync.
            const auto result = samples_.resume(c, topic, samples_.last_sequence(topic));
            return resync(c, result.last, std::move(reply));
        }
        const auto result = samples_.resume(c, topic, after);
        if (result.status != duplex::pubsub::replay_status::ok) return resync(c, result.last, std::move(reply));
        reply.reply({{"epoch", epoch_}, {"resync", false}, {"replayed", result.sent}, {"last", result.last}});
    }

    // The page drops what it has: the response, then the whole history.
    void resync(const connection_ptr& c, std::uint64_t last, duplex::rpc::responder reply) {
        const std::uint64_t oldest_kept = last > history_length ? last - history_length : 0;
        reply.reply({{"epoch", epoch_}, {"resync", true}, {"replayed", last - oldest_kept}, {"last", last}});
        samples_.replay(c, topic, oldest_kept);
    }

    void schedule() {
        timer_.expires_at(next_);
        timer_.async_wait([this](std::error_code ec) {
            if (ec) return;
            sample();
            next_ += interval_;
            const auto now = std::chrono::steady_clock::now();
            if (next_ < now) next_ = now + interval_; // fell behind (suspended): do not catch up in a burst
            schedule();
        });
    }

    // Two decimals: n / 100.0 is the double nearest to the decimal, so it prints short.
    static double hundredths(double x) { return std::round(x * 100.0) / 100.0; }

    void sample() {
        const auto now = std::chrono::steady_clock::now();
        const double elapsed = std::chrono::duration<double>(now - last_time_).count();
        if (elapsed <= 0) return;
        const auto& metrics = server_.metrics();
        const auto in = metrics.messages_in(), out = metrics.messages_out();
        const auto cpu = cpu_seconds();
        const auto rss = resident_kib();

        json values = {{"connections", server_.connection_count()},
                       {"in_per_s", hundredths(static_cast<double>(in - last_in_) / elapsed)},
                       {"out_per_s", hundredths(static_cast<double>(out - last_out_) / elapsed)},
                       {"cpu_percent", nullptr},
                       {"rss_kib", nullptr},
                       {"time", std::chrono::duration_cast<std::chrono::milliseconds>(
                                    std::chrono::system_clock::now().time_since_epoch())
                                    .count()}};
        if (cpu && last_cpu_) values["cpu_percent"] = hundredths((*cpu - *last_cpu_) / elapsed * 100.0);
        if (rss) values["rss_kib"] = *rss;

        last_time_ = now;
        last_in_ = in;
        last_out_ = out;
        last_cpu_ = cpu;
        samples_.publish_sequenced(topic, duplex::message_kind::text, [&](std::uint64_t seq) {
            values["seq"] = seq;
            return json{{"jsonrpc", "2.0"}, {"method", "sample"}, {"params", values}}.dump();
        });
    }

    dashboard_server& server_;
    std::chrono::milliseconds interval_;
    std::string epoch_;
    asio::steady_timer timer_;
    std::shared_ptr<const duplex::rpc::registry<>> methods_; // shared by every connection
    duplex::pubsub::basic_broker<connection> samples_;
    std::chrono::steady_clock::time_point last_time_{}, next_{};
    std::optional<double> last_cpu_;
    std::uint64_t last_in_ = 0, last_out_ = 0;
};

} // namespace example::dashboard
