// The frame codec: headers, masking, UTF-8 validation and close payloads.
// Usable on its own; see the headers under duplex/frame/.
#pragma once

#include <duplex/frame/close_code.hpp>
#include <duplex/frame/frame_header.hpp>
#include <duplex/frame/mask.hpp>
#include <duplex/frame/mask_key.hpp>
#include <duplex/frame/opcode.hpp>
#include <duplex/frame/role.hpp>
#include <duplex/frame/utf8_validator.hpp>
