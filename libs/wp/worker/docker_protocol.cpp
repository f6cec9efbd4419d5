#include "docker_protocol.hpp"

#include <algorithm>
#include <climits>

#include <boost/json.hpp>

#include <wp/net/json_body.hpp>

namespace wp::worker::docker {
namespace {

namespace json = boost::json;

bool is_lower_hex64(std::string_view s) {
    return s.size() == 64 &&
           std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

bool is_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }

tl::unexpected<Error> decoding(std::string_view what, std::string_view field, std::string_view rule) {
    return make_error(Errc::kDecoding,
                      "docker: " + std::string(what) + ": " + std::string(field) + ": " + std::string(rule));
}

Result<json::value> parse_answer(std::string_view body, std::string_view what) {
    auto v = net::parse_json_strict(body, {.max_bytes = kMaxJsonAnswerBytes, .max_depth = 64},
                                    "docker: " + std::string(what));
    if (!v) return make_error(Errc::kDecoding, v.error().message);
    return v;
}

Result<const json::object*> as_object(const json::value& v, std::string_view what, std::string_view field) {
    if (const auto* o = v.if_object()) return o;
    return decoding(what, field, "not an object");
}

Result<std::string> get_string(const json::object& o, std::string_view key, std::string_view what,
                               std::string_view field) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return decoding(what, field, "missing");
    const auto* s = v->if_string();
    if (s == nullptr) return decoding(what, field, "not a string");
    return std::string(*s);
}

Result<bool> get_bool(const json::object& o, std::string_view key, std::string_view what, std::string_view field) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return decoding(what, field, "missing");
    const auto* b = v->if_bool();
    if (b == nullptr) return decoding(what, field, "not a boolean");
    return *b;
}

Result<std::string> get_id(const json::object& o, std::string_view what) {
    WP_TRY(auto id, get_string(o, "Id", what, "Id"));
    if (!is_lower_hex64(id)) return decoding(what, "Id", "not 64 lowercase hex digits");
    return id;
}

Result<void> check_text(std::string_view text, std::string_view field) {
    if (text.find('\0') != std::string_view::npos)
        return make_error(Errc::kInvalidArgument, "docker: " + std::string(field) + ": holds a NUL character");
    return {};
}

Result<void> check_mount(const std::filesystem::path& dir, const std::string& target, std::string_view name) {
    if (dir.empty() || !dir.is_absolute())
        return make_error(Errc::kInvalidArgument, "docker: " + std::string(name) +
                                                      "_dir: must be an absolute path, got '" + dir.string() + "'");
    WP_TRY_VOID(check_text(dir.string(), std::string(name) + "_dir"));
    if (target.size() < 2 || target.front() != '/')
        return make_error(
            Errc::kInvalidArgument,
            "docker: " + std::string(name) + "_mount: must be an absolute path other than '/', got '" + target + "'");
    WP_TRY_VOID(check_text(target, std::string(name) + "_mount"));
    return {};
}

}  // namespace

Result<void> validate_image_reference(std::string_view image) {
    const auto bad = [&](std::string_view rule) {
        return make_error(Errc::kInvalidArgument,
                          "docker: image reference '" + std::string(image.substr(0, 300)) + "': " + std::string(rule));
    };
    if (image.empty()) return bad("is empty");
    if (image.size() > 255) return bad("longer than 255 characters");
    if (image.front() == '-' || image.front() == '.' || image.front() == '/' || image.front() == ':')
        return bad("must start with a letter or a digit");
    for (char c : image)
        if (!is_alnum(c) && c != '.' && c != '_' && c != '-' && c != '/' && c != ':' && c != '@')
            return bad("only letters, digits and ._-/:@ are allowed");
    if (image.find("..") != std::string_view::npos) return bad("must not hold '..'");
    return {};
}

Result<void> validate_instance(std::string_view instance) {
    if (instance.empty() || instance.size() > 64)
        return make_error(Errc::kInvalidArgument, "docker: instance: must be 1 to 64 characters");
    for (char c : instance)
        if (!is_alnum(c) && c != '_' && c != '.' && c != '-')
            return make_error(Errc::kInvalidArgument, "docker: instance '" + std::string(instance) +
                                                          "': only letters, digits and _.- are allowed");
    return {};
}

