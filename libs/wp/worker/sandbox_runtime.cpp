#include "sandbox_runtime.hpp"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <system_error>
#include <thread>
#include <vector>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

#include "bundle.hpp"

namespace wp::worker {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::uint64_t kMaxOutputEntries = 100000;

Error sandbox_error(Errc code, const std::string& what) { return Error{code, "sandbox: " + what}; }

bool write_text(const fs::path& p, const std::string& v) {
    std::ofstream f(p);
    f << v;
    f.close();
    return static_cast<bool>(f);
}

std::string random_name() {
    std::uint8_t b[6];
    secure_random(b);
    return "wp-sandbox-" + to_hex_no_prefix(ByteView(b, sizeof b));
}

// Whether the unprivileged sandbox uid/gid can reach `path` (every ancestor directory searchable by it). A worker
// running as root keeps its work folder wherever its operator put it — under /root (0700 on Debian 12) or a
// `mktemp -d` folder (0700) — where the sandbox user could not follow the path to the bind sources.
bool reachable_by(const fs::path& path, uid_t uid, gid_t gid) {
    fs::path p = fs::absolute(path).lexically_normal();
    for (fs::path dir = p.parent_path();; dir = dir.parent_path()) {
        struct stat st {};
        if (::stat(dir.c_str(), &st) != 0) return false;
        const mode_t bit = st.st_uid == uid ? S_IXUSR : st.st_gid == gid ? S_IXGRP : S_IXOTH;
        if ((st.st_mode & bit) == 0) return false;
        if (dir == dir.root_path()) return true;
    }
}

// Total size of the files under dir (links not followed) and whether the entry count stays reasonable.
std::uint64_t output_size(const fs::path& dir) {
    std::uint64_t total = 0, count = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0) total += static_cast<std::uint64_t>(st.st_size);
        if (++count > kMaxOutputEntries) return UINT64_MAX;  // an inode flood counts as too much output
    }
    return total;
}

// Reads "key N" from a cgroup file (memory.events, memory.oom_control).
std::uint64_t cgroup_counter(const fs::path& file, const std::string& key) {
    std::ifstream f(file);
    std::string k;
    std::uint64_t v = 0;
    while (f >> k >> v)
        if (k == key) return v;
    return 0;
}

// Decimal text of a pid without allocating (for the forked child).
std::size_t format_pid(char* buf, long v) {
    char tmp[24];
    std::size_t n = 0;
    do {
        tmp[n++] = static_cast<char>('0' + v % 10);
        v /= 10;
    } while (v > 0);
    for (std::size_t i = 0; i < n; ++i) buf[i] = tmp[n - 1 - i];
    buf[n] = '\n';
    return n + 1;
}

// What the child does between clone and execve, precomputed by the parent (the child may not allocate).
struct ChildSetup {
    bool use_cgroup{false};
    int cg_fd{-1};
    int pids_fd{-1};  // the v1 pids group's cgroup.procs (-1: none)
    int devnull{-1};
    int out_fd{-1};
    const std::vector<std::pair<std::string, std::string>>* staged{nullptr};  // (from, to) bind stagings
    rlim_t cpu_seconds{0};
    rlim_t fsize{0};
    bool use_rlimit_as{false};
    rlim_t as_bytes{0};
    bool drop_root{false};
    uid_t uid{0};
    gid_t gid{0};
    const char* path{nullptr};
    char** argv{nullptr};
    char** envp{nullptr};
    sigset_t parent_mask{};
};

