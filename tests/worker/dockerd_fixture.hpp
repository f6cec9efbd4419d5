#pragma once
// Tests only: a private Docker daemon for the tests that need a real dockerd (Debian docker.io), and the test image.
//
// Dockerd::start() runs `dockerd` (WP_DOCKERD or `dockerd` from PATH / /usr/sbin) as a child of the test process with
// everything of its own under a fresh /tmp/wp-dockerd-XXXXXX folder: --data-root, --exec-root, --pidfile, the API
// socket (-H unix://.../docker.sock), no iptables, no bridge (containers get NetworkMode none, or host). It waits
// for GET /_ping = OK (at most 60 s). When the daemon cannot start (not root, no cgroups, binary missing) start()
// returns an error that quotes dockerd's own message (the error / fatal lines of its log), so a test FAILS with the
// reason instead of being skipped.
//
// import_busybox_image() builds a root filesystem from Debian busybox-static (/bin/busybox plus applet links under
// /bin, an empty /tmp) and imports it the way `docker import` does (POST /images/create?fromSrc=-).
//
// start() first removes what earlier runs killed with SIGKILL left behind: /tmp/wp-dockerd-* folders older than a
// minute whose dockerd (pidfile) is gone, with the processes and mounts that mention them.
//
// stop() (and the destructor) sends SIGTERM, waits for dockerd (SIGKILL after 30 s), unmounts whatever is left
// under the folder and removes it; it reports leftovers (a process still alive, a mount that would not go).
//
// Not thread-safe; one daemon per test process (a gtest Environment: see docker_runtime_docker_test.cpp).

#include <memory>
#include <string>
#include <vector>

#include <wp/core/result.hpp>
#include <wp/sys/process.hpp>

namespace wp::testing {

class Dockerd {
  public:
    static Result<std::unique_ptr<Dockerd>> start();
    ~Dockerd();
    Dockerd(const Dockerd&) = delete;
    Dockerd& operator=(const Dockerd&) = delete;

    const std::string& root() const { return root_; }
    const std::string& socket_path() const { return socket_; }
    //! Imports the busybox root filesystem as `reference` ("repo:tag"); returns the image id.
    Result<std::string> import_busybox_image(const std::string& reference) const;
    //! Stops the daemon and removes its folder; the error lists what was left behind.
    Result<void> stop();

  private:
    Dockerd() = default;
    std::string root_;
    std::string socket_;
    sys::Process process_;
    bool stopped_{false};
};

//! Mount points at or under `prefix` (from /proc/self/mountinfo), deepest first.
std::vector<std::string> mounts_under(const std::string& prefix);

}  // namespace wp::testing