Result<std::string> build_create_body(const RunSpec& spec, const CreateOptions& options) {
    WP_TRY_VOID(validate_image_reference(spec.app));
    WP_TRY_VOID(validate_instance(options.instance));
    if (options.label_key.empty()) return make_error(Errc::kInvalidArgument, "docker: label_key: must not be empty");
    WP_TRY_VOID(check_mount(spec.in_dir, spec.in_mount, "in"));
    WP_TRY_VOID(check_mount(spec.out_dir, spec.out_mount, "out"));
    if (spec.in_mount == spec.out_mount)
        return make_error(Errc::kInvalidArgument, "docker: in_mount and out_mount: must differ");

    json::array env;
    for (const auto& [name, value] : spec.env) {
        if (name.empty() || name.find('=') != std::string::npos || name.find('\0') != std::string::npos)
            return make_error(Errc::kInvalidArgument,
                              "docker: env: name '" + name + "' must be non-empty without '=' or NUL");
        WP_TRY_VOID(check_text(value, "env " + name));
        env.emplace_back(name + "=" + value);
    }
    json::object body;
    body["Image"] = spec.app;
    if (!spec.args.empty()) {
        json::array cmd;
        for (std::size_t i = 0; i < spec.args.size(); ++i) {
            WP_TRY_VOID(check_text(spec.args[i], "args[" + std::to_string(i) + "]"));
            cmd.emplace_back(spec.args[i]);
        }
        body["Cmd"] = std::move(cmd);
    }
    body["Env"] = std::move(env);
    body["Labels"] = json::object{{options.label_key, options.instance}};
    body["NetworkDisabled"] = !spec.network;
    body["Tty"] = false;
    body["OpenStdin"] = false;
    if (!options.user.empty()) body["User"] = options.user;

    json::object host;
    host["Mounts"] = json::array{
        json::object{{"Type", "bind"}, {"Source", spec.in_dir.string()}, {"Target", spec.in_mount}, {"ReadOnly", true}},
        json::object{
            {"Type", "bind"}, {"Source", spec.out_dir.string()}, {"Target", spec.out_mount}, {"ReadOnly", false}},
    };
    host["NetworkMode"] = spec.network ? options.network_mode : std::string("none");
    if (spec.memory_bytes != 0) {
        if (spec.memory_bytes > static_cast<std::uint64_t>(INT64_MAX))
            return make_error(Errc::kInvalidArgument, "docker: memory_bytes: larger than 2^63-1");
        host["Memory"] = static_cast<std::int64_t>(spec.memory_bytes);
        host["MemorySwap"] = static_cast<std::int64_t>(spec.memory_bytes);
    }
    if (spec.max_pids != 0) host["PidsLimit"] = static_cast<std::int64_t>(spec.max_pids);
    if (options.nano_cpus != 0) {
        if (options.nano_cpus > static_cast<std::uint64_t>(INT64_MAX))
            return make_error(Errc::kInvalidArgument, "docker: nano_cpus: larger than 2^63-1");
        host["NanoCpus"] = static_cast<std::int64_t>(options.nano_cpus);
    }
    host["Privileged"] = false;
    host["CapDrop"] = json::array{"ALL"};
    host["ReadonlyRootfs"] = true;
    host["SecurityOpt"] = json::array{"no-new-privileges"};
    if (options.tmp_bytes != 0)
        host["Tmpfs"] = json::object{{"/tmp", "rw,noexec,nosuid,size=" + std::to_string(options.tmp_bytes)}};
    host["LogConfig"] = json::object{
        {"Type", "json-file"},
        {"Config", json::object{{"max-size", std::to_string(std::max<std::uint64_t>(options.max_log_bytes, 4096))},
                                {"max-file", "1"}}}};
    host["RestartPolicy"] = json::object{{"Name", "no"}};
    host["AutoRemove"] = false;
    body["HostConfig"] = std::move(host);
    return json::serialize(body);
}

std::string error_message(std::string_view body) {
    json::error_code ec;
    auto v = json::parse(body, ec);
    if (!ec) {
        if (const auto* o = v.if_object())
            if (const auto* m = o->if_contains("message"))
                if (const auto* s = m->if_string(); s != nullptr && !s->empty()) return std::string(*s);
    }
    std::string out(body.substr(0, 512));
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.empty()) return "(empty body)";
    for (char& c : out)
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
    return out;
}

Result<CreatedContainer> parse_create_answer(std::string_view body) {
    constexpr std::string_view what = "create container answer";
    WP_TRY(auto v, parse_answer(body, what));
    WP_TRY(const auto* o, as_object(v, what, "(top level)"));
    CreatedContainer out;
    WP_TRY(out.id, get_id(*o, what));
    if (const auto* w = o->if_contains("Warnings"); w != nullptr && !w->is_null()) {
        const auto* a = w->if_array();
        if (a == nullptr) return decoding(what, "Warnings", "not an array or null");
        for (const auto& item : *a) {
            const auto* s = item.if_string();
            if (s == nullptr) return decoding(what, "Warnings", "holds a non-string");
            out.warnings.emplace_back(*s);
        }
    }
    return out;
}

