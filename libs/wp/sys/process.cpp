#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
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

class FileActions {
  public:
    FileActions() { posix_spawn_file_actions_init(&actions_); }
    ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
    FileActions(const FileActions&) = delete;
    FileActions& operator=(const FileActions&) = delete;
    posix_spawn_file_actions_t* get() { return &actions_; }

  private:
    posix_spawn_file_actions_t actions_{};
};

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

    FileActions actions;
    const std::string out = options.stdout_path.empty() ? "/dev/null" : options.stdout_path;
    const std::string err = options.stderr_path.empty() ? "/dev/null" : options.stderr_path;
    if (posix_spawn_file_actions_addopen(actions.get(), STDIN_FILENO, "/dev/null", O_RDONLY, 0) != 0 ||
        posix_spawn_file_actions_addopen(actions.get(), STDOUT_FILENO, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                         0644) != 0)
        return make_error(Errc::kIo, "spawn " + options.argv[0] + ": cannot set up stdout");
    int rc = 0;
    if (err == out && !options.stdout_path.empty())
        rc = posix_spawn_file_actions_adddup2(actions.get(), STDOUT_FILENO, STDERR_FILENO);
    else
        rc = posix_spawn_file_actions_addopen(actions.get(), STDERR_FILENO, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                              0644);
    if (rc != 0) return make_error(Errc::kIo, "spawn " + options.argv[0] + ": cannot set up stderr");
    if (!options.working_dir.empty()) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 29))
        if (posix_spawn_file_actions_addchdir_np(actions.get(), options.working_dir.c_str()) != 0)
            return make_error(Errc::kIo, "spawn " + options.argv[0] + ": cannot set the working directory");
#else
        return make_error(Errc::kUnsupported, "spawn: working_dir needs glibc >= 2.29");
#endif
    }

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

    pid_t pid = 0;
    rc = posix_spawnp(&pid, argv[0], actions.get(), nullptr, argv.data(), envp.data());
    if (rc != 0) return make_error(Errc::kIo, "spawn " + options.argv[0] + ": " + errno_text(rc));
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
