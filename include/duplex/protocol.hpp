// The sans-I/O session layer. See duplex/protocol/session.hpp.
#pragma once

#include <duplex/protocol/connection.hpp>
#include <duplex/protocol/event.hpp>
#include <duplex/protocol/extension.hpp>
#include <duplex/protocol/session.hpp>
#include <duplex/protocol/session_options.hpp>
#include <duplex/protocol/upgrade.hpp>
