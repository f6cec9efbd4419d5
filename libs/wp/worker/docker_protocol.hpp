#pragma once
// The Docker Engine API (v1.41) as DockerRuntime speaks it, without any I/O: the container-create body built from a
// RunSpec, strict parsers of the daemon's JSON answers, the log-stream demultiplexer and the image-pull progress
// reader. Everything here reads untrusted bytes (a daemon, or whatever listens on the socket) and never throws;
// docker_protocol_fuzz.cpp fuzzes every reader.
//
// JSON answers are parsed with net::parse_json_strict (no duplicate keys, no trailing data, depth 64, size capped
// per answer) and then checked field by field: a missing field or a field of the wrong type is Errc::kDecoding
// naming the answer and the field ("docker: inspect container: State.ExitCode: missing"). Fields the runtime does
// not use are ignored (the daemon adds fields between API versions).
//
// Thread safety: pure functions; a LogDemuxer / PullProgress object is used by one thread at a time.

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>

#include "runtime.hpp"

namespace wp::worker::docker {

//! Largest JSON answer read from the daemon (a container list with many entries stays far below).
inline constexpr std::size_t kMaxJsonAnswerBytes = std::size_t{16} << 20;

//! What, besides the RunSpec, goes into a container's definition.
struct CreateOptions {
    //! Label put on every container, with value `instance`: cleanup_orphans() finds containers by it.
    std::string label_key{"org.wp.worker.instance"};
    std::string instance{"default"};
    //! NetworkMode when RunSpec::network is true ("none" otherwise).
    std::string network_mode{"bridge"};
    //! Size of the tmpfs mounted on /tmp (the root filesystem is read-only); 0: no /tmp mount.
    std::uint64_t tmp_bytes{std::uint64_t{64} << 20};
    //! User the app runs as ("uid[:gid]" or a name of the image); empty: the image's default.
    std::string user{};
    //! CPU share of the container in units of 10^-9 CPUs (HostConfig.NanoCpus: 1500000000 = 1.5 CPUs, enforced by
    //! the CFS quota); 0: no limit. The worker sets it from the CPU slots a task holds.
    std::uint64_t nano_cpus{0};
    //! The daemon keeps at most this much of the container's log (json-file driver, one file).
    std::uint64_t max_log_bytes{std::uint64_t{1} << 20};
};

//! Checks an image reference before it goes into a URL path: 1 to 255 characters among letters, digits and
//! "._-/:@", not starting with '-', '.', '/' or ':'. Errc::kInvalidArgument naming the reference.
Result<void> validate_image_reference(std::string_view image);

//! Checks an instance name (label value and container name part): 1 to 64 characters among letters, digits, '_',
//! '.', '-'. Errc::kInvalidArgument.
Result<void> validate_instance(std::string_view instance);

//! The body of POST /containers/create for `spec`:
//!   Image = spec.app; Cmd = spec.args when not empty (the image's Entrypoint and, with no args, its Cmd are kept,
//!   as the reference worker does); Env = spec.env exactly ("K=V"); Labels {label_key: instance};
//!   NetworkDisabled = !spec.network; HostConfig: Mounts = in_dir -> in_mount read-only and out_dir -> out_mount
//!   read-write (type bind: a missing source folder is the daemon's error, never silently created), NetworkMode =
//!   "none" unless spec.network, Memory = MemorySwap = spec.memory_bytes (no swap) when not 0, PidsLimit =
//!   spec.max_pids when not 0, NanoCpus = nano_cpus when not 0, Privileged false, CapDrop ["ALL"], ReadonlyRootfs,
//!   SecurityOpt
//!   ["no-new-privileges"], Tmpfs /tmp (noexec, nosuid, tmp_bytes), LogConfig json-file capped at max_log_bytes,
//!   RestartPolicy "no".
//! Errors (Errc::kInvalidArgument, naming the field): image reference (validate_image_reference), relative or empty
//! in_dir / out_dir, in_mount / out_mount not absolute or equal, an env name empty or holding '=' or NUL, a NUL in
//! a value or an argument, an invalid instance, nano_cpus above 2^63-1.
Result<std::string> build_create_body(const RunSpec& spec, const CreateOptions& options);

//! The message of an error answer ({"message": "..."}); for a body that is not such an object, the body itself
//! (cut to 512 bytes, control characters replaced by '?'), or "(empty body)". Never fails.
std::string error_message(std::string_view body);

//! POST /containers/create answer (201): {"Id": 64 lowercase hex, "Warnings": [strings] or null}.
struct CreatedContainer {
    std::string id;
    std::vector<std::string> warnings;
};
Result<CreatedContainer> parse_create_answer(std::string_view body);

//! The part of GET /containers/{id}/json the runtime uses.
struct ContainerState {
    std::string id;      //!< 64 lowercase hex
    std::string status;  //!< created, running, paused, restarting, removing, exited or dead
    bool running{false};
    bool oom_killed{false};
    int exit_code{0};
    std::string error;  //!< State.Error ("" when absent)
};
//! Requires Id (64 lowercase hex) and State {Status (one of the values above), Running (bool), OOMKilled (bool),
//! ExitCode (integer in int range)}; State.Error is optional (string).
Result<ContainerState> parse_container_inspect(std::string_view body);

//! One entry of GET /containers/json.
struct ContainerSummary {
    std::string id;
    std::string state;
    std::map<std::string, std::string> labels;
};
//! An array of objects with Id (64 lowercase hex), State (string) and Labels (object of strings, or null).
Result<std::vector<ContainerSummary>> parse_container_list(std::string_view body);

//! GET /images/{name}/json: the image id ("sha256:" + 64 lowercase hex).
Result<std::string> parse_image_inspect(std::string_view body);

//! Demultiplexes the log stream of a container created without a TTY
//! (application/vnd.docker.multiplexed-stream): frames of an 8-byte header [stream: 0 stdin, 1 stdout, 2 stderr]
//! [0, 0, 0][payload size: uint32 big-endian] followed by the payload. Keeps the last `keep_bytes` bytes of the
//! payloads (stdout and stderr interleaved in arrival order) and counts the bytes of each stream; memory stays
//! bounded by keep_bytes whatever the frame sizes. Bytes may arrive split anywhere.
class LogDemuxer {
  public:
    explicit LogDemuxer(std::size_t keep_bytes);
    //! Errc::kDecoding naming the frame's offset in the stream: a stream byte other than 0, 1, 2, non-zero padding.
    //! After an error every later feed() fails the same way.
    Result<void> feed(std::string_view bytes);
    //! Errc::kDecoding when the stream ended inside a frame (header or payload).
    Result<void> finish() const;
    //! The kept tail.
    std::string tail() const;
    std::uint64_t stdout_bytes() const { return stdout_bytes_; }
    std::uint64_t stderr_bytes() const { return stderr_bytes_; }

