#pragma once
// DockerRuntime: runs an app image through the Docker Engine API (v1.41) on the daemon's Unix socket, the way the
// reference worker runs app containers (scheduler-worker.md §7.3), with the limits the reference leaves out.
//
// One run() (see runtime.hpp for the contract shared by all runtimes):
//   1. image: GET /images/{app}/json. A missing image is pulled (POST /images/create, progress stream checked line
//      by line) only when `pull_missing` is set; otherwise the run fails "docker: image 'x' not found on the daemon
//      (pulling is disabled)".
//   2. create: POST /containers/create?name=wp-<instance>-<16 hex> with docker::build_create_body (env exactly,
//      IEXEC_IN read-only and IEXEC_OUT read-write bind mounts, no network unless spec.network, memory (no swap),
//      pids, CapDrop ALL, read-only root with a tmpfs /tmp, no-new-privileges, the instance label).
//      When the answer is lost or unreadable, the container is removed by its name.
//   3. start, then every `poll_interval`: inspect the container (State), check `cancel`, the time limit
//      (spec.max_time from the start) and the size of out_dir (regular files, symbolic links not followed). On
//      cancel / time / size the container is killed (SIGKILL) and the outcome says why (canceled, timed_out,
//      output_too_large; exit_code -1). The output size is checked once more after the app ends, so an app that
//      wrote too much just before exiting is caught too.
//   4. State.OOMKilled -> out_of_memory (exit_code -1).
//   5. log tail: GET /containers/{id}/logs (stdout + stderr, demultiplexed, the last `log_tail_bytes`); a log that
//      cannot be read leaves a note in log_tail instead of failing the run.
//   6. remove: DELETE /containers/{id}?force=true&v=true — always, also after an error or a cancel. A removal that
//      fails is the run's error (cleanup_orphans() removes it later).
// Every container carries the label create.label_key = create.instance, so a worker restarted after a crash calls
// cleanup_orphans() before its first run to remove what its previous life left behind. Two workers sharing one
// daemon must use different instances.
//
// Errors (the runtime failing, not the app): Errc::kNetwork / kTimeout from the socket ("docker: inspect image:
// GET unix:/var/run/docker.sock/v1.41/images/x/json: connect: No such file or directory"), Errc::kRemote for an
// unexpected daemon answer (status and the daemon's message), Errc::kDecoding for a malformed answer,
// Errc::kInvalidArgument for a spec that cannot be expressed (see build_create_body), Errc::kIo when out_dir
// cannot be measured.
//
// Thread safety: run(), cleanup_orphans() and the other members may be called from any number of threads at once
// (each call uses its own connections).

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/net/unix_http_client.hpp>

#include "docker_protocol.hpp"
#include "runtime.hpp"

namespace wp::worker {

struct DockerRuntimeOptions {
    std::string socket_path{"/var/run/docker.sock"};
    //! Path prefix of every request (the API version this code is written against).
    std::string api_version{"v1.41"};
    docker::CreateOptions create{};
    //! Pull an image that the daemon does not have (needs a reachable registry).
    bool pull_missing{false};
    std::chrono::milliseconds pull_timeout{std::chrono::minutes(10)};
    //! Deadline of each API call (pulls excepted).
    std::chrono::milliseconds api_timeout{std::chrono::seconds(30)};
    //! How often a running container's state, `cancel` and the output size are checked (the first checks after the
    //! start come sooner: 5, 10, 20, ... ms up to this interval).
    std::chrono::milliseconds poll_interval{std::chrono::milliseconds(100)};
    //! How long to wait for a killed container to stop before the run fails.
    std::chrono::milliseconds kill_wait{std::chrono::seconds(20)};
    std::size_t log_tail_bytes{4096};
    //! Time source of the deadlines and poll sleeps (nullptr: wp::system_clock()). The container runs in real
    //! time: use a real clock except to test the loop itself.
    Clock* clock{nullptr};
};

class DockerRuntime final : public AppRuntime {
  public:
    //! Does not contact the daemon (see ping()). Options are checked by the calls that use them.
    explicit DockerRuntime(DockerRuntimeOptions options);

    std::string name() const override { return "docker"; }
    Result<RunOutcome> run(const RunSpec& spec, const std::atomic<bool>& cancel) override;

    //! GET /_ping: Ok when the daemon answers "OK".
    Result<void> ping() const;
    //! The image's id ("sha256:..."); pulls it first when missing and `pull_missing` is set (step 1 above).
    Result<std::string> ensure_image(const std::string& image, const std::atomic<bool>& cancel) const;
    //! Ids of the containers (any state) carrying this runtime's instance label.
    Result<std::vector<std::string>> own_containers() const;
    //! Force-removes every container carrying this runtime's instance label; returns how many were removed.
    //! Call it at start-up, before any run() (it would also remove the containers of runs in progress).
    Result<std::size_t> cleanup_orphans() const;

    const DockerRuntimeOptions& options() const { return options_; }

  private:
    std::string path(std::string_view suffix) const;
    Result<net::HttpResponse> call(const char* what, const std::string& method, const std::string& target,
                                   std::string body = {}) const;
    Result<docker::ContainerState> inspect(const std::string& id) const;
    Result<void> kill(const std::string& id) const;
    Result<void> remove(const std::string& id) const;
    Result<void> pull(const std::string& image, const std::atomic<bool>& cancel) const;
    std::string logs_tail(const std::string& id) const;
    Result<RunOutcome> supervise(const std::string& id, const RunSpec& spec, const std::atomic<bool>& cancel) const;

    DockerRuntimeOptions options_;
    net::UnixHttpClient client_;
    Clock& clock_;
};

//! Total size in bytes of the regular files under `dir` (recursively; symbolic links are counted by their own
//! size and not followed). Entries that vanish during the walk are skipped. Errc::kIo when `dir` cannot be read.
Result<std::uint64_t> directory_size(const std::filesystem::path& dir);

}  // namespace wp::worker
