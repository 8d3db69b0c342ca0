// Frame codec throughput next to memcpy of the same buffer.
#include <duplex/frame.hpp>

#include <benchmark/benchmark.h>

#include <cstring>
#include <string>
#include <vector>

namespace {
std::vector<std::uint8_t> buffer_of(std::size_t n) {
    std::vector<std::uint8_t> v(n + 64);
    for (std::size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return v;
}

void memcpy_reference(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    auto src = buffer_of(n), dst = buffer_of(n);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), n);
        benchmark::DoNotOptimize(dst.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(memcpy_reference)->Arg(20)->Arg(1024)->Arg(16384);

void unmask(benchmark::State& state) {
    const auto n = static_cast<std::size_t>(state.range(0));
    const auto offset = static_cast<std::size_t>(state.range(1)); // misalignment and key phase
    auto data = buffer_of(n);
    const std::array<std::uint8_t, 4> key{0x12, 0x34, 0x56, 0x78};
    for (auto _ : state) {
        duplex::frame::apply_mask(data.data() + offset, n, key, offset);
        benchmark::DoNotOptimize(data.data());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(unmask)->Args({20, 0})->Args({1024, 0})->Args({16384, 0})->Args({16384, 3});

void utf8_ascii(benchmark::State& state) {
    const std::string text(static_cast<std::size_t>(state.range(0)), 'x');
    for (auto _ : state)
        benchmark::DoNotOptimize(duplex::frame::is_valid_utf8(text));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(utf8_ascii)->Arg(16384);

void utf8_mixed(benchmark::State& state) {
    // Realistic multilingual chat text: Latin with accents, Cyrillic, CJK and emoji.
    const std::string unit = "Grüße, Привет! 你好，世界。 😀 ok ";
    std::string text;
    while (text.size() + unit.size() <= static_cast<std::size_t>(state.range(0)))
        text += unit;
    for (auto _ : state)
        benchmark::DoNotOptimize(duplex::frame::is_valid_utf8(text));
    state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * text.size()));
}
BENCHMARK(utf8_mixed)->Arg(16384);

void header_decode(benchmark::State& state) {
    const std::uint8_t frame[] = {0x82, 0x94, 0x01, 0x02, 0x03, 0x04};
    duplex::frame::frame_header h;
    for (auto _ : state) {
        benchmark::DoNotOptimize(duplex::frame::decode_header<duplex::server_role>(frame, sizeof frame, h));
        benchmark::DoNotOptimize(h);
    }
}
BENCHMARK(header_decode);

void header_encode(benchmark::State& state) {
    duplex::frame::frame_header h;
    h.opcode = duplex::frame::opcode::binary;
    h.payload_length = 20;
    std::uint8_t out[duplex::frame::max_header_size];
    for (auto _ : state) {
        benchmark::DoNotOptimize(duplex::frame::encode_header(h, out));
        benchmark::ClobberMemory();
    }
}
BENCHMARK(header_encode);
} // namespace
