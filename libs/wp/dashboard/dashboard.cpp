#include "dashboard.hpp"

#include <array>
#include <cstddef>
#include <memory>
#include <vector>

#include <wp/net/http_server.hpp>

#include "embedded.hpp"

namespace wp::dashboard {

namespace {

std::string_view content_type_of(std::string_view name) {
    auto ends = [&](std::string_view ext) {
        return name.size() >= ext.size() && name.substr(name.size() - ext.size()) == ext;
    };
    if (ends(".html")) return "text/html; charset=utf-8";
    if (ends(".css")) return "text/css; charset=utf-8";
    if (ends(".js")) return "text/javascript; charset=utf-8";
    if (ends(".svg")) return "image/svg+xml";
    return "application/octet-stream";
}

const std::vector<Asset>& table() {
    static const std::vector<Asset> all = [] {
        std::vector<Asset> v;
        v.reserve(detail::kEmbeddedCount);
        for (std::size_t i = 0; i < detail::kEmbeddedCount; ++i) {
            const auto& f = detail::kEmbedded[i];
            const std::string_view name(f.name);
            v.push_back(
                Asset{name, content_type_of(name), std::string_view(reinterpret_cast<const char*>(f.data), f.size)});
        }
        return v;
    }();
    return all;
}

bool unreserved(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
           c == '_' || c == '~';
}

Result<void> check_prefix(std::string_view p) {
    auto bad = [&](std::string_view rule) {
        return Error{Errc::kInvalidArgument, "dashboard prefix '" + std::string(p) + "': " + std::string(rule)};
    };
    if (p.empty()) return {};
    if (p.front() != '/') return tl::unexpected(bad("must be empty or start with '/'"));
    if (p.back() == '/') return tl::unexpected(bad("must not end with '/'"));
    for (std::size_t i = 1; i < p.size(); ++i) {
        if (p[i] == '/') {
            if (p[i - 1] == '/') return tl::unexpected(bad("has an empty segment"));
        } else if (!unreserved(p[i])) {
            return tl::unexpected(bad("only letters, digits and -._~ between the '/'"));
        }
    }
    return {};
}

Result<void> check_path(std::string_view what, std::string_view p, bool may_be_empty) {
    auto bad = [&](std::string_view rule) {
        return Error{Errc::kInvalidArgument,
                     "dashboard " + std::string(what) + " '" + std::string(p) + "': " + std::string(rule)};
    };
    if (p.empty()) {
        if (may_be_empty) return {};
        return tl::unexpected(bad("must not be empty"));
    }
    if (p.front() != '/') return tl::unexpected(bad("must start with '/'"));
    for (char c : p)
        if (c != '/' && !unreserved(c)) return tl::unexpected(bad("only letters, digits and -._~/"));
    return {};
}

void replace_all(std::string& s, std::string_view from, std::string_view to) {
    for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
        s.replace(pos, from.size(), to);
}

net::HttpResponse asset_response(std::string_view content_type, std::string body) {
    net::HttpResponse r;
    r.status = 200;
    r.body = std::move(body);
    r.headers = {{"Content-Type", std::string(content_type)},
                 {"Cache-Control", "no-cache"},
                 {"X-Content-Type-Options", "nosniff"},
                 {"Referrer-Policy", "no-referrer"},
                 {"Content-Security-Policy",
                  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
                  "connect-src 'self' ws: wss:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"}};
    return r;
}

}  // namespace

std::span<const Asset> assets() { return table(); }

const Asset* find_asset(std::string_view name) {
    for (const auto& a : table())
        if (a.name == name) return &a;
    return nullptr;
}

Result<std::string> render_index(const MountOptions& options) {
    if (auto ok = check_prefix(options.prefix); !ok) return tl::unexpected(ok.error());
    if (auto ok = check_path("api_base", options.api_base, false); !ok) return tl::unexpected(ok.error());
    if (auto ok = check_path("ws_path", options.ws_path, true); !ok) return tl::unexpected(ok.error());
    const Asset* index = find_asset("index.html");
    if (index == nullptr) return tl::unexpected(Error{Errc::kUnsupported, "dashboard: index.html is not embedded"});
    std::string html(index->body);
    replace_all(html, "{{API_BASE}}", options.api_base);
    replace_all(html, "{{WS_PATH}}", options.ws_path);
    return html;
}

Result<void> mount(net::HttpServer& server, const MountOptions& options) {
    auto index = render_index(options);
    if (!index) return tl::unexpected(index.error());
    auto html = std::make_shared<const std::string>(std::move(*index));
    const std::string root = options.prefix + "/";
    if (!options.prefix.empty()) {
        server.route("GET", options.prefix, [root](const net::ServerRequest&) {
            net::HttpResponse r;
            r.status = 302;
            r.headers = {{"Location", root}, {"Cache-Control", "no-cache"}};
            return r;
        });
    }
    server.route("GET", root,
                 [html](const net::ServerRequest&) { return asset_response("text/html; charset=utf-8", *html); });
    server.route("GET", root + ":file", [](const net::ServerRequest& req) {
        const auto name = req.param("file").value_or("");
        const Asset* a = find_asset(name);
        // index.html has its own (literal, so preferred) route, with the options filled in.
        if (a == nullptr || a->name == "index.html") return net::default_error_response(404, "no such dashboard file");
        return asset_response(a->content_type, std::string(a->body));
    });
    // index.html by its name too (bookmarks, tools that append it).
    server.route("GET", root + "index.html",
                 [html](const net::ServerRequest&) { return asset_response("text/html; charset=utf-8", *html); });
    return {};
}

}  // namespace wp::dashboard
