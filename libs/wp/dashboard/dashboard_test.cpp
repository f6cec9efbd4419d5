#include "dashboard.hpp"

#include <gtest/gtest.h>

#include <regex>
#include <set>
#include <string>

#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>

namespace wp::dashboard {
namespace {

// A real server on 127.0.0.1 (kernel-chosen port) with the dashboard mounted, read by the real HTTP client.
class Served : public ::testing::Test {
  protected:
    void start(const MountOptions& options = {}) {
        auto mounted = mount(server_, options);
        ASSERT_TRUE(mounted) << mounted.error().message;
        auto started = server_.start();
        ASSERT_TRUE(started) << started.error().message;
        base_ = server_.base_url();
    }
    void TearDown() override { server_.stop(); }
    net::HttpResponse get(const std::string& path) {
        auto r = client_.get(base_ + path);
        EXPECT_TRUE(r) << path << ": " << (r ? "" : r.error().message);
        return r ? *r : net::HttpResponse{};
    }
    net::HttpServer server_;
    net::HttpClient client_;
    std::string base_;
};

TEST_F(Served, ServesThePageWithTheApiFilledIn) {
    start({.prefix = "/dashboard", .api_base = "/api/v1", .ws_path = "/api/v1/ws"});
    const auto page = get("/dashboard/");
    EXPECT_EQ(page.status, 200u);
    EXPECT_EQ(page.header("Content-Type").value_or(""), "text/html; charset=utf-8");
    EXPECT_NE(page.body.find("<title>My Workerpool Dashboard</title>"), std::string::npos);
    EXPECT_NE(page.body.find(R"(<meta name="wp-api" content="/api/v1">)"), std::string::npos);
    EXPECT_NE(page.body.find(R"(<meta name="wp-ws" content="/api/v1/ws">)"), std::string::npos);
    EXPECT_EQ(page.body.find("{{"), std::string::npos);
    EXPECT_NE(page.body.find(R"(name="viewport")"), std::string::npos);  // phones
    EXPECT_EQ(get("/dashboard/index.html").body, page.body);

    const auto redirect = get("/dashboard");
    EXPECT_EQ(redirect.status, 302u);
    EXPECT_EQ(redirect.header("Location").value_or(""), "/dashboard/");
}

TEST_F(Served, EveryFileThePageReferencesIsServedFromTheSameOriginWithItsType) {
    start();
    const auto page = get("/dashboard/");
    const std::regex ref(R"re((?:src|href)="([^"]+)")re");
    std::set<std::string> refs;
    for (std::sregex_iterator it(page.body.begin(), page.body.end(), ref), end; it != end; ++it)
        refs.insert((*it)[1].str());
    // The favicon is an empty data: URL (no request at all).
    EXPECT_EQ(refs, (std::set<std::string>{"app.js", "data:,", "style.css"}));
    const auto js = get("/dashboard/app.js");
    EXPECT_EQ(js.status, 200u);
    EXPECT_EQ(js.header("Content-Type").value_or(""), "text/javascript; charset=utf-8");
    EXPECT_EQ(js.body, std::string(find_asset("app.js")->body));
    const auto css = get("/dashboard/style.css");
    EXPECT_EQ(css.status, 200u);
    EXPECT_EQ(css.header("Content-Type").value_or(""), "text/css; charset=utf-8");
    // Nothing is loaded from elsewhere: no absolute URL in any asset except the SVG namespace name, and the CSP
    // allows only this origin.
    for (const auto& a : assets()) {
        std::string body(a.body);
        for (std::size_t pos = body.find("//"); pos != std::string::npos; pos = body.find("//", pos + 2)) {
            if (pos > 0 && body[pos - 1] == ':') {
                const std::string around = body.substr(pos >= 6 ? pos - 6 : 0, 40);
                EXPECT_TRUE(around.find("http://www.w3.org/2000/svg") != std::string::npos ||
                            around.find("\"ws://\"") != std::string::npos ||
                            around.find("\"wss://\"") != std::string::npos)
                    << a.name << ": " << around;
            }
        }
    }
    const auto csp = js.header("Content-Security-Policy").value_or("");
    EXPECT_NE(csp.find("default-src 'none'"), std::string_view::npos);
    EXPECT_NE(csp.find("script-src 'self'"), std::string_view::npos);
    EXPECT_EQ(js.header("X-Content-Type-Options").value_or(""), "nosniff");
}

TEST_F(Served, UnknownFilesAre404) {
    start();
    EXPECT_EQ(get("/dashboard/nope.js").status, 404u);
    EXPECT_EQ(get("/dashboard/..%2Fetc%2Fpasswd").status, 404u);
    EXPECT_EQ(get("/dashboard/a/b").status, 404u);
}

TEST_F(Served, MountsAtTheRoot) {
    start({.prefix = "", .api_base = "/api", .ws_path = ""});
    const auto page = get("/");
    EXPECT_EQ(page.status, 200u);
    EXPECT_NE(page.body.find(R"(<meta name="wp-ws" content="">)"), std::string::npos);
    EXPECT_EQ(get("/style.css").status, 200u);
}

TEST(Dashboard, BadOptionsAreRefusedByRule) {
    net::HttpServer server;
    auto bad = [&](MountOptions o) {
        auto r = mount(server, o);
        EXPECT_FALSE(r);
        return r ? std::string() : r.error().message;
    };
    EXPECT_EQ(bad({.prefix = "dashboard"}), "dashboard prefix 'dashboard': must be empty or start with '/'");
    EXPECT_EQ(bad({.prefix = "/dashboard/"}), "dashboard prefix '/dashboard/': must not end with '/'");
    EXPECT_EQ(bad({.prefix = "/a//b"}), "dashboard prefix '/a//b': has an empty segment");
    EXPECT_EQ(bad({.prefix = "/:x"}), "dashboard prefix '/:x': only letters, digits and -._~ between the '/'");
    EXPECT_EQ(bad({.api_base = ""}), "dashboard api_base '': must not be empty");
    EXPECT_EQ(bad({.api_base = "/api\"><script>"}),
              "dashboard api_base '/api\"><script>': only letters, digits and -._~/");
    EXPECT_EQ(bad({.ws_path = "ws"}), "dashboard ws_path 'ws': must start with '/'");
}

TEST(Dashboard, AssetsAreEmbeddedIndexFirst) {
    const auto all = assets();
    ASSERT_EQ(all.size(), 3u);
    EXPECT_EQ(all[0].name, "index.html");
    EXPECT_NE(find_asset("app.js"), nullptr);
    EXPECT_EQ(find_asset("missing.css"), nullptr);
    for (const auto& a : all) EXPECT_GT(a.body.size(), 100u) << a.name;
}

}  // namespace
}  // namespace wp::dashboard
