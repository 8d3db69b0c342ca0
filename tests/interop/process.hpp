// A child process for the interop tests: fork/exec with its stdout on a pipe,
// line reads with a deadline, and a bounded SIGTERM-then-SIGKILL reap on
// destruction, so a test never waits forever nor leaves a zombie behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

namespace duplex_test {

class child_process {
public:
    using clock = std::chrono::steady_clock;

    /// Start the program at argv[0] (a path) with these arguments. stdin is
    /// /dev/null, stdout is read through a pipe, stderr is inherited (so the
    /// child's diagnostics land in the test log).
    explicit child_process(const std::vector<std::string>& argv) {
        if (argv.empty()) throw std::invalid_argument("child_process: empty command");
        // Everything the child needs is prepared before fork(): between fork
        // and exec only async-signal-safe calls are allowed (this process has threads).
        std::vector<char*> args;
        for (const auto& a : argv)
            args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        int pipe_fds[2];
        if (::pipe2(pipe_fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
        const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        pid_ = ::fork();
        if (pid_ == 0) {
            if (null_fd >= 0) ::dup2(null_fd, STDIN_FILENO);
            ::dup2(pipe_fds[1], STDOUT_FILENO);
            // Exec keeps the signal mask and ignored signals: give the child defaults.
            sigset_t none;
            ::sigemptyset(&none);
            ::sigprocmask(SIG_SETMASK, &none, nullptr);
            struct sigaction defaults {};
            defaults.sa_handler = SIG_DFL;
            for (const int s : {SIGTERM, SIGINT, SIGPIPE})
                ::sigaction(s, &defaults, nullptr);
            ::execv(args[0], args.data());
            const char message[] = "child_process: exec failed: ";
            [[maybe_unused]] auto n = ::write(STDERR_FILENO, message, sizeof message - 1);
            n = ::write(STDERR_FILENO, args[0], std::strlen(args[0]));
            n = ::write(STDERR_FILENO, "\n", 1);
            ::_exit(127);
        }
        const int fork_errno = errno;
        ::close(pipe_fds[1]);
        if (null_fd >= 0) ::close(null_fd);
        if (pid_ < 0) {
            ::close(pipe_fds[0]);
            throw std::system_error(fork_errno, std::generic_category(), "fork");
        }
        out_fd_ = pipe_fds[0];
        ::fcntl(out_fd_, F_SETFL, ::fcntl(out_fd_, F_GETFL) | O_NONBLOCK);
    }

    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    ~child_process() {
        if (!status_) terminate(std::chrono::seconds(5));
        if (out_fd_ >= 0) ::close(out_fd_);
    }

    pid_t pid() const noexcept { return pid_; }

    /// The next line of the child's stdout (without the newline), or nothing
    /// at end of output or when `timeout` passed first.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout) {
        const auto deadline = clock::now() + timeout;
        for (;;) {
            const auto newline = pending_.find('\n');
            if (newline != std::string::npos) {
                std::string line = pending_.substr(0, newline);
                pending_.erase(0, newline + 1);
                return line;
            }
            if (eof_) {
                if (pending_.empty()) return std::nullopt;
                return std::exchange(pending_, std::string{});
            }
            if (clock::now() >= deadline || !read_some(deadline)) {
                if (eof_) continue;
                return std::nullopt;
            }
        }
    }

    /// Read lines until one says "listening on HOST:PORT" and return
    /// "HOST:PORT"; empty if the child ended its output or `timeout` passed.
    std::string wait_for_listening(std::chrono::milliseconds timeout) {
        static constexpr std::string_view prefix = "listening on ";
        const auto deadline = clock::now() + timeout;
        while (const auto line = read_line(remaining(deadline))) {
            if (line->compare(0, prefix.size(), prefix) == 0) return line->substr(prefix.size());
        }
        return {};
    }

    /// Everything the child wrote to stdout so far.
    const std::string& output() const noexcept { return output_; }

    bool send_signal(int signal_number) const noexcept { return !status_ && ::kill(pid_, signal_number) == 0; }

    /// Reap the child if it has exited; its wait status, or nothing while it runs.
    std::optional<int> try_wait() {
        if (status_) return status_;
        int status = 0;
        const pid_t r = ::waitpid(pid_, &status, WNOHANG);
        if (r == pid_) status_ = status;
        return status_;
    }

    /// Wait up to `timeout` for the child to exit, reading its stdout meanwhile
    /// (a child blocked on a full pipe would never exit). Its wait status, or
    /// nothing if it is still running.
    std::optional<int> wait_for_exit(std::chrono::milliseconds timeout) {
        const auto deadline = clock::now() + timeout;
        while (!try_wait() && clock::now() < deadline) {
            // Wake at least every 10 ms to look at the child (its output may stay open elsewhere).
            const auto slice = std::min(deadline, clock::now() + std::chrono::milliseconds(10));
            if (!read_some(slice) && eof_) poll_wait(slice);
        }
        while (status_ && !eof_ && read_some(clock::now())) {
        }
        return status_;
    }

    /// SIGTERM, up to `grace` for the child to exit, then SIGKILL. The wait
    /// status if it exited by itself within `grace`, otherwise nothing.
    std::optional<int> terminate(std::chrono::milliseconds grace) {
        if (status_) return status_;
        send_signal(SIGTERM);
        if (const auto status = wait_for_exit(grace)) return status;
        send_signal(SIGKILL);
        wait_for_exit(std::chrono::seconds(5)); // SIGKILL ends any process not stuck in the kernel
        return std::nullopt;
    }

    /// True when `status` says the child exited normally with `code`.
    static bool exited_with(const std::optional<int>& status, int code) noexcept {
        return status && WIFEXITED(*status) && WEXITSTATUS(*status) == code;
    }

    /// "exit N", "signal N" or "still running", for test messages.
    static std::string describe(const std::optional<int>& status) {
        if (!status) return "still running";
        if (WIFEXITED(*status)) return "exit " + std::to_string(WEXITSTATUS(*status));
        if (WIFSIGNALED(*status)) return "signal " + std::to_string(WTERMSIG(*status));
        return "status " + std::to_string(*status);
    }

    static std::chrono::milliseconds remaining(clock::time_point deadline) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now());
        return left.count() > 0 ? left : std::chrono::milliseconds(0);
    }

private:
    // Wait until the pipe is readable or `deadline`, then read what is there.
    // True if bytes arrived; sets eof_ when the child closed its stdout.
    bool read_some(clock::time_point deadline) {
        if (eof_) return false;
        if (!poll_wait(deadline)) return false;
        char chunk[4096];
        const ssize_t n = ::read(out_fd_, chunk, sizeof chunk);
        if (n > 0) {
            pending_.append(chunk, static_cast<std::size_t>(n));
            output_.append(chunk, static_cast<std::size_t>(n));
            return true;
        }
        if (n == 0 || (errno != EAGAIN && errno != EINTR)) eof_ = true;
        return false;
    }

    // poll() the pipe until readable or `deadline`; with the pipe at its end,
    // just let the time pass (callers use this to pace their loops).
    bool poll_wait(clock::time_point deadline) {
        pollfd p{eof_ ? -1 : out_fd_, POLLIN, 0};
        const int r = ::poll(&p, 1, static_cast<int>(remaining(deadline).count()));
        return r > 0 && !eof_;
    }

    pid_t pid_ = -1;
    int out_fd_ = -1;
    bool eof_ = false;
    std::optional<int> status_;
    std::string pending_; // read but not yet returned as a line
    std::string output_;  // everything read
};

} // namespace duplex_test
