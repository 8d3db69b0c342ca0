// Topic names, MQTT-style patterns and their matching; token buckets.
#include <duplex/pubsub/rate_limit.hpp>
#include <duplex/pubsub/topic_tree.hpp>

#include "support/catch.hpp"

#include <algorithm>
#include <string>
#include <vector>

using namespace duplex::pubsub;

namespace {
std::vector<std::string> matches(const topic_tree<std::string>& tree, const std::string& topic) {
    std::vector<std::string> out;
    tree.match(topic, [&](const std::string& pattern) { out.push_back(pattern); });
    std::sort(out.begin(), out.end());
    return out;
}
} // namespace

TEST_CASE("topic names and patterns are validated", "[unit][pubsub]") {
    CHECK(is_valid_topic("room/general"));
    CHECK(is_valid_topic("a"));
    CHECK(is_valid_topic("/leading/slash"));
    CHECK_FALSE(is_valid_topic(""));
    CHECK_FALSE(is_valid_topic("room/+"));
    CHECK_FALSE(is_valid_topic("room/#"));
    CHECK_FALSE(is_valid_topic(std::string("a\0b", 3)));

    CHECK(is_valid_pattern("room/+"));
    CHECK(is_valid_pattern("+/+/x"));
    CHECK(is_valid_pattern("#"));
    CHECK(is_valid_pattern("prices/#"));
    CHECK(is_valid_pattern("room/general"));
    CHECK_FALSE(is_valid_pattern(""));
    CHECK_FALSE(is_valid_pattern("room/gen+"));
    CHECK_FALSE(is_valid_pattern("room/#/x")); // '#' only last
    CHECK_FALSE(is_valid_pattern("room/##"));
    CHECK_FALSE(is_valid_pattern("a#"));

    CHECK(is_wildcard("room/+"));
    CHECK(is_wildcard("#"));
    CHECK_FALSE(is_wildcard("room/general"));
}

TEST_CASE("topic_tree finds exactly the matching patterns", "[unit][pubsub]") {
    topic_tree<std::string> tree;
    for (const char* p : {"a/b/c", "a/+/c", "a/#", "+/b/+", "#", "x/+", "a/b", "+"})
        tree.at(p) = p;
    CHECK(matches(tree, "a/b/c") == std::vector<std::string>{"#", "+/b/+", "a/#", "a/+/c", "a/b/c"});
    CHECK(matches(tree, "a/b") == std::vector<std::string>{"#", "a/#", "a/b"});
    CHECK(matches(tree, "a") == std::vector<std::string>{"#", "+", "a/#"}); // "a/#" includes "a" itself (MQTT)
    CHECK(matches(tree, "x/y") == std::vector<std::string>{"#", "x/+"});
    CHECK(matches(tree, "x/y/z") == std::vector<std::string>{"#"});
    CHECK(matches(tree, "q/b/r") == std::vector<std::string>{"#", "+/b/+"});
    CHECK(matches(tree, "a/b/c/d") == std::vector<std::string>{"#", "a/#"});

    REQUIRE(tree.find("a/+/c") != nullptr);
    CHECK(*tree.find("a/+/c") == "a/+/c");
    CHECK(tree.find("a/+") == nullptr); // an inner node without a value
    tree.erase("a/+/c");
    CHECK(tree.find("a/+/c") == nullptr);
    CHECK(matches(tree, "a/z/c") == std::vector<std::string>{"#", "a/#"});
    for (const char* p : {"a/b/c", "a/#", "+/b/+", "#", "x/+", "a/b", "+"})
        tree.erase(p);
    CHECK(tree.empty()); // erasing prunes every branch left empty
    CHECK(matches(tree, "a/b/c").empty());
}

TEST_CASE("topic_tree matching does not depend on how many other patterns exist", "[unit][pubsub]") {
    topic_tree<int> tree;
    for (int i = 0; i < 10000; ++i)
        tree.at("sensors/" + std::to_string(i) + "/+") = i;
    int found = -1, calls = 0;
    tree.match("sensors/4242/temperature", [&](int v) {
        found = v;
        ++calls;
    });
    CHECK(found == 4242);
    CHECK(calls == 1);
}

TEST_CASE("token_bucket allows the burst, then the rate", "[unit][pubsub][rate]") {
    using clock = token_bucket::clock;
    const auto t0 = clock::now();
    token_bucket bucket(10, 5); // 10/s, burst 5
    int allowed = 0;
    for (int i = 0; i < 20; ++i)
        allowed += bucket.try_take(t0);
    CHECK(allowed == 5);
    CHECK_FALSE(bucket.try_take(t0 + std::chrono::milliseconds(50))); // half a token
    CHECK(bucket.try_take(t0 + std::chrono::milliseconds(100)));
    CHECK_FALSE(bucket.try_take(t0 + std::chrono::milliseconds(100)));
    // A long pause refills to the burst, not beyond.
    const double refilled = bucket.available(t0 + std::chrono::seconds(100));
    CHECK(refilled > 4.999);
    CHECK(refilled <= 5.0);
}

TEST_CASE("keyed_rate_limiter keeps one bucket per key and a bounded number of keys", "[unit][pubsub][rate]") {
    const auto t0 = token_bucket::clock::now();
    keyed_rate_limiter limiter(1, 2, 3);
    CHECK(limiter.allow("10.0.0.1", t0));
    CHECK(limiter.allow("10.0.0.1", t0));
    CHECK_FALSE(limiter.allow("10.0.0.1", t0));
    CHECK(limiter.allow("10.0.0.2", t0)); // its own bucket
    for (int i = 0; i < 1000; ++i)
        limiter.allow("198.51.100." + std::to_string(i), t0);
    CHECK(limiter.size() == 3);
}