// The child, started by clone(CLONE_VM | CLONE_VFORK): it runs on the parent's memory (no copy of the worker's
// address space, no copy-on-write faults, no TLB shootdowns across the worker's threads: fork() of the
// multithreaded worker was most of its CPU per task) while the parent thread waits for the execve. So: raw system
// calls only — no allocation, no lock, and no glibc set*id wrapper (those signal every thread of the worker).
int child_main(void* arg) {
    const ChildSetup& c = *static_cast<const ChildSetup*>(arg);
    // The worker's signal handlers must not run here (they would run on the worker's memory): back to the
    // defaults (SIG_IGN included, so the app starts with standard dispositions), then the caller's mask.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; ++sig) {
        if (sig == SIGKILL || sig == SIGSTOP) continue;
        ::sigaction(sig, &dfl, nullptr);
    }
    ::sigprocmask(SIG_SETMASK, &c.parent_mask, nullptr);
    ::setpgid(0, 0);
    if (c.use_cgroup) {
        char buf[32];
        const std::size_t n = format_pid(buf, static_cast<long>(::syscall(SYS_getpid)));
        if (::write(c.cg_fd, buf, n) != static_cast<ssize_t>(n)) ::_exit(125);
    }
    if (c.pids_fd >= 0) {
        char buf[32];
        const std::size_t n = format_pid(buf, static_cast<long>(::syscall(SYS_getpid)));
        if (::write(c.pids_fd, buf, n) != static_cast<ssize_t>(n)) ::_exit(125);
    }
    if (c.devnull >= 0) ::dup2(c.devnull, 0);
    ::dup2(c.out_fd, 1);
    ::dup2(c.out_fd, 2);
    if (!c.staged->empty()) {
        // Descriptors opened inside the new namespace (a bind source must belong to it), before /tmp is covered.
        static constexpr char kMsg[] = "sandbox: cannot stage the bind mounts (mount namespace, tmpfs on /tmp)\n";
        auto fail = [] {
            [[maybe_unused]] auto n = ::write(2, kMsg, sizeof kMsg - 1);
            ::_exit(125);
        };
        if (::unshare(CLONE_NEWNS) != 0 || ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) fail();
        const auto& staged = *c.staged;
        int fds[3] = {-1, -1, -1};
        for (std::size_t i = 0; i < staged.size() && i < 3; ++i) {
            fds[i] = ::open(staged[i].first.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
            if (fds[i] < 0) fail();
        }
        if (::mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) fail();
        for (std::size_t i = 0; i < staged.size() && i < 3; ++i) {
            char from[48] = "/proc/self/fd/";
            const std::size_t n = format_pid(from + 14, static_cast<long>(fds[i]));
            from[14 + n - 1] = '\0';  // format_pid ends with a newline
            if (::mkdir(staged[i].second.c_str(), 0755) != 0 ||
                ::mount(from, staged[i].second.c_str(), nullptr, MS_BIND | MS_REC, nullptr) != 0)
                fail();
            ::close(fds[i]);
        }
    }
    ::close_range(3, ~0U, 0);  // nothing of the worker (sockets, files) reaches the app
    struct rlimit rl {};
    rl.rlim_cur = rl.rlim_max = c.cpu_seconds;
    ::setrlimit(RLIMIT_CPU, &rl);
    rl.rlim_cur = rl.rlim_max = c.fsize;
    ::setrlimit(RLIMIT_FSIZE, &rl);
    rl.rlim_cur = rl.rlim_max = 0;
    ::setrlimit(RLIMIT_CORE, &rl);
    if (c.use_rlimit_as) {
        rl.rlim_cur = rl.rlim_max = c.as_bytes;
        ::setrlimit(RLIMIT_AS, &rl);
    }
    // Raw system calls: they change this task only (the child), which is what is wanted.
    if (c.drop_root &&
        (::syscall(SYS_setgroups, 0, nullptr) != 0 || ::syscall(SYS_setresgid, c.gid, c.gid, c.gid) != 0 ||
         ::syscall(SYS_setresuid, c.uid, c.uid, c.uid) != 0))
        ::_exit(125);
    ::execve(c.path, c.argv, c.envp);
    ::_exit(127);
}

// Starts child_main on its own stack; returns its pid (the child has exec'd or exited by then), or -1 with `err`.
pid_t spawn_child(ChildSetup& setup, int& err) {
    constexpr std::size_t kStack = 64 * 1024;
    auto stack = std::make_unique_for_overwrite<unsigned char[]>(kStack);
    sigset_t all;
    ::sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &setup.parent_mask);  // no handler of ours runs in the child
    void* top = reinterpret_cast<void*>((reinterpret_cast<std::uintptr_t>(stack.get() + kStack)) & ~std::uintptr_t{15});
    const pid_t pid = ::clone(child_main, top, CLONE_VM | CLONE_VFORK | SIGCHLD, &setup);
    err = errno;
    ::pthread_sigmask(SIG_SETMASK, &setup.parent_mask, nullptr);
    return pid;
}
}  // namespace

