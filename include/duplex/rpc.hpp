// duplex: requires json
/// @file
/// The optional RPC layer: JSON-RPC 2.0 both ways, events with acks
/// (rpc/json_rpc.hpp). Link the CMake target `%duplex::rpc`.
#pragma once

#include <duplex/rpc/json_rpc.hpp>
