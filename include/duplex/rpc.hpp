// duplex: requires json
// The optional RPC layer: JSON-RPC 2.0 both ways, events with acks (rpc/json_rpc.hpp).
#pragma once

#include <duplex/rpc/json_rpc.hpp>