Result<ContainerState> parse_container_inspect(std::string_view body) {
    constexpr std::string_view what = "inspect container answer";
    WP_TRY(auto v, parse_answer(body, what));
    WP_TRY(const auto* o, as_object(v, what, "(top level)"));
    ContainerState out;
    WP_TRY(out.id, get_id(*o, what));
    const auto* sv = o->if_contains("State");
    if (sv == nullptr) return decoding(what, "State", "missing");
    WP_TRY(const auto* state, as_object(*sv, what, "State"));
    WP_TRY(out.status, get_string(*state, "Status", what, "State.Status"));
    static constexpr std::string_view kStatuses[] = {"created",  "running", "paused", "restarting",
                                                     "removing", "exited",  "dead"};
    if (std::find(std::begin(kStatuses), std::end(kStatuses), out.status) == std::end(kStatuses))
        return decoding(what, "State.Status", "unknown value '" + out.status.substr(0, 64) + "'");
    WP_TRY(out.running, get_bool(*state, "Running", what, "State.Running"));
    WP_TRY(out.oom_killed, get_bool(*state, "OOMKilled", what, "State.OOMKilled"));
    const auto* code = state->if_contains("ExitCode");
    if (code == nullptr) return decoding(what, "State.ExitCode", "missing");
    if (const auto* i = code->if_int64(); i != nullptr && *i >= INT_MIN && *i <= INT_MAX)
        out.exit_code = static_cast<int>(*i);
    else if (const auto* u = code->if_uint64(); u != nullptr && *u <= static_cast<std::uint64_t>(INT_MAX))
        out.exit_code = static_cast<int>(*u);
    else return decoding(what, "State.ExitCode", "not an integer in int range");
    if (const auto* e = state->if_contains("Error"); e != nullptr) {
        const auto* s = e->if_string();
        if (s == nullptr) return decoding(what, "State.Error", "not a string");
        out.error = std::string(*s);
    }
    return out;
}

Result<std::vector<ContainerSummary>> parse_container_list(std::string_view body) {
    constexpr std::string_view what = "list containers answer";
    WP_TRY(auto v, parse_answer(body, what));
    const auto* a = v.if_array();
    if (a == nullptr) return decoding(what, "(top level)", "not an array");
    std::vector<ContainerSummary> out;
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i) {
        const std::string field = "[" + std::to_string(i) + "]";
        WP_TRY(const auto* o, as_object((*a)[i], what, field));
        ContainerSummary c;
        WP_TRY(c.id, get_id(*o, std::string(what) + " " + field));
        WP_TRY(c.state, get_string(*o, "State", what, field + ".State"));
        if (const auto* l = o->if_contains("Labels"); l != nullptr && !l->is_null()) {
            const auto* labels = l->if_object();
            if (labels == nullptr) return decoding(what, field + ".Labels", "not an object or null");
            for (const auto& kv : *labels) {
                const auto* s = kv.value().if_string();
                if (s == nullptr) return decoding(what, field + ".Labels." + std::string(kv.key()), "not a string");
                c.labels.emplace(std::string(kv.key()), std::string(*s));
            }
        }
        out.push_back(std::move(c));
    }
    return out;
}

Result<std::string> parse_image_inspect(std::string_view body) {
    constexpr std::string_view what = "inspect image answer";
    WP_TRY(auto v, parse_answer(body, what));
    WP_TRY(const auto* o, as_object(v, what, "(top level)"));
    WP_TRY(auto id, get_string(*o, "Id", what, "Id"));
    if (id.size() != 71 || id.rfind("sha256:", 0) != 0 || !is_lower_hex64(std::string_view(id).substr(7)))
        return decoding(what, "Id", "not 'sha256:' followed by 64 lowercase hex digits");
    return id;
}

LogDemuxer::LogDemuxer(std::size_t keep_bytes) : keep_bytes_(keep_bytes) {}

void LogDemuxer::keep(std::string_view payload) {
    if (keep_bytes_ == 0) return;
    if (payload.size() >= keep_bytes_) {
        ring_.assign(payload.substr(payload.size() - keep_bytes_));
        return;
    }
    ring_.append(payload);
    if (ring_.size() > keep_bytes_) ring_.erase(0, ring_.size() - keep_bytes_);
}