SandboxRuntime::SandboxRuntime(SandboxOptions options) : options_(std::move(options)) {
    std::error_code ec;
    // cgroup v2 (unified) first, then the v1 hierarchies; keep the one where a child group can be created and has
    // the controller's file.
    struct Candidate {
        fs::path root;
        bool v2;
        const char* controller;
        const char* limit_file;
    };
    auto probe = [&](const Candidate& c) {
        if (!fs::exists(c.root.parent_path(), ec)) return false;
        fs::create_directory(c.root, ec);
        if (c.v2) write_text(c.root / "cgroup.subtree_control", std::string("+") + c.controller);
        const fs::path dir = c.root / random_name();
        if (::mkdir(dir.c_str(), 0755) != 0) return false;
        const bool ok = fs::exists(dir / c.limit_file, ec);
        ::rmdir(dir.c_str());
        return ok;
    };
    if (options_.use_memory_cgroup) {
        for (const Candidate& c :
             {Candidate{"/sys/fs/cgroup/wp-sandbox", true, "memory", "memory.max"},
              Candidate{"/sys/fs/cgroup/memory/wp-sandbox", false, "memory", "memory.limit_in_bytes"}}) {
            if (probe(c)) {
                cgroup_root_ = c.root.string();
                cgroup_v2_ = c.v2;
                break;
            }
        }
    }
    if (options_.use_pids_cgroup) {
        for (const Candidate& c : {Candidate{"/sys/fs/cgroup/wp-sandbox", true, "pids", "pids.max"},
                                   Candidate{"/sys/fs/cgroup/pids/wp-sandbox", false, "pids", "pids.max"}}) {
            if (probe(c)) {
                pids_root_ = c.root.string();
                break;
            }
        }
    }
}

SandboxRuntime::~SandboxRuntime() {
    std::lock_guard lock(pool_mu_);
    for (const auto& [root, groups] : pools_)
        for (const auto& c : groups) ::rmdir(c.c_str());
}

fs::path SandboxRuntime::acquire_cgroup(const std::string& root) {
    {
        std::lock_guard lock(pool_mu_);
        auto& pool = pools_[root];
        if (!pool.empty()) {
            fs::path c = std::move(pool.back());
            pool.pop_back();
            return c;
        }
    }
    fs::path c = fs::path(root) / random_name();
    if (::mkdir(c.c_str(), 0755) != 0) return {};
    return c;
}

