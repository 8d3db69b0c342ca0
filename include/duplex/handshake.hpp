/// @file
/// The opening handshake: incremental HTTP parsing, validation, responses.
#pragma once

#include <duplex/handshake/accept_key.hpp>
#include <duplex/handshake/client_handshake.hpp>
#include <duplex/handshake/http_message.hpp>
#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/server_handshake.hpp>
#include <duplex/handshake/token_list.hpp>

/// @namespace duplex::handshake
/// The opening handshake of RFC 6455 4 as functions over HTTP/1.1 messages:
/// an incremental parser with limits, the checks of each side, and the
/// requests and responses to send. protocol::server_upgrade and
/// protocol::client_upgrade put them together.