Result<void> LogDemuxer::feed(std::string_view bytes) {
    if (!error_.empty()) return make_error(Errc::kDecoding, error_);
    while (!bytes.empty()) {
        if (payload_left_ > 0) {
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(payload_left_, bytes.size()));
            const auto piece = bytes.substr(0, n);
            keep(piece);
            (stream_ == 2 ? stderr_bytes_ : stdout_bytes_) += n;
            payload_left_ -= n;
            offset_ += n;
            bytes.remove_prefix(n);
            continue;
        }
        const std::size_t n = std::min<std::size_t>(8 - header_have_, bytes.size());
        std::copy_n(bytes.begin(), n, header_ + header_have_);
        header_have_ += n;
        bytes.remove_prefix(n);
        if (header_have_ < 8) break;
        const std::uint64_t frame_at = offset_;
        offset_ += 8;
        header_have_ = 0;
        if (header_[0] > 2) {
            error_ = "docker: log stream: frame at offset " + std::to_string(frame_at) + ": stream type " +
                     std::to_string(header_[0]) + " is not 0, 1 or 2";
            return make_error(Errc::kDecoding, error_);
        }
        if (header_[1] != 0 || header_[2] != 0 || header_[3] != 0) {
            error_ =
                "docker: log stream: frame at offset " + std::to_string(frame_at) + ": header bytes 1-3 must be zero";
            return make_error(Errc::kDecoding, error_);
        }
        stream_ = header_[0];
        payload_left_ = (std::uint64_t{header_[4]} << 24) | (std::uint64_t{header_[5]} << 16) |
                        (std::uint64_t{header_[6]} << 8) | std::uint64_t{header_[7]};
    }
    return {};
}

Result<void> LogDemuxer::finish() const {
    if (!error_.empty()) return make_error(Errc::kDecoding, error_);
    if (header_have_ != 0 || payload_left_ != 0)
        return make_error(Errc::kDecoding, "docker: log stream: ends inside a frame at offset " +
                                               std::to_string(offset_ + header_have_));
    return {};
}

std::string LogDemuxer::tail() const { return ring_; }

Result<void> PullProgress::feed(std::string_view bytes) {
    constexpr std::size_t kMaxLine = 64 * 1024;
    if (!error_.empty()) return make_error(error_code_, error_);
    while (!bytes.empty()) {
        const auto nl = bytes.find('\n');
        if (nl == std::string_view::npos) {
            partial_.append(bytes);
            if (partial_.size() > kMaxLine) {
                error_ = "docker: pull progress: line " + std::to_string(lines_ + 1) + " longer than 65536 bytes";
                return make_error(Errc::kDecoding, error_);
            }
            return {};
        }
        partial_.append(bytes.substr(0, nl));
        bytes.remove_prefix(nl + 1);
        if (partial_.size() > kMaxLine) {
            error_ = "docker: pull progress: line " + std::to_string(lines_ + 1) + " longer than 65536 bytes";
            return make_error(Errc::kDecoding, error_);
        }
        std::string text = std::move(partial_);
        partial_.clear();
        if (!text.empty() && text.back() == '\r') text.pop_back();
        if (text.empty()) continue;
        auto r = line(text);
        if (!r) return r;
    }
    return {};
}

Result<void> PullProgress::finish() {
    if (!error_.empty()) return make_error(error_code_, error_);
    std::string text = std::move(partial_);
    partial_.clear();
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) return {};
    return line(text);
}

Result<void> PullProgress::line(std::string_view text) {
    ++lines_;
    const std::string what = "pull progress line " + std::to_string(lines_);
    auto v = net::parse_json_strict(text, {.max_bytes = 64 * 1024, .max_depth = 16}, "docker: " + what);
    if (!v) {
        error_ = v.error().message;
        return make_error(Errc::kDecoding, error_);
    }
    const auto* o = v->if_object();
    if (o == nullptr) {
        error_ = "docker: " + what + ": not an object";
        return make_error(Errc::kDecoding, error_);
    }
    std::string message;
    if (const auto* d = o->if_contains("errorDetail"); d != nullptr) {
        if (const auto* dobj = d->if_object())
            if (const auto* m = dobj->if_contains("message"))
                if (const auto* s = m->if_string()) message = std::string(*s);
        if (message.empty()) message = "(error without a message)";
    }
    if (const auto* e = o->if_contains("error"); e != nullptr) {
        if (const auto* s = e->if_string()) message = std::string(*s);
        else if (message.empty()) message = "(error without a message)";
    }
    if (!message.empty()) {
        error_ = "docker: pull: " + message;
        error_code_ = Errc::kRemote;
        return make_error(Errc::kRemote, error_);
    }
    return {};
}

std::string url_encode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (char c : text) {
        if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += c;
        } else {
            const auto b = static_cast<unsigned char>(c);
            out += '%';
            out += kHex[b >> 4];
            out += kHex[b & 0x0f];
        }
    }
    return out;
}

}  // namespace wp::worker::docker
