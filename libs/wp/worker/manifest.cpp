#include "manifest.hpp"

#include <boost/json.hpp>

#include <wp/net/json_body.hpp>

#include "computed_json.hpp"

namespace wp::worker {

Result<AppManifest> parse_manifest(std::string_view text) {
    WP_TRY(auto value, net::parse_json_strict(text, {.max_bytes = 64 * 1024, .max_depth = 4}, "iexec-app.json"));
    const auto* obj = value.if_object();
    if (!obj) return make_error(Errc::kDecoding, "iexec-app.json: not a JSON object");
    AppManifest out;
    bool has_entrypoint = false;
    for (const auto& [key, v] : *obj) {
        if (key == "entrypoint") {
            const auto* s = v.if_string();
            if (!s) return make_error(Errc::kDecoding, "iexec-app.json: \"entrypoint\" must be a string");
            out.entrypoint = std::string(s->data(), s->size());
            WP_TRY_VOID(check_relative_path(out.entrypoint, "iexec-app.json: entrypoint"));
            has_entrypoint = true;
        } else if (key == "args") {
            const auto* a = v.if_array();
            if (!a) return make_error(Errc::kDecoding, "iexec-app.json: \"args\" must be an array of strings");
            if (a->size() > 256) return make_error(Errc::kInvalidArgument, "iexec-app.json: more than 256 args");
            for (std::size_t i = 0; i < a->size(); ++i) {
                const auto* s = (*a)[i].if_string();
                const std::string where = "iexec-app.json: args[" + std::to_string(i) + "]";
                if (!s) return make_error(Errc::kDecoding, where + " must be a string");
                const std::string_view sv(s->data(), s->size());
                if (sv.size() > 4096) return make_error(Errc::kInvalidArgument, where + " longer than 4096 bytes");
                if (sv.find('\0') != std::string_view::npos)
                    return make_error(Errc::kInvalidArgument, where + " contains a NUL byte");
                out.args.emplace_back(sv);
            }
        } else {
            return make_error(Errc::kDecoding, "iexec-app.json: unknown key \"" + std::string(key) + "\"");
        }
    }
    if (!has_entrypoint) return make_error(Errc::kDecoding, "iexec-app.json: \"entrypoint\" is required");
    return out;
}

}  // namespace wp::worker
