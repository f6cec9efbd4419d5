#include "docker_runtime.hpp"

#include <sys/stat.h>
#include <algorithm>
#include <system_error>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>
#include <wp/net/json_body.hpp>

namespace wp::worker {
namespace {

using namespace std::chrono_literals;

std::string status_error(std::string_view what, const net::HttpResponse& r) {
    return "docker: " + std::string(what) + ": HTTP " + std::to_string(r.status) + ": " + docker::error_message(r.body);
}

// "name:tag" -> (name, tag); a digest reference ("name@sha256:...") stays whole with an empty tag.
std::pair<std::string, std::string> split_tag(const std::string& image) {
    if (image.find('@') != std::string::npos) return {image, ""};
    const auto colon = image.rfind(':');
    const auto slash = image.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return {image, "latest"};
    return {image.substr(0, colon), image.substr(colon + 1)};
}

}  // namespace

Result<std::uint64_t> directory_size(const std::filesystem::path& dir) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec);
    if (ec) return make_error(Errc::kIo, "measure " + dir.string() + ": " + ec.message());
    std::uint64_t total = 0;
    for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
        if (ec) {
            // An entry removed while walking: skip it (the app may delete its temporary files).
            if (ec == std::errc::no_such_file_or_directory) {
                ec.clear();
                continue;
            }
            return make_error(Errc::kIo, "measure " + dir.string() + ": " + ec.message());
        }
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0) continue;
        if (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)) total += static_cast<std::uint64_t>(st.st_size);
    }
    return total;
}

DockerRuntime::DockerRuntime(DockerRuntimeOptions options)
    : options_(std::move(options)),
      client_(net::UnixHttpClientOptions{.socket_path = options_.socket_path,
                                         .connect_timeout = std::min(options_.api_timeout, 5000ms),
                                         .request_timeout = options_.api_timeout,
                                         .max_response_bytes = docker::kMaxJsonAnswerBytes,
                                         .host = "docker"}),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock()) {}

std::string DockerRuntime::path(std::string_view suffix) const {
    return "/" + options_.api_version + std::string(suffix);
}

Result<net::HttpResponse> DockerRuntime::call(const char* what, const std::string& method, const std::string& target,
                                              std::string body) const {
    net::HttpRequest req{.method = method, .url = path(target)};
    if (!body.empty() || method == "POST") {
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = std::move(body);
    }
    auto r = client_.request(req);
    if (!r) return make_error(r.error().with_context("docker: " + std::string(what)));
    return r;
}

Result<void> DockerRuntime::ping() const {
    WP_TRY(auto r, call("ping", "GET", "/_ping"));
    if (r.status != 200 || r.body != "OK") return make_error(Errc::kRemote, status_error("ping", r));
    return {};
}

Result<void> DockerRuntime::pull(const std::string& image, const std::atomic<bool>& cancel) const {
    const auto [name, tag] = split_tag(image);
    std::string target = "/images/create?fromImage=" + docker::url_encode(name);
    if (!tag.empty()) target += "&tag=" + docker::url_encode(tag);
    docker::PullProgress progress;
    Result<void> stream_ok{};
    bool stopped = false;
    std::string head;  // the start of the body, for an error answer (which is not a progress stream)
    auto r = client_.request_streaming(net::HttpRequest{.method = "POST",
                                                        .url = path(target),
                                                        .headers = {{"Content-Type", "application/json"}},
                                                        .timeout = options_.pull_timeout,
                                                        .max_response_bytes = std::size_t{256} << 20},
                                       [&](std::string_view chunk) {
                                           if (cancel.load()) {
                                               stopped = true;
                                               return false;
                                           }
                                           if (head.size() < 4096) head.append(chunk.substr(0, 4096 - head.size()));
                                           stream_ok = progress.feed(chunk);
                                           return stream_ok.has_value();
                                       });
    if (!r) return make_error(r.error().with_context("docker: pull " + image));
    if (r->status != 200) {
        r->body = std::move(head);
        return make_error(Errc::kRemote, status_error("pull " + image, *r));
    }
    if (stopped) return make_error(Errc::kRemote, "docker: pull " + image + ": canceled");
    WP_TRY_VOID(stream_ok);
    WP_TRY_VOID(progress.finish());
    return {};
}

