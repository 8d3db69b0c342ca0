// Autobahn 9.x (limits/performance), scaled down to a unit-test budget: large
// messages whole, in fragments of many sizes, arriving in chops of many sizes,
// and many messages in a row, all echoed intact; and 10.1.1 (auto-fragmented).
#include <duplex/protocol/session.hpp>

#include "support/catch.hpp"

#include "harness.hpp"

#include <string>
#include <vector>

using namespace duplex_conformance;

namespace {

// Text with 1-, 2- and 3-byte code points, so fragment and read boundaries
// fall inside code points.
std::string big_text(std::size_t size) {
    const std::string unit = "duplex \xe2\x9c\x93 \xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5 "; // 23 bytes
    std::string s;
    s.reserve(size);
    while (s.size() + unit.size() <= size)
        s += unit;
    s.append(size - s.size(), 'x');
    return s;
}

session_options many_fragments() {
    session_options o;
    o.max_fragments = 1 << 20; // Autobahn 9.3.1 sends 65536 fragments
    return o;
}

} // namespace

TEST_CASE("9.1/9.2 large text and binary messages in one frame", "[conformance][autobahn9]") {
    for (std::size_t size : {64u << 10, 256u << 10, 1u << 20, 4u << 20}) {
        INFO("message of " << size << " bytes");
        const auto t = big_text(size);
        const auto b = binary_payload(size);
        const auto expected = expect({text_msg(t), binary_msg(b)}, {text_msg(t), binary_msg(b)});
        const auto server_in = wire<server_role>({frame(op::text, t), frame(op::binary, b)});
        check_outcome(run_cut<server_role>(server_in, {}), expected);
        check_outcome(run_reads<server_role>(server_in, 65536 + 7, {}, true), expected);
        check_outcome(run_reads<client_role>(wire<client_role>({frame(op::text, t), frame(op::binary, b)}), 100003),
                      expected);
    }
}

TEST_CASE("9.3/9.4 a large message in fragments of 64 bytes to the whole", "[conformance][autobahn9]") {
    const auto t = big_text(1u << 20);
    const auto b = binary_payload(1u << 20);
    for (std::size_t fragment : {64u, 256u, 1u << 10, 4u << 10, 16u << 10, 64u << 10, 256u << 10, 1u << 20}) {
        INFO("fragments of " << fragment << " bytes");
        auto frames = fragments(op::text, t, fragment);
        const auto binary_frames = fragments(op::binary, b, fragment);
        frames.insert(frames.end(), binary_frames.begin(), binary_frames.end());
        const auto expected = expect({text_msg(t), binary_msg(b)}, {text_msg(t), binary_msg(b)});
        check_outcome(run_cut<server_role>(wire<server_role>(frames), {}, many_fragments()), expected);
        check_outcome(run_reads<client_role>(wire<client_role>(frames), 65536, many_fragments()), expected);
    }
}

TEST_CASE("9.5/9.6 a 1 MiB message arriving in chops of 64 to 2048 bytes", "[conformance][autobahn9]") {
    const auto t = big_text(1u << 20);
    const auto b = binary_payload(1u << 20, 1);
    const auto text_in = wire<server_role>({frame(op::text, t)});
    const auto binary_in = wire<server_role>({frame(op::binary, b)});
    for (std::size_t chop : {64u, 128u, 256u, 512u, 1024u, 2048u}) {
        INFO("chops of " << chop << " bytes");
        check_outcome(run_reads<server_role>(text_in, chop), expect({text_msg(t)}, {text_msg(t)}));
        check_outcome(run_reads<server_role>(binary_in, chop, {}, true), expect({binary_msg(b)}, {binary_msg(b)}));
    }
}

TEST_CASE("9.7/9.8 a thousand messages in a row, of 0 to 4096 bytes", "[conformance][autobahn9]") {
    for (std::size_t size : {0u, 16u, 64u, 256u, 1024u, 4096u}) {
        INFO("messages of " << size << " bytes");
        std::vector<frame_spec> frames;
        std::vector<std::string> expected;
        for (unsigned i = 0; i < 1000; ++i) {
            const bool is_text = i % 2 == 0;
            const auto payload = is_text ? text_payload(size, i) : binary_payload(size, i);
            frames.push_back(frame(is_text ? op::text : op::binary, payload));
            expected.push_back(is_text ? text_msg(payload) : binary_msg(payload));
        }
        const auto server_in = wire<server_role>(frames);
        check_outcome(run_cut<server_role>(server_in, {}), expect(expected, expected));
        check_outcome(run_reads<server_role>(server_in, 1300), expect(expected, expected));
        check_outcome(run_reads<client_role>(wire<client_role>(frames), 4096, {}, true), expect(expected, expected));
        // Echoing one message at a time keeps the buffers at a few messages' size.
        echo_peer<server_role> peer;
        std::size_t pos = 0;
        const std::size_t frame_size = server_in.size() / 1000;
        for (unsigned i = 0; i < 1000; ++i, pos += frame_size)
            peer.feed(std::string_view(server_in).substr(pos, frame_size));
        CHECK(peer.result() == expect(expected, expected));
        CHECK(peer.get().buffer_capacity() <= 8 * (frame_size + 256));
    }
}

TEST_CASE("10.1.1 a 65536-byte text message auto-fragmented into 1300-byte frames", "[conformance][autobahn10]") {
    const auto t = big_text(65536);
    const auto frames = fragments(op::text, t, 1300);
    REQUIRE(frames.size() == 51);
    expect_every_chunking<server_role>(wire<server_role>(frames), expect({text_msg(t)}, {text_msg(t)}));
    check_outcome(run_reads<client_role>(wire<client_role>(frames), 1), expect({text_msg(t)}, {text_msg(t)}));
}
