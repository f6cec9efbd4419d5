#include "computed_json.hpp"

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/json_body.hpp>

namespace wp::worker {

namespace {

constexpr std::size_t kMaxPathBytes = 4096;
constexpr std::size_t kMaxCallbackBytes = 64 * 1024;

}  // namespace

Result<void> check_relative_path(std::string_view rel, std::string_view what) {
    const std::string w(what);
    if (rel.size() > kMaxPathBytes)
        return make_error(Errc::kInvalidArgument, w + ": path longer than " + std::to_string(kMaxPathBytes) + " bytes");
    if (rel.empty()) return make_error(Errc::kInvalidArgument, w + ": empty path");
    if (rel.front() == '/') return make_error(Errc::kInvalidArgument, w + ": path must be relative");
    if (rel.find('\0') != std::string_view::npos)
        return make_error(Errc::kInvalidArgument, w + ": path contains a NUL byte");
    std::size_t start = 0;
    while (true) {
        const std::size_t slash = rel.find('/', start);
        const std::string_view part = rel.substr(start, slash == std::string_view::npos ? rel.npos : slash - start);
        if (part.empty())
            return make_error(Errc::kInvalidArgument, w + ": empty path component in \"" + std::string(rel) + "\"");
        if (part == "." || part == "..")
            return make_error(Errc::kInvalidArgument, w + ": path component \"" + std::string(part) +
                                                          "\" not allowed in \"" + std::string(rel) + "\"");
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return {};
}

Result<ComputedJson> parse_computed_json(std::string_view text, std::string_view out_mount) {
    WP_TRY(auto value,
           net::parse_json_strict(text, {.max_bytes = kMaxComputedJsonBytes, .max_depth = 4}, "computed.json"));
    const auto* obj = value.if_object();
    if (!obj) return make_error(Errc::kDecoding, "computed.json: not a JSON object");
    ComputedJson out;
    for (const auto& [key, v] : *obj) {
        const std::string k(key);
        const auto* s = v.if_string();
        if (k != "deterministic-output-path" && k != "callback-data" && k != "task-id" && k != "result-digest" &&
            k != "enclave-signature")
            return make_error(Errc::kDecoding, "computed.json: unknown key \"" + k + "\"");
        if (!s) return make_error(Errc::kDecoding, "computed.json: \"" + k + "\" must be a string");
        const std::string_view sv(s->data(), s->size());
        if (k == "deterministic-output-path") {
            const std::string what = "computed.json: deterministic-output-path";
            if (sv.size() > kMaxPathBytes) return make_error(Errc::kInvalidArgument, what + ": longer than 4096 bytes");
            if (sv.substr(0, out_mount.size()) != out_mount ||
                (sv.size() > out_mount.size() && sv[out_mount.size()] != '/'))
                return make_error(Errc::kInvalidArgument,
                                  what + ": \"" + std::string(sv) + "\" is not inside " + std::string(out_mount));
            std::string_view rel = sv.substr(out_mount.size());
            if (!rel.empty()) rel.remove_prefix(1);  // the '/'
            if (!rel.empty() && rel.back() == '/') rel.remove_suffix(1);
            if (!rel.empty()) WP_TRY_VOID(check_relative_path(rel, what));
            out.deterministic_output_path = std::string(sv);
            out.deterministic_output_rel = std::string(rel);
        } else if (k == "callback-data") {
            WP_TRY(auto bytes,
                   from_hex(sv).map_error([](Error e) { return e.with_context("computed.json: callback-data"); }));
            if (bytes.size() > kMaxCallbackBytes)
                return make_error(Errc::kInvalidArgument, "computed.json: callback-data: more than 65536 bytes");
            out.callback_data = std::move(bytes);
        } else if (k == "task-id") {
            out.task_id = std::string(sv);
        } else if (k == "result-digest") {
            out.result_digest = std::string(sv);
        } else {
            out.enclave_signature = std::string(sv);
        }
    }
    return out;
}

}  // namespace wp::worker