Result<std::string> DockerRuntime::ensure_image(const std::string& image, const std::atomic<bool>& cancel) const {
    WP_TRY_VOID(docker::validate_image_reference(image));
    WP_TRY(auto r, call("inspect image", "GET", "/images/" + image + "/json"));
    if (r.status == 404) {
        if (!options_.pull_missing)
            return make_error(Errc::kRemote,
                              "docker: image '" + image + "' not found on the daemon (pulling is disabled)");
        WP_TRY_VOID(pull(image, cancel));
        WP_TRY(r, call("inspect image", "GET", "/images/" + image + "/json"));
        if (r.status == 404)
            return make_error(Errc::kRemote, "docker: image '" + image + "' still not found after the pull");
    }
    if (r.status != 200) return make_error(Errc::kRemote, status_error("inspect image " + image, r));
    return docker::parse_image_inspect(r.body);
}

Result<docker::ContainerState> DockerRuntime::inspect(const std::string& id) const {
    WP_TRY(auto r, call("inspect container", "GET", "/containers/" + id + "/json"));
    if (r.status != 200) return make_error(Errc::kRemote, status_error("inspect container " + id, r));
    return docker::parse_container_inspect(r.body);
}

Result<void> DockerRuntime::kill(const std::string& id) const {
    WP_TRY(auto r, call("kill container", "POST", "/containers/" + id + "/kill?signal=SIGKILL"));
    // 409: the container is not running any more (it ended on its own meanwhile).
    if (r.status != 204 && r.status != 409) return make_error(Errc::kRemote, status_error("kill container " + id, r));
    return {};
}

Result<void> DockerRuntime::remove(const std::string& id) const {
    WP_TRY(auto r, call("remove container", "DELETE", "/containers/" + id + "?force=true&v=true"));
    // 404: already gone.
    if (r.status != 204 && r.status != 404) return make_error(Errc::kRemote, status_error("remove container " + id, r));
    return {};
}

std::string DockerRuntime::logs_tail(const std::string& id) const {
    docker::LogDemuxer demux(options_.log_tail_bytes);
    Result<void> fed{};
    std::string head;  // the start of the body, for an error answer
    auto r = client_.request_streaming(
        net::HttpRequest{
            .method = "GET",
            .url = path("/containers/" + id + "/logs?stdout=true&stderr=true&follow=false"),
            .max_response_bytes = static_cast<std::size_t>(options_.create.max_log_bytes) * 4 + (1u << 20)},
        [&](std::string_view chunk) {
            if (head.size() < 4096) head.append(chunk.substr(0, 4096 - head.size()));
            fed = demux.feed(chunk);
            return fed.has_value();
        });
    std::string note;
    if (!r) note = r.error().message;
    else if (r->status != 200) {
        r->body = std::move(head);
        note = status_error("logs", *r);
    } else if (!fed) note = fed.error().message;
    else if (auto f = demux.finish(); !f) note = f.error().message;
    std::string tail = demux.tail();
    if (!note.empty()) tail += "\n(logs incomplete: " + note + ")";
    return tail;
}

