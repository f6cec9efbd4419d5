#pragma once
// SandboxRuntime: runs an app bundle (bundle.hpp) as a sandboxed process under bubblewrap (Debian `bubblewrap`).
//
// Isolation (every run):
//   - as an unprivileged host uid (SandboxOptions::sandbox_uid when the worker is root);
//   - new user, pid, mount, network, IPC, UTS and cgroup namespaces (`--unshare-all --unshare-user`), the app as
//     uid/gid 1000 inside with no capabilities (`--cap-drop ALL`), a new session (`--new-session`, no terminal
//     injection), killed with the worker (`--die-with-parent`); no network at all (only a loopback of its own);
//   - the app is the init (pid 1) of its pid namespace (`--as-pid-1`): the run ends when it exits, and whatever it
//     left running is killed with the namespace;
//   - a read-only root made only of: the bundle at /app, the host's static busybox at /bin/sh and /bin/busybox (the
//     shell a bundle's scripts use: busybox runs its applets without /bin links), a private /proc, a minimal /dev
//     (null, zero, random, urandom, tty; remounted read-only), IEXEC_IN read-only at spec.in_mount, IEXEC_OUT
//     read-write at spec.out_mount. Nothing else of the host is visible and nothing else is writable;
//   - the environment is exactly spec.env; the working directory is /app;
//   - the command is /app/<manifest entrypoint> followed by spec.args, or the manifest's default args when
//     spec.args is empty.
// Limits:
//   - wall time spec.max_time: the whole process tree is killed (SIGKILL to the process group; the pid namespace
//     dies with it) → timed_out;
//   - CPU time: RLIMIT_CPU = max_time (per process, so a busy loop cannot outlive the wall limit either);
//   - memory spec.memory_bytes: a memory cgroup when the host lets the worker create one (cgroup v2, or v1 under
//     /sys/fs/cgroup/memory; empty groups are kept in a pool and reused, removed with the runtime), killed by the
//     kernel's OOM killer → out_of_memory; otherwise RLIMIT_AS per process (allocations fail; the app usually exits
//     non-zero, out_of_memory stays false);
//   - processes spec.max_pids: a pids cgroup (v2, or v1 under /sys/fs/cgroup/pids; pooled like the memory groups)
//     with pids.max = max_pids + 1 (bubblewrap's own process is in it), and the entrypoint exec'd directly;
//     without one, a busybox shell sets RLIMIT_NPROC inside the sandbox's user namespace (counts only the app's
//     processes) and execs the entrypoint. Either way a fork bomb stops at the limit;
//   - output spec.max_output_bytes: RLIMIT_FSIZE per file, and the total size of out_dir is watched (every
//     `output_check_interval`) → the tree is killed and output_too_large set;
//   - the log: stdout and stderr go through a pipe; only the last `log_tail_bytes` are kept (no disk, no limit on
//     how much the app prints).
// Errors (Result's error side): "sandbox: ..." when bwrap / busybox is missing, the bundle has no valid manifest,
// the folders are missing, or fork / pipe fail. A failing app is a RunOutcome (runtime.hpp).
// Thread safety: run() may be called from several threads at once (each run has its own process and cgroup).

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "runtime.hpp"

namespace wp::worker {

struct SandboxOptions {
    std::string bwrap{"/usr/bin/bwrap"};
    std::string busybox{"/bin/busybox"};  //!< must be a static binary (Debian busybox-static)
    std::chrono::milliseconds poll_interval{10};
    std::chrono::milliseconds output_check_interval{50};
    std::size_t log_tail_bytes{8192};
    //! Try a memory cgroup for memory_bytes (falls back to RLIMIT_AS when the host does not allow it).
    bool use_memory_cgroup{true};
    //! Try a pids cgroup for max_pids (falls back to a shell setting RLIMIT_NPROC: one more program start per run).
    bool use_pids_cgroup{true};
    //! When the worker runs as root, bubblewrap (and so the app) runs as this host uid / gid instead: root's own
    //! processes are exempt from RLIMIT_NPROC, and the app must not be root on the host even through a user
    //! namespace. out_dir is given to this uid before the run; the folders above in_dir / out_dir / the bundle
    //! must be searchable by it (mode o+x), which ReplicateRunner's work folder is.
    unsigned sandbox_uid{65534};
    unsigned sandbox_gid{65534};
};

class SandboxRuntime : public AppRuntime {
  public:
    explicit SandboxRuntime(SandboxOptions options = {});
    ~SandboxRuntime() override;
    SandboxRuntime(const SandboxRuntime&) = delete;
    SandboxRuntime& operator=(const SandboxRuntime&) = delete;
    std::string name() const override { return "sandbox"; }
    //! spec.app is the unpacked bundle folder (it holds iexec-app.json).
    Result<RunOutcome> run(const RunSpec& spec, const std::atomic<bool>& cancel) override;

    //! Whether memory limits use a cgroup on this host (probed once, at construction).
    bool memory_cgroup_available() const { return !cgroup_root_.empty(); }
    //! Whether process limits use a pids cgroup on this host (probed once, at construction).
    bool pids_cgroup_available() const { return !pids_root_.empty(); }

  private:
    std::filesystem::path acquire_cgroup(const std::string& root);
    void release_cgroup(const std::filesystem::path& cgroup);

    SandboxOptions options_;
    std::string cgroup_root_;  // where per-run memory cgroups are created ("" = none)
    bool cgroup_v2_{false};
    std::string pids_root_;  // where per-run pids cgroups are created ("" = none; == cgroup_root_ on cgroup v2)
    std::mutex pool_mu_;
    std::map<std::string, std::vector<std::filesystem::path>> pools_;  // per root: empty groups for the next run
};

}  // namespace wp::worker