void SandboxRuntime::release_cgroup(const fs::path& cgroup) {
    // Back to the pool once empty (the namespace's processes may take a moment to be reaped after a kill).
    for (int i = 0; i < 200; ++i) {
        std::ifstream procs(cgroup / "cgroup.procs");
        std::string pid;
        if (!(procs >> pid)) {
            std::lock_guard lock(pool_mu_);
            pools_[cgroup.parent_path().string()].push_back(cgroup);
            return;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    ::rmdir(cgroup.c_str());  // still busy: not reused (the kernel removes it once empty... or an operator does)
}

Result<RunOutcome> SandboxRuntime::run(const RunSpec& spec, const std::atomic<bool>& cancel) {
    std::error_code ec;
    if (::access(options_.bwrap.c_str(), X_OK) != 0)
        return make_error(sandbox_error(Errc::kIo, "bubblewrap not found at " + options_.bwrap));
    if (::access(options_.busybox.c_str(), X_OK) != 0)
        return make_error(sandbox_error(Errc::kIo, "busybox not found at " + options_.busybox));
    WP_TRY(const auto manifest,
           read_bundle_manifest(spec.app).map_error([](Error e) { return e.with_context("sandbox"); }));
    if (!fs::is_directory(spec.out_dir, ec))
        return make_error(sandbox_error(Errc::kInvalidArgument, "output folder " + spec.out_dir.string() + " missing"));
    if (!spec.in_dir.empty() && !fs::is_directory(spec.in_dir, ec))
        return make_error(sandbox_error(Errc::kInvalidArgument, "input folder " + spec.in_dir.string() + " missing"));

    // ---- staging (root only) ---------------------------------------------------------------------------------
    // As root the child drops to sandbox_uid before bwrap runs. When that user cannot reach the bind sources, the
    // child first enters a private mount namespace (only its own), mounts a tmpfs on /tmp and bind-mounts the app,
    // input and output folders there from descriptors opened here (a descriptor skips the path's permissions),
    // so bwrap binds /tmp/wp-{app,in,out} instead. Nothing changes for the host's mounts.
    const bool drop_root = ::geteuid() == 0;
    const uid_t uid = static_cast<uid_t>(options_.sandbox_uid);
    const gid_t gid = static_cast<gid_t>(options_.sandbox_gid);
    std::vector<std::pair<std::string, std::string>> staged;  // (the folder's absolute path, /tmp/wp-…)
    fs::path app_src = fs::absolute(spec.app), in_src = spec.in_dir.empty() ? fs::path{} : fs::absolute(spec.in_dir),
             out_src = fs::absolute(spec.out_dir);
    if (drop_root && (!reachable_by(app_src / "x", uid, gid) || !reachable_by(out_src / "x", uid, gid) ||
                      (!in_src.empty() && !reachable_by(in_src / "x", uid, gid)))) {
        using Source = std::pair<fs::path*, const char*>;
        for (const auto& [src, name] : {Source{&app_src, "app"}, Source{&in_src, "in"}, Source{&out_src, "out"}}) {
            if (src->empty()) continue;
            staged.emplace_back(src->string(), std::string("/tmp/wp-") + name);
            *src = staged.back().second;
        }
    }

    // ---- cgroups (reused from a pool: creating and removing one costs tens of ms) -----------------------------
    // Memory: memory_bytes. Processes: pids.max = max_pids + 1 (bwrap's own process is in the group
    // too). cgroup v2: one group carries both limits; v1: one group per hierarchy.
    fs::path cgroup;      // the memory group (or the v2 group): its OOM counter is read at the end
    fs::path pids_group;  // the v1 pids group
    int cgroup_procs = -1;
    int pids_procs = -1;
    bool pids_by_cgroup = false;
    std::uint64_t oom_before = 0;
    const std::string oom_file = cgroup_v2_ ? "memory.events" : "memory.oom_control";
    const bool want_memory = spec.memory_bytes > 0 && !cgroup_root_.empty();
    const bool want_pids = spec.max_pids > 0 && !pids_root_.empty();
    const bool unified = cgroup_v2_ && !cgroup_root_.empty() && pids_root_ == cgroup_root_;
    const std::string pids_max = std::to_string(static_cast<std::uint64_t>(spec.max_pids) + 1);
    if (want_memory || (unified && want_pids)) {
        cgroup = acquire_cgroup(cgroup_root_);
        if (!cgroup.empty()) {
            const std::string limit = want_memory ? std::to_string(spec.memory_bytes) : "max";
            bool ok = false;
            if (cgroup_v2_) {
                ok = write_text(cgroup / "memory.max", limit);
                write_text(cgroup / "memory.swap.max", "0");
                if (unified) {
                    // A pooled group keeps its last limits: both are written on every run.
                    pids_by_cgroup = want_pids && write_text(cgroup / "pids.max", want_pids ? pids_max : "max");
                    if (!want_pids) write_text(cgroup / "pids.max", "max");
                    ok = ok && (!want_pids || pids_by_cgroup);
                }
            } else {
                // memory.limit_in_bytes ≤ memory.memsw.limit_in_bytes must hold at every step (memsw is absent
                // without swap accounting): limit, memsw, limit works whether the limit goes up or down.
                ok = write_text(cgroup / "memory.limit_in_bytes", limit);
                write_text(cgroup / "memory.memsw.limit_in_bytes", limit);
                ok = write_text(cgroup / "memory.limit_in_bytes", limit) || ok;
            }
            oom_before = cgroup_counter(cgroup / oom_file, "oom_kill");
            if (ok) cgroup_procs = ::open((cgroup / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
            if (cgroup_procs < 0) {
                release_cgroup(cgroup);
                cgroup.clear();
                pids_by_cgroup = false;
            }
        }
    }
    if (want_pids && !unified) {
        pids_group = acquire_cgroup(pids_root_);
        if (!pids_group.empty()) {
            if (write_text(pids_group / "pids.max", pids_max))
                pids_procs = ::open((pids_group / "cgroup.procs").c_str(), O_WRONLY | O_CLOEXEC);
            if (pids_procs < 0) {
                release_cgroup(pids_group);
                pids_group.clear();
            } else {
                pids_by_cgroup = true;
            }
        }
    }
    auto remove_cgroup = [&] {
        if (cgroup_procs >= 0) ::close(cgroup_procs);
        if (pids_procs >= 0) ::close(pids_procs);
        cgroup_procs = pids_procs = -1;
        if (!cgroup.empty()) release_cgroup(cgroup);
        if (!pids_group.empty()) release_cgroup(pids_group);
        cgroup.clear();
        pids_group.clear();
    };

    // ---- the command line -----------------------------------------------------------------------------------
    // --as-pid-1: the app is the pid namespace's init (no bwrap reaper process: one fork less per task, about a fifth
    // of a sandbox start's CPU). The run ends when the app's main process exits: the kernel then kills whatever it
    // left in the namespace, as a container's end does (the reaper waited for every process of the namespace).
    std::vector<std::string> args = {options_.bwrap,
                                     "--unshare-all",
                                     "--unshare-user",
                                     "--uid",
                                     "1000",
                                     "--gid",
                                     "1000",
                                     "--cap-drop",
                                     "ALL",
                                     "--die-with-parent",
                                     "--as-pid-1",
                                     "--new-session",
                                     "--hostname",
                                     "iexec",
                                     "--ro-bind",
                                     options_.busybox,
                                     "/bin/sh",
                                     "--ro-bind",
                                     options_.busybox,
                                     "/bin/busybox",
                                     "--proc",
                                     "/proc",
                                     "--dev",
                                     "/dev",
                                     "--ro-bind",
                                     app_src.string(),
                                     "/app"};
    if (!in_src.empty()) {
        args.insert(args.end(), {"--ro-bind", in_src.string(), spec.in_mount});
    }
    args.insert(args.end(), {"--bind", out_src.string(), spec.out_mount, "--remount-ro", "/dev", "--remount-ro", "/",
                             "--chdir", "/app", "--"});
    // The process limit: the pids cgroup when there is one (the entrypoint is then exec'd directly: one program
    // start less per task), else a shell sets RLIMIT_NPROC inside the user namespace and execs the entrypoint.
    if (spec.max_pids > 0 && !pids_by_cgroup) {
        args.insert(args.end(), {"/bin/sh", "-c",
                                 "ulimit -u " + std::to_string(spec.max_pids) + " || exit 126; exec \"$0\" \"$@\""});
    }
    args.push_back("/app/" + manifest.entrypoint);
    const auto& app_args = spec.args.empty() ? manifest.args : spec.args;
    args.insert(args.end(), app_args.begin(), app_args.end());
    std::vector<std::string> env;
    for (const auto& [k, v] : spec.env) env.push_back(k + "=" + v);
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);

    int pipefd[2];
    if (::pipe2(pipefd, O_CLOEXEC) != 0) {
        remove_cgroup();
        return make_error(sandbox_error(Errc::kIo, std::string("pipe: ") + std::strerror(errno)));
    }
    const int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    const rlim_t cpu_seconds =
        static_cast<rlim_t>(std::chrono::duration_cast<std::chrono::seconds>(spec.max_time).count() + 1);
    const rlim_t fsize = static_cast<rlim_t>(spec.max_output_bytes + 1);
    const bool use_rlimit_as = spec.memory_bytes > 0 && cgroup_procs < 0;
    const rlim_t as_bytes = static_cast<rlim_t>(spec.memory_bytes);
    const char* bwrap_path = options_.bwrap.c_str();
    if (drop_root && ::chown(spec.out_dir.c_str(), uid, gid) != 0) {
        const int err = errno;
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        if (devnull >= 0) ::close(devnull);
        remove_cgroup();
        return make_error(sandbox_error(Errc::kIo, "chown " + spec.out_dir.string() + ": " + std::strerror(err)));
    }

    ChildSetup setup;
    setup.use_cgroup = cgroup_procs >= 0;
    setup.cg_fd = cgroup_procs;
    setup.pids_fd = pids_procs;
    setup.devnull = devnull;
    setup.out_fd = pipefd[1];
    setup.staged = &staged;
    setup.cpu_seconds = cpu_seconds;
    setup.fsize = fsize;
    setup.use_rlimit_as = use_rlimit_as;
    setup.as_bytes = as_bytes;
    setup.drop_root = drop_root;
    setup.uid = uid;
    setup.gid = gid;
    setup.path = bwrap_path;
    setup.argv = argv.data();
    setup.envp = envp.data();

    const auto start = Clock::now();
    int spawn_err = 0;
    const pid_t pid = spawn_child(setup, spawn_err);
    if (pid < 0) {
        ::close(pipefd[0]);
        ::close(pipefd[1]);
        if (devnull >= 0) ::close(devnull);
        remove_cgroup();
        return make_error(sandbox_error(Errc::kIo, std::string("clone: ") + std::strerror(spawn_err)));
    }
    ::close(pipefd[1]);
    if (devnull >= 0) ::close(devnull);
    const int out_fd = pipefd[0];
    ::fcntl(out_fd, F_SETFL, ::fcntl(out_fd, F_GETFL) | O_NONBLOCK);

    RunOutcome outcome;
    std::string tail;
    auto drain = [&] {
        char buf[8192];
        while (true) {
            const ssize_t n = ::read(out_fd, buf, sizeof buf);
            if (n <= 0) return n == 0;  // true at EOF
            tail.append(buf, static_cast<std::size_t>(n));
            if (tail.size() > 2 * options_.log_tail_bytes) tail.erase(0, tail.size() - options_.log_tail_bytes);
        }
    };
    auto kill_tree = [&] { ::kill(-pid, SIGKILL); };

    int status = 0;
    bool reaped = false;
    bool eof = false;
    // A pidfd wakes the loop the moment the sandbox exits (no polling delay); without one, poll_interval bounds it.
    const int pidfd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    auto next_output_check = start + options_.output_check_interval;
    while (!reaped) {
        struct pollfd p[2] = {{eof ? -1 : out_fd, POLLIN, 0}, {pidfd, POLLIN, 0}};
        ::poll(p, 2, static_cast<int>(options_.poll_interval.count()));
        if (!eof) eof = drain();
        const pid_t w = ::waitpid(pid, &status, WNOHANG);
        if (w == pid) {
            reaped = true;
            break;
        }
        const auto now = Clock::now();
        bool stop = false;
        if (cancel.load()) {
            outcome.canceled = stop = true;
        } else if (now - start >= spec.max_time) {
            outcome.timed_out = stop = true;
        } else if (now >= next_output_check) {
            next_output_check = now + options_.output_check_interval;
            if (output_size(spec.out_dir) > spec.max_output_bytes) outcome.output_too_large = stop = true;
        }
        if (stop) {
            kill_tree();
            while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
            reaped = true;
        }
    }
    if (pidfd >= 0) ::close(pidfd);
    kill_tree();  // anything left in the group (the namespace is gone with its init anyway)
    // Read what is left in the pipe; once every process of the sandbox is gone it reaches EOF.
    for (int i = 0; i < 100 && !eof; ++i) {
        struct pollfd p {
            out_fd, POLLIN, 0
        };
        ::poll(&p, 1, 10);
        eof = drain();
    }
    ::close(out_fd);
    outcome.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (WIFEXITED(status)) {
        outcome.exit_code = WEXITSTATUS(status);
    } else {
        outcome.exit_code = -1;
    }
    if (outcome.canceled || outcome.timed_out || outcome.output_too_large) outcome.exit_code = -1;
    if (!outcome.output_too_large && output_size(spec.out_dir) > spec.max_output_bytes) outcome.output_too_large = true;
    if (!cgroup.empty() && cgroup_counter(cgroup / oom_file, "oom_kill") > oom_before) outcome.out_of_memory = true;
    remove_cgroup();
    if (tail.size() > options_.log_tail_bytes) tail.erase(0, tail.size() - options_.log_tail_bytes);
    outcome.log_tail = std::move(tail);
    if (outcome.exit_code == 127 && outcome.log_tail.empty())
        return make_error(sandbox_error(Errc::kIo, "cannot start " + options_.bwrap));
    // An entrypoint the kernel cannot execute (a missing loader, not a program) is the app's failure, as a shell's
    // "not found" (127) was.
    if (outcome.exit_code == 1 && outcome.log_tail.rfind("bwrap: execvp ", 0) == 0) {
        outcome.exit_code = 127;
        return outcome;
    }
    // bwrap's own failures (a mount it cannot make, namespaces refused) are the runtime's, not the app's.
    if (outcome.exit_code == 1 && outcome.log_tail.rfind("bwrap: ", 0) == 0)
        return make_error(sandbox_error(Errc::kIo, outcome.log_tail.substr(0, outcome.log_tail.find('\n'))));
    return outcome;
}

}  // namespace wp::worker
