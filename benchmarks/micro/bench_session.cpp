// Full sans-I/O server echo: feed a masked frame, take the message, frame the reply.
#include <duplex/protocol/session.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {
std::string client_frame(std::uint8_t opcode, std::size_t size) {
    std::string f;
    f += static_cast<char>(0x80 | opcode);
    if (size < 126) {
        f += static_cast<char>(0x80 | size);
    } else {
        f += static_cast<char>(0x80 | 126);
        f += static_cast<char>(size >> 8);
        f += static_cast<char>(size & 0xFF);
    }
    const char key[4] = {0x11, 0x22, 0x33, 0x44};
    f.append(key, 4);
    for (std::size_t i = 0; i < size; ++i)
        f += static_cast<char>(('a' + i % 26) ^ key[i % 4]);
    return f;
}

void session_echo(benchmark::State& state) {
    const auto size = static_cast<std::size_t>(state.range(0));
    const auto batch = static_cast<std::size_t>(state.range(1));
    const std::uint8_t opcode = state.range(2) ? 0x1 : 0x2;
    std::string wire;
    for (std::size_t i = 0; i < batch; ++i)
        wire += client_frame(opcode, size);
    duplex::protocol::session<duplex::server_role> s;
    for (auto _ : state) {
        // Receive straight into the session's buffer, as the transport does.
        std::memcpy(s.input_buffer(wire.size()), wire.data(), wire.size());
        s.commit_input(wire.size());
        while (auto ev = s.next_event())
            s.send_message(ev.kind, ev.data.data(), ev.data.size());
        benchmark::DoNotOptimize(s.output_data());
        s.consume_output(s.output_size());
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
}
// size, frames per read, text?
BENCHMARK(session_echo)->Args({20, 1, 0})->Args({20, 16, 0})->Args({20, 1, 1})->Args({16384, 1, 0});
} // namespace
