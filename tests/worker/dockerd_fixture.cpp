#include "dockerd_fixture.hpp"

#include <signal.h>
#include <sys/mount.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <wp/net/unix_http_client.hpp>
#include <wp/worker/docker_protocol.hpp>

namespace wp::testing {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// Applets linked into the test image's /bin.
constexpr const char* kApplets[] = {"sh",  "echo",  "cat", "sha256sum", "dd",    "sleep", "mkdir",  "ls",
                                    "env", "touch", "rm",  "true",      "false", "id",    "printf", "head",
                                    "yes", "grep",  "wc",  "nc",        "wget",  "stat",  "test",   "["};

std::string log_excerpt(const std::string& log_path) {
    std::ifstream in(log_path);
    std::vector<std::string> all, errors;
    for (std::string line; std::getline(in, line);) {
        if (line.find("level=error") != std::string::npos || line.find("level=fatal") != std::string::npos ||
            line.find("failed to start") != std::string::npos)
            errors.push_back(line);
        all.push_back(line);
    }
    const auto& pick = errors.empty() ? all : errors;
    std::string out;
    for (std::size_t i = pick.size() > 12 ? pick.size() - 12 : 0; i < pick.size(); ++i) out += "\n  " + pick[i];
    return out.empty() ? " (dockerd wrote nothing)" : out;
}

std::string find_dockerd() {
    if (const char* env = std::getenv("WP_DOCKERD"); env != nullptr && *env != '\0') return env;
    if (const char* path = std::getenv("PATH")) {
        std::stringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');)
            if (!dir.empty() && ::access((dir + "/dockerd").c_str(), X_OK) == 0) return dir + "/dockerd";
    }
    return "/usr/sbin/dockerd";
}

std::string unescape_mount_path(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() + 0 && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// Processes whose command line mentions `marker` (the daemon's private folder): dockerd, its containerd, shims.
std::vector<pid_t> processes_mentioning(const std::string& marker) {
    std::vector<pid_t> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator("/proc", ec)) {
        const auto name = entry.path().filename().string();
        if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
        std::ifstream in(entry.path() / "cmdline", std::ios::binary);
        std::string cmd((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
        if (cmd.find(marker) != std::string::npos) out.push_back(static_cast<pid_t>(std::stol(name)));
    }
    return out;
}

// Folders of daemons from earlier runs that died with their test (SIGKILL): their dockerd is gone (pidfile missing or
// naming no live process) and the folder is more than a minute old (so a daemon still starting is left alone).
// What they left (containerd, shims, mounts) is removed with the folder.
void reap_stale_daemons(const std::string& parent) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(parent, ec)) {
        const auto name = entry.path().filename().string();
        if (name.rfind("wp-dockerd-", 0) != 0 || !entry.is_directory(ec)) continue;
        const auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
        if (ec || age < std::chrono::minutes(1)) continue;
        std::ifstream pidfile(entry.path() / "dockerd.pid");
        long pid = 0;
        if ((pidfile >> pid) && pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno != ESRCH)) continue;
        const std::string root = entry.path().string();
        for (pid_t p : processes_mentioning(root + "/"))
            if (p != ::getpid()) ::kill(p, SIGKILL);
        for (const auto& m : mounts_under(root)) ::umount2(m.c_str(), MNT_DETACH);
        fs::remove_all(entry.path(), ec);
    }
}

}  // namespace