Result<RunOutcome> DockerRuntime::supervise(const std::string& id, const RunSpec& spec,
                                            const std::atomic<bool>& cancel) const {
    RunOutcome out;
    const auto started = clock_.now();
    const auto deadline = started + spec.max_time;
    bool killed = false;
    const Clock::duration poll = std::max<Clock::duration>(options_.poll_interval, 1ms);
    Clock::duration backoff = std::min<Clock::duration>(5ms, poll);
    docker::ContainerState state;
    for (;;) {
        WP_TRY(state, inspect(id));
        if (!state.running && (state.status == "exited" || state.status == "dead")) break;
        if (!killed) {
            const auto now = clock_.now();
            if (cancel.load()) out.canceled = true;
            else if (now >= deadline) out.timed_out = true;
            else {
                WP_TRY(auto size, directory_size(spec.out_dir));
                if (size > spec.max_output_bytes) out.output_too_large = true;
            }
            if (out.canceled || out.timed_out || out.output_too_large) {
                WP_TRY_VOID(kill(id));
                killed = true;
                const auto kill_deadline = clock_.now() + options_.kill_wait;
                for (;;) {
                    WP_TRY(state, inspect(id));
                    if (!state.running && (state.status == "exited" || state.status == "dead")) break;
                    if (clock_.now() >= kill_deadline)
                        return make_error(Errc::kTimeout, "docker: container " + id + " still running " +
                                                              std::to_string(options_.kill_wait.count()) +
                                                              " ms after SIGKILL");
                    clock_.sleep_for(std::min<Clock::duration>(poll, 20ms));
                }
                break;
            }
            // Short apps end within a few milliseconds of their start: the first checks come sooner (5, 10, 20, ...
            // ms) so that they are not held up by a whole poll interval.
            clock_.sleep_until(std::min(clock_.now() + backoff, deadline));
            backoff = std::min<Clock::duration>(backoff * 2, poll);
        }
    }
    out.elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(clock_.now() - started);
    out.out_of_memory = state.oom_killed;
    if (!out.output_too_large) {
        WP_TRY(auto size, directory_size(spec.out_dir));
        if (size > spec.max_output_bytes) out.output_too_large = true;
    }
    out.exit_code = (killed || state.oom_killed) ? -1 : state.exit_code;
    out.log_tail = logs_tail(id);
    return out;
}

Result<RunOutcome> DockerRuntime::run(const RunSpec& spec, const std::atomic<bool>& cancel) {
    WP_TRY(auto body, docker::build_create_body(spec, options_.create));
    RunOutcome canceled;
    canceled.canceled = true;
    if (cancel.load()) return canceled;
    auto image = ensure_image(spec.app, cancel);
    // A pull stopped by `cancel` is a canceled run, not a runtime failure.
    if (cancel.load()) return canceled;
    if (!image) return make_error(image.error());

    Bytes suffix(8);
    secure_random(suffix);
    const std::string name = "wp-" + options_.create.instance + "-" + to_hex_no_prefix(suffix);
    auto created = call("create container", "POST", "/containers/create?name=" + name, std::move(body));
    if (created && created->status == 404)
        return make_error(Errc::kRemote, "docker: create container: image '" + spec.app +
                                             "' not found: " + docker::error_message(created->body));
    if (created && created->status != 201) return make_error(Errc::kRemote, status_error("create container", *created));
    auto container = created ? docker::parse_create_answer(created->body) : make_error(created.error());
    if (!container) {
        // The daemon may have created it all the same (an answer lost or unreadable): remove it by its name.
        auto by_name = remove(name);
        (void)by_name;
        return make_error(container.error());
    }

    auto outcome = [&]() -> Result<RunOutcome> {
        WP_TRY(auto started, call("start container", "POST", "/containers/" + container->id + "/start"));
        if (started.status != 204 && started.status != 304)
            return make_error(Errc::kRemote, status_error("start container " + container->id, started));
        return supervise(container->id, spec, cancel);
    }();
    auto removed = remove(container->id);
    if (!outcome) return outcome;
    if (!removed) return make_error(removed.error());
    return outcome;
}

Result<std::vector<std::string>> DockerRuntime::own_containers() const {
    WP_TRY_VOID(docker::validate_instance(options_.create.instance));
    const std::string filter =
        R"({"label":[)" + net::json_quote(options_.create.label_key + "=" + options_.create.instance) + "]}";
    WP_TRY(auto r, call("list containers", "GET", "/containers/json?all=true&filters=" + docker::url_encode(filter)));
    if (r.status != 200) return make_error(Errc::kRemote, status_error("list containers", r));
    WP_TRY(auto list, docker::parse_container_list(r.body));
    std::vector<std::string> ids;
    for (const auto& c : list) {
        // Checked here too: a daemon that ignored the filter must not make us remove someone else's container.
        auto it = c.labels.find(options_.create.label_key);
        if (it != c.labels.end() && it->second == options_.create.instance) ids.push_back(c.id);
    }
    return ids;
}

Result<std::size_t> DockerRuntime::cleanup_orphans() const {
    WP_TRY(auto ids, own_containers());
    for (const auto& id : ids) WP_TRY_VOID(remove(id));
    return ids.size();
}

}  // namespace wp::worker
