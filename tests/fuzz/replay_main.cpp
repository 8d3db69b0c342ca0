// fuzz_replay: every fuzz target linked into one plain executable, run over
// the committed corpus, so the seeds and every regression input are checked by
// the ordinary test suite (any compiler, no libFuzzer).
//
//   duplex_fuzz_replay                        every target over tests/fuzz/corpus/<target>/
//   duplex_fuzz_replay TARGET PATH...         one target over files or folders (e.g. a crash file)
//   duplex_fuzz_replay --list                 the targets built in
#include "fuzz_target.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#ifndef DUPLEX_FUZZ_CORPUS_DIR
#error "DUPLEX_FUZZ_CORPUS_DIR must name tests/fuzz/corpus"
#endif

// Declared weak so the program links with and without a sanitizer runtime.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace {

namespace fs = std::filesystem;

char current_input[4096]; // the input being run, for the crash report

// Async-signal-safe: write(2) only.
void report_current_input() {
    const char prefix[] = "fuzz_replay: failed on ";
    [[maybe_unused]] auto a = ::write(2, prefix, sizeof prefix - 1);
    [[maybe_unused]] auto b = ::write(2, current_input, std::strlen(current_input));
    [[maybe_unused]] auto c = ::write(2, "\n", 1);
}

void on_fatal_signal(int signal_number) {
    report_current_input();
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
}

std::vector<fs::path> inputs_in(const fs::path& path) {
    std::vector<fs::path> files;
    if (fs::is_directory(path)) {
        for (const auto& entry : fs::recursive_directory_iterator(path))
            if (entry.is_regular_file() && entry.path().filename().string().front() != '.')
                files.push_back(entry.path());
    } else if (fs::is_regular_file(path)) {
        files.push_back(path);
    }
    std::sort(files.begin(), files.end());
    return files;
}

void run_one(const duplex_fuzz::registered_target& target, const fs::path& file) {
    std::snprintf(current_input, sizeof current_input, "%s %s", target.name, file.string().c_str());
    std::ifstream stream(file, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(stream)), std::istreambuf_iterator<char>());
    // A std::string's data() is never null, as libFuzzer's inputs never are.
    target.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
}

const duplex_fuzz::registered_target* find_target(const char* name) {
    for (const auto& t : duplex_fuzz::targets())
        if (std::strcmp(t.name, name) == 0) return &t;
    return nullptr;
}

} // namespace

int main(int argc, char** argv) {
    for (int s : {SIGABRT, SIGILL, SIGSEGV, SIGFPE, SIGBUS, SIGTRAP})
        std::signal(s, on_fatal_signal);
    if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(report_current_input);

    if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
        for (const auto& t : duplex_fuzz::targets())
            std::printf("%s\n", t.name);
        return 0;
    }
    if (argc >= 2) {
        const auto* target = find_target(argv[1]);
        if (!target) {
            std::fprintf(stderr, "fuzz_replay: no target '%s' (try --list)\n", argv[1]);
            return 2;
        }
        std::size_t count = 0;
        for (int i = 2; i < argc; ++i)
            for (const auto& file : inputs_in(argv[i])) {
                run_one(*target, file);
                ++count;
            }
        std::printf("%s: %zu inputs ok\n", target->name, count);
        return count > 0 ? 0 : 1;
    }

    int status = 0;
    for (const auto& target : duplex_fuzz::targets()) {
        const fs::path folder = fs::path(DUPLEX_FUZZ_CORPUS_DIR) / target.name;
        const auto files = inputs_in(folder);
        if (files.empty()) {
            std::fprintf(stderr, "fuzz_replay: %s has no seed inputs in %s\n", target.name, folder.string().c_str());
            status = 1;
            continue;
        }
        for (const auto& file : files)
            run_one(target, file);
        std::printf("%-18s %4zu inputs ok\n", target.name, files.size());
    }
    return status;
}
