/// @file
/// The frame codec: headers, masking, UTF-8 validation and close payloads.
/// Usable on its own; see the headers under duplex/frame/.
#pragma once

#include <duplex/frame/close_code.hpp>
#include <duplex/frame/frame_header.hpp>
#include <duplex/frame/mask.hpp>
#include <duplex/frame/mask_key.hpp>
#include <duplex/frame/opcode.hpp>
#include <duplex/frame/role.hpp>
#include <duplex/frame/utf8_validator.hpp>

/// @namespace duplex::frame
/// The frame codec of RFC 6455 5: header encoding and decoding, masking,
/// UTF-8 validation and close payloads. No I/O and no allocation; a program
/// with its own I/O can use it without the layers above.