  private:
    void keep(std::string_view payload);

    std::size_t keep_bytes_;
    std::string ring_;  // the last keep_bytes_ bytes, in order
    unsigned char header_[8]{};
    std::size_t header_have_{0};
    std::uint64_t payload_left_{0};
    int stream_{0};
    std::uint64_t offset_{0};
    std::uint64_t stdout_bytes_{0};
    std::uint64_t stderr_bytes_{0};
    std::string error_;
};

//! Reads the progress stream of POST /images/create (pull): JSON objects separated by newlines ("\r\n" tolerated),
//! each at most 64 KiB. A line with "error" or "errorDetail" makes the pull fail with that message
//! (Errc::kRemote); a line that is not a JSON object is Errc::kDecoding. Bytes may arrive split anywhere.
class PullProgress {
  public:
    Result<void> feed(std::string_view bytes);
    //! Checks the last line (the stream may end without a newline).
    Result<void> finish();
    std::size_t lines() const { return lines_; }

  private:
    Result<void> line(std::string_view text);
    std::string partial_;
    std::size_t lines_{0};
    std::string error_;
    Errc error_code_{Errc::kDecoding};
};

//! Percent-encodes `text` for a query parameter (RFC 3986 unreserved characters kept).
std::string url_encode(std::string_view text);

}  // namespace wp::worker::docker
