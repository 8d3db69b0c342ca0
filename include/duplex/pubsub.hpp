/// @file
/// The optional pub/sub layer: topics and rooms with encode-once fan-out,
/// wildcards, presence and history (pubsub/broker.hpp), and rate limits.
/// The Redis backplane (pubsub/redis_backplane.hpp) is included on its own.
#pragma once

#include <duplex/pubsub/broker.hpp>
#include <duplex/pubsub/rate_limit.hpp>
#include <duplex/pubsub/topic_tree.hpp>
#include <duplex/server/server.hpp>

/// Publish/subscribe over server connections: topics, rooms, presence, history.
namespace duplex::pubsub {

/// A broker for duplex::server's connections.
using broker = basic_broker<server::connection_type>;

} // namespace duplex::pubsub
