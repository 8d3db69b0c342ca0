// The opening handshake: incremental HTTP parsing, validation, responses.
#pragma once

#include <duplex/handshake/accept_key.hpp>
#include <duplex/handshake/client_handshake.hpp>
#include <duplex/handshake/http_message.hpp>
#include <duplex/handshake/http_parser.hpp>
#include <duplex/handshake/http_writer.hpp>
#include <duplex/handshake/server_handshake.hpp>
#include <duplex/handshake/token_list.hpp>