std::vector<std::string> mounts_under(const std::string& prefix) {
    std::vector<std::string> out;
    std::ifstream in("/proc/self/mountinfo");
    for (std::string line; std::getline(in, line);) {
        std::istringstream fields(line);
        std::string id, parent, dev, root, mount_point;
        fields >> id >> parent >> dev >> root >> mount_point;
        const auto path = unescape_mount_path(mount_point);
        if (path == prefix || path.rfind(prefix + "/", 0) == 0) out.push_back(path);
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

Result<std::unique_ptr<Dockerd>> Dockerd::start() {
    reap_stale_daemons(fs::temp_directory_path().string());
    std::string tmpl = (fs::temp_directory_path() / "wp-dockerd-XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) return make_error(Errc::kIo, "dockerd fixture: mkdtemp failed");
    std::unique_ptr<Dockerd> d(new Dockerd());
    d->root_ = tmpl;
    d->socket_ = d->root_ + "/docker.sock";
    const std::string log = d->root_ + "/dockerd.log";
    const std::string dockerd = find_dockerd();

    sys::SpawnOptions spawn;
    spawn.argv = {dockerd,
                  "--data-root=" + d->root_ + "/data",
                  "--exec-root=" + d->root_ + "/exec",
                  "--pidfile=" + d->root_ + "/dockerd.pid",
                  "--host=unix://" + d->socket_,
                  "--iptables=false",
                  "--bridge=none",
                  "--log-level=info"};
    const char* path = std::getenv("PATH");
    spawn.env = {"PATH=" + std::string(path != nullptr ? path : "") + ":/usr/sbin:/usr/bin:/sbin:/bin"};
    spawn.stdout_path = log;
    spawn.stderr_path = log;
    spawn.die_with_parent = true;
    auto process = sys::Process::spawn(spawn);
    if (!process)
        return make_error(Errc::kIo, "dockerd fixture: cannot start " + dockerd +
                                         " (Debian package docker.io): " + process.error().message);
    d->process_ = std::move(*process);

    net::UnixHttpClient client({.socket_path = d->socket_, .request_timeout = 2s});
    const auto give_up = std::chrono::steady_clock::now() + 60s;
    for (;;) {
        auto exited = d->process_.try_wait();
        if (exited && *exited) {
            d->stopped_ = true;
            auto stop = d->stop();
            (void)stop;
            return make_error(Errc::kIo, "dockerd fixture: dockerd ended (" + (*exited)->to_string() +
                                             ") before answering; its log:" + log_excerpt(log));
        }
        if (fs::exists(d->socket_)) {
            auto ping = client.get("/_ping");
            if (ping && ping->status == 200 && ping->body == "OK") break;
        }
        if (std::chrono::steady_clock::now() > give_up) {
            const std::string excerpt = log_excerpt(log);
            auto stop = d->stop();
            (void)stop;
            return make_error(Errc::kTimeout, "dockerd fixture: no answer to /_ping within 60 s; its log:" + excerpt);
        }
        std::this_thread::sleep_for(50ms);  // waiting for an external daemon: no clock seam to use
    }
    return d;
}

Result<std::string> Dockerd::import_busybox_image(const std::string& reference) const {
    const char* env = std::getenv("WP_BUSYBOX");
    const std::string busybox = env != nullptr && *env != '\0' ? env : "/bin/busybox";
    if (::access(busybox.c_str(), X_OK) != 0)
        return make_error(Errc::kIo, "dockerd fixture: " + busybox + " missing (Debian package busybox-static)");
    const std::string rootfs = root_ + "/rootfs";
    std::error_code ec;
    fs::remove_all(rootfs, ec);
    fs::create_directories(rootfs + "/bin", ec);
    fs::create_directories(rootfs + "/tmp", ec);
    fs::create_directories(rootfs + "/etc", ec);
    if (ec) return make_error(Errc::kIo, "dockerd fixture: create " + rootfs + ": " + ec.message());
    fs::copy_file(busybox, rootfs + "/bin/busybox", ec);
    if (ec) return make_error(Errc::kIo, "dockerd fixture: copy " + busybox + ": " + ec.message());
    for (const char* applet : kApplets) fs::create_symlink("busybox", rootfs + "/bin/" + applet, ec);
    const std::string tar = root_ + "/rootfs.tar";
    auto p = sys::Process::spawn(
        {.argv = {"tar", "--numeric-owner", "-C", rootfs, "-cf", tar, "."}, .stderr_path = root_ + "/tar.log"});
    if (!p) return make_error(p.error());
    auto status = p->wait_for(60s);
    if (!status || !status->success())
        return make_error(Errc::kIo, "dockerd fixture: tar of the rootfs failed: " +
                                         sys::read_text_file(root_ + "/tar.log").value_or("?"));
    WP_TRY(auto bytes, sys::read_text_file(tar));

    const auto colon = reference.rfind(':');
    const std::string repo = reference.substr(0, colon);
    const std::string tag = colon == std::string::npos ? "latest" : reference.substr(colon + 1);
    net::UnixHttpClient client({.socket_path = socket_, .request_timeout = 60s});
    auto r = client.request(
        net::HttpRequest{.method = "POST",
                         .url = "/v1.41/images/create?fromSrc=-&repo=" + worker::docker::url_encode(repo) +
                                "&tag=" + worker::docker::url_encode(tag),
                         .headers = {{"Content-Type", "application/x-tar"}},
                         .body = std::move(bytes)});
    if (!r) return make_error(r.error());
    if (r->status != 200)
        return make_error(Errc::kRemote, "dockerd fixture: import: HTTP " + std::to_string(r->status) + ": " +
                                             worker::docker::error_message(r->body));
    worker::docker::PullProgress progress;
    WP_TRY_VOID(progress.feed(r->body));
    WP_TRY_VOID(progress.finish());
    auto inspect = client.get("/v1.41/images/" + reference + "/json");
    if (!inspect) return make_error(inspect.error());
    if (inspect->status != 200)
        return make_error(Errc::kRemote, "dockerd fixture: image " + reference + " missing after the import");
    return worker::docker::parse_image_inspect(inspect->body);
}

Result<void> Dockerd::stop() {
    std::string problems;
    if (process_.pid() != 0 && !stopped_) {
        auto status = process_.terminate(30s);
        if (!status) problems += " dockerd: " + status.error().message + ";";
    }
    stopped_ = true;
    if (root_.empty()) return {};
    // Whatever the daemon left: its containerd or shims (identified by our private folder in their command line).
    for (pid_t pid : processes_mentioning(root_)) {
        if (pid == ::getpid()) continue;
        problems += " process " + std::to_string(pid) + " still running (killed);";
        ::kill(pid, SIGKILL);
    }
    for (const auto& m : mounts_under(root_)) {
        problems += " mount " + m + " left (unmounted);";
        ::umount2(m.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    fs::remove_all(root_, ec);
    if (ec) problems += " cannot remove " + root_ + ": " + ec.message() + ";";
    root_.clear();
    if (!problems.empty()) return make_error(Errc::kIo, "dockerd fixture: stop:" + problems);
    return {};
}

Dockerd::~Dockerd() {
    auto r = stop();
    (void)r;
}

}  // namespace wp::testing
