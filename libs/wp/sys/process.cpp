#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace wp::sys {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

ExitStatus decode_status(int raw) {
    ExitStatus s;
    if (WIFEXITED(raw)) {
        s.exited = true;
        s.code = WEXITSTATUS(raw);
    } else if (WIFSIGNALED(raw)) {
        s.signal = WTERMSIG(raw);
    }
    return s;
}

//! Writes an errno value to the error pipe and exits: only async-signal-safe calls (runs between fork and exec).
[[noreturn]] void child_fail(int pipe_fd, int err) {
    ssize_t ignored = ::write(pipe_fd, &err, sizeof err);
    (void)ignored;
    ::_exit(127);
}

//! Opens `path` onto `target_fd` in the child (async-signal-safe).
bool child_redirect(const char* path, int flags, int target_fd) {
    const int fd = ::open(path, flags, 0644);
    if (fd < 0) return false;
    if (fd != target_fd) {
        if (::dup2(fd, target_fd) < 0) return false;
        ::close(fd);
    }
    return true;
}

}  // namespace

std::string ExitStatus::to_string() const {
    if (exited) return "exit code " + std::to_string(code);
    return "killed by signal " + std::to_string(signal);
}

Process::Process(Process&& other) noexcept : pid_(other.pid_), status_(other.status_) { other.pid_ = 0; }

Process& Process::operator=(Process&& other) noexcept {
    if (this != &other) {
        if (pid_ > 0 && !status_) (void)terminate();
        pid_ = other.pid_;
        status_ = other.status_;
        other.pid_ = 0;
    }
    return *this;
}

Process::~Process() {
    if (pid_ > 0 && !status_) (void)terminate();
}

Result<Process> Process::spawn(const SpawnOptions& options) {
    if (options.argv.empty() || options.argv[0].empty()) return make_error(Errc::kInvalidArgument, "spawn: empty argv");

    const std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path;
    const std::string err = options.stderr_path.empty() ? "/dev/null" : options.stderr_path;
    const bool shared_output = err == out && !options.stdout_path.empty();

    std::vector<char*> argv;
    argv.reserve(options.argv.size() + 1);
    for (const auto& a : options.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    std::vector<std::string> env_storage;
    if (options.inherit_env) {
        for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
            std::string_view entry(*e);
            const auto eq = entry.find('=');
            const auto key = entry.substr(0, eq == std::string_view::npos ? entry.size() : eq + 1);
            bool overridden = false;
            for (const auto& o : options.env)
                if (o.size() >= key.size() && std::string_view(o).substr(0, key.size()) == key) overridden = true;
            if (!overridden) env_storage.emplace_back(entry);
        }
    }
    for (const auto& o : options.env) env_storage.push_back(o);
    std::vector<char*> envp;
    envp.reserve(env_storage.size() + 1);
    for (auto& e : env_storage) envp.push_back(e.data());
    envp.push_back(nullptr);

    // fork + exec rather than posix_spawn: the child must set PR_SET_PDEATHSIG before exec, which posix_spawn
    // cannot do. Everything the child needs is prepared above; between fork and exec it only makes
    // async-signal-safe calls. Exec failures come back through a close-on-exec pipe.
    int error_pipe[2];
    if (::pipe2(error_pipe, O_CLOEXEC) != 0)
        return make_error(Errc::kIo, "spawn " + options.argv[0] + ": pipe: " + errno_text(errno));
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) {
        const int e = errno;
        ::close(error_pipe[0]);
        ::close(error_pipe[1]);
        return make_error(Errc::kIo, "spawn " + options.argv[0] + ": fork: " + errno_text(e));
    }
    if (pid == 0) {
        ::close(error_pipe[0]);
        if (options.die_with_parent) {
            if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(error_pipe[1], errno);
            if (::getppid() != parent) ::_exit(127);  // the parent died before prctl took effect
        }
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        if (!child_redirect("/dev/null", O_RDONLY, STDIN_FILENO) ||
            !child_redirect(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, STDOUT_FILENO))
            child_fail(error_pipe[1], errno);
        if (shared_output ? ::dup2(STDOUT_FILENO, STDERR_FILENO) < 0
                          : !child_redirect(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, STDERR_FILENO))
            child_fail(error_pipe[1], errno);
        if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0)
            child_fail(error_pipe[1], errno);
        ::execvpe(argv[0], argv.data(), envp.data());
        child_fail(error_pipe[1], errno);
    }
    ::close(error_pipe[1]);
    int child_errno = 0;
    ssize_t n = 0;
    do {
        n = ::read(error_pipe[0], &child_errno, sizeof child_errno);
    } while (n < 0 && errno == EINTR);
    ::close(error_pipe[0]);
    if (n > 0) {
        int raw = 0;
        while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
        }
        return make_error(Errc::kIo, "spawn " + options.argv[0] + ": " + errno_text(child_errno));
    }
    return Process(pid);
}

bool Process::running() {
    if (pid_ <= 0 || status_) return false;
    auto s = try_wait();
    return s && !s->has_value();
}

Result<std::optional<ExitStatus>> Process::try_wait() {
    if (status_) return status_;
    if (pid_ <= 0) return make_error(Errc::kIo, "wait: no child process");
    int raw = 0;
    pid_t r = 0;
    do {
        r = ::waitpid(pid_, &raw, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r < 0) return make_error(Errc::kIo, "waitpid " + std::to_string(pid_) + ": " + errno_text(errno));
    if (r == 0) return std::optional<ExitStatus>{};
    status_ = decode_status(raw);
    return status_;
}

Result<ExitStatus> Process::wait_for(std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::milliseconds(1);
    for (;;) {
        WP_TRY(auto s, try_wait());
        if (s) return *s;
        if (std::chrono::steady_clock::now() >= deadline)
            return make_error(Errc::kTimeout, "process " + std::to_string(pid_) + " still running after " +
                                                  std::to_string(timeout.count()) + " ms");
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::milliseconds(20));
    }
}

Result<ExitStatus> Process::terminate(std::chrono::milliseconds grace) {
    if (status_) return *status_;
    if (pid_ <= 0) return make_error(Errc::kIo, "terminate: no child process");
    ::kill(pid_, SIGTERM);
    auto s = wait_for(grace);
    if (s) return s;
    ::kill(pid_, SIGKILL);
    return wait_for(std::chrono::seconds(10));
}

Result<void> Process::kill(int signal_number) {
    if (pid_ <= 0 || status_) return make_error(Errc::kIo, "kill: no running child process");
    if (::kill(pid_, signal_number) != 0)
        return make_error(Errc::kIo, "kill " + std::to_string(pid_) + ": " + errno_text(errno));
    return {};
}

Result<std::string> read_text_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return make_error(Errc::kIo, "cannot open " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace wp::sys
