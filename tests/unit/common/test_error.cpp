#include <duplex/error.hpp>

#include "support/catch.hpp"

#include <set>
#include <string>
#include <system_error>

using duplex::condition;
using duplex::error;

namespace {
const error all_errors[] = {error::closed,
                            error::message_in_progress,
                            error::control_frame_too_large,
                            error::invalid_close_code,
                            error::invalid_close_reason,
                            error::invalid_utf8,
                            error::handshake_failed,
                            error::bad_response,
                            error::send_queue_full,
                            error::timeout,
                            error::bad_url,
                            error::send_dropped};
}

TEST_CASE("every duplex error has a message of its own", "[error]") {
    std::set<std::string> messages;
    for (const error e : all_errors) {
        const std::error_code ec = e;
        CHECK(ec);
        CHECK(ec.category() == duplex::error_category());
        CHECK(std::string(ec.category().name()) == "duplex");
        CHECK(ec.message() != "unknown duplex error");
        messages.insert(ec.message());
    }
    CHECK(messages.size() == std::size(all_errors));
    CHECK_FALSE(std::error_code(error::success));
}

TEST_CASE("errors compare with the conditions a caller asks about", "[error]") {
    // A refused or broken opening handshake.
    CHECK(std::error_code(error::handshake_failed) == condition::handshake_failed);
    CHECK(std::error_code(error::bad_response) == condition::handshake_failed);
    // A send that was not made: the connection's state or the arguments.
    for (const error e : {error::closed, error::message_in_progress, error::control_frame_too_large,
                          error::invalid_close_code, error::invalid_close_reason, error::invalid_utf8}) {
        CHECK(std::error_code(e) == condition::send_failed);
        CHECK(std::error_code(e) != condition::handshake_failed);
    }
    // A full send queue, whichever policy refused the message.
    CHECK(std::error_code(error::send_queue_full) == condition::send_queue_full);
    CHECK(std::error_code(error::send_dropped) == condition::send_queue_full);
    CHECK(std::error_code(error::send_dropped) != condition::send_failed);
    // Errors that belong to no condition, and other libraries' errors.
    for (const condition c :
         {condition::handshake_failed, condition::send_failed, condition::send_queue_full, condition::tls_failed}) {
        CHECK(std::error_code(error::timeout) != c);
        CHECK(std::error_code(error::bad_url) != c);
        CHECK(std::make_error_code(std::errc::connection_refused) != c);
        CHECK(std::error_condition(c).message() != "unknown duplex condition");
        CHECK(std::error_condition(c).category() == duplex::condition_category());
    }
    // Conditions stay conditions of their own category: a std::errc value
    // with the same number is not one of them.
    CHECK(std::make_error_code(static_cast<std::errc>(1)) != condition::handshake_failed);
}
