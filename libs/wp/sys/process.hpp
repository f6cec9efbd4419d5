#pragma once
// Child processes (POSIX): spawn with an explicit argv and environment, redirect stdout / stderr to files,
// wait with a timeout, terminate politely (SIGTERM, then SIGKILL after a grace period).
//
// Used by tests and tools that drive external programs (anvil, the iexec SDK). A Process owns its child: the
// destructor terminates and reaps a child that is still running, so a failing test never leaks a process.
// Errors are Errc::kIo (spawn / wait failures, with errno text) and Errc::kTimeout (wait deadline).
// Not thread-safe: one Process is used by one thread at a time.

#include <sys/types.h>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::sys {

struct SpawnOptions {
    //! argv[0] is the program: a path, or a bare name searched in PATH. Must not be empty.
    std::vector<std::string> argv{};
    //! "KEY=VALUE" entries added to (and overriding) the environment.
    std::vector<std::string> env{};
    //! When false, the child's environment is exactly `env`; when true, this process's environment plus `env`.
    bool inherit_env{true};
    //! Files that receive the child's stdout / stderr (created or truncated); "" means /dev/null.
    //! The same path for both appends the two streams into one file.
    std::string stdout_path{};
    std::string stderr_path{};
    //! Working directory of the child; "" keeps the current one.
    std::string working_dir{};
    //! Linux: the child gets SIGKILL when the thread that spawned it ends (PR_SET_PDEATHSIG), so a helper such as
    //! anvil never outlives a parent killed by SIGKILL. Spawn from a thread that lives as long as the child
    //! (the main thread, typically): the signal follows the spawning thread, not the process.
    bool die_with_parent{false};
};

//! How a child ended: exited with a code, or was killed by a signal.
struct ExitStatus {
    bool exited{false};  //!< true: normal exit with `code`; false: killed by `signal`
    int code{0};
    int signal{0};

    bool success() const { return exited && code == 0; }
    //! "exit code 3" / "killed by signal 9".
    std::string to_string() const;
};

class Process {
  public:
    Process() = default;
    Process(Process&& other) noexcept;
    Process& operator=(Process&& other) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    //! Terminates (SIGTERM, 2 s grace, SIGKILL) and reaps the child if it is still running.
    ~Process();

    //! Starts the program (posix_spawnp). Errc::kInvalidArgument for an empty argv; Errc::kIo if the files
    //! cannot be opened or the program cannot be started ("spawn anvil: No such file or directory").
    static Result<Process> spawn(const SpawnOptions& options);

    //! The child's pid (0 for a default-constructed or moved-from Process).
    pid_t pid() const { return pid_; }
    //! True if a child was started and has not been reaped yet.
    bool running();

    //! Non-blocking: the exit status if the child has ended (and reaps it), nullopt while it runs.
    Result<std::optional<ExitStatus>> try_wait();
    //! Waits until the child ends or `timeout` passes (Errc::kTimeout; the child keeps running).
    Result<ExitStatus> wait_for(std::chrono::milliseconds timeout);
    //! Sends SIGTERM, waits up to `grace`, then SIGKILL and waits. Returns how the child ended (the
    //! already-known status if it had ended before).
    Result<ExitStatus> terminate(std::chrono::milliseconds grace = std::chrono::seconds(2));
    //! Sends a signal (e.g. SIGKILL for crash tests). Errc::kIo if no child is running.
    Result<void> kill(int signal_number);

  private:
    explicit Process(pid_t pid) : pid_(pid) {}
    pid_t pid_{0};
    std::optional<ExitStatus> status_;
};

//! Reads a whole (small) file, e.g. a child's captured output; Errc::kIo if it cannot be read.
Result<std::string> read_text_file(const std::string& path);

}  // namespace wp::sys
