#include "auth_http.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/net/http_client.hpp>

#include "test_support.hpp"

namespace wp::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kChain = 31337;
constexpr std::string_view kAudience = "core-worker-api";
// anvil-3, the worker of the reference vectors (test key only)
constexpr std::string_view kWorkerKey = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";

// The scheduler's worker login: a challenge in our own EIP-712 domain, exchanged for a bearer token.
struct Scheduler {
    InMemoryChallengeStore store;
    ChallengeAuth auth;
    TokenKeyring keyring;
    TokenService tokens;
    net::HttpServer server;

    Scheduler(Clock& clock, TokenKeyring ring)
        : auth(store, clock,
               {.domain_name = "iExec Core Scheduler",
                .message_prefix = "Sign this message to log into iExec Core Scheduler: ",
                .ttl = 2min}),
          keyring(std::move(ring)),
          tokens(keyring, clock) {
        server.route("GET", "/challenge", [this](const net::ServerRequest& req) {
            auto a = Address::parse(req.query.substr(req.query.find('=') + 1));
            if (!a) return net::HttpResponse::json(400, R"({"ok":false})");
            return net::HttpResponse::json(200, json::serialize(auth.challenge_document(*a, kChain).value()));
        });
        server.route(
            "POST", "/login",
            require_auth(challenge_authenticator(auth, kChain), [this](const net::ServerRequest&, const Identity& id) {
                json::object body;
                body["token"] = tokens.issue(id.address, kAudience, 1h).value();
                return net::HttpResponse::json(200, json::serialize(body));
            }));
        server.route("GET", "/me",
                     require_auth(
                         bearer_authenticator(tokens, std::string(kAudience)),
                         [](const net::ServerRequest&, const Identity& id) {
                             return net::HttpResponse::json(200, R"({"worker":")" + id.address.to_checksum() + "\"}");
                         },
                         bearer_auth_refusal()));
        EXPECT_TRUE(server.start());
    }
};

struct WorkerLogin : testing::Test {
    ManualClock clock;
    std::filesystem::path dir = testing_support::fresh_test_dir("login");
    net::HttpClient client;
    PrivateKey worker = PrivateKey::from_hex(kWorkerKey).value();

    std::string login(Scheduler& s) {
        auto doc = client.get(s.server.base_url() + "/challenge?address=" + worker.address().to_checksum());
        EXPECT_TRUE(doc && doc->status == 200u);
        auto typed = eip712::parse_typed_data(json::parse(doc->body));
        EXPECT_TRUE(typed) << typed.error().message;
        EXPECT_EQ(typed->domain.at("name"), "iExec Core Scheduler");
        ChallengeAuthorization a{eip712::digest(*typed).value(), eip712::sign_typed_data(worker, *typed).value(),
                                 worker.address()};
        last_header = format_challenge_authorization(a);
        auto r = client.post(s.server.base_url() + "/login", "{}", {{"Authorization", last_header}});
        EXPECT_TRUE(r);
        EXPECT_EQ(r->status, 200u) << r->body;
        return std::string(json::parse(r->body).at("token").as_string());
    }
    net::HttpResponse me(Scheduler& s, const std::string& authorization) {
        net::HttpHeaders h;
        if (!authorization.empty()) h.emplace_back("Authorization", authorization);
        auto r = client.get(s.server.base_url() + "/me", h);
        EXPECT_TRUE(r);
        return *r;
    }
    std::string last_header;
};

TEST_F(WorkerLogin, ChallengeThenBearerTokenValidAcrossRestarts) {
    std::string token;
    {
        Scheduler s(clock, TokenKeyring::load_or_create(dir.string()).value());
        token = login(s);
        auto r = me(s, "Bearer " + token);
        EXPECT_EQ(r.status, 200u);
        EXPECT_EQ(r.body, R"({"worker":"0x90F79bf6EB2c4f870365E785982E1f101E93b906"})");
        // the login challenge is single use
        auto replay = client.post(s.server.base_url() + "/login", "{}", {{"Authorization", last_header}});
        EXPECT_EQ(replay->status, 403u);
        EXPECT_EQ(replay->body, R"({"ok":false,"error":"invalid authorization"})");
        // no token, a market header, a tampered token
        r = me(s, "");
        EXPECT_EQ(r.status, 401u);
        EXPECT_EQ(r.header("WWW-Authenticate").value_or(""), "Bearer");
        EXPECT_EQ(me(s, last_header).status, 401u);
        std::string tampered = token;
        tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
        EXPECT_EQ(me(s, "Bearer " + tampered).status, 401u);
    }
    {
        // restart: a new server and keyring read from the same data dir accept the token
        Scheduler s(clock, TokenKeyring::load_or_create(dir.string()).value());
        EXPECT_EQ(me(s, "Bearer " + token).status, 200u);
        clock.advance(1h);
        EXPECT_EQ(me(s, "Bearer " + token).status, 401u);  // expired
    }
    {
        // a daemon with another key file refuses it
        Scheduler s(clock, TokenKeyring::ephemeral());
        EXPECT_EQ(me(s, "Bearer " + token).status, 401u);
    }
}

TEST_F(WorkerLogin, MarketChallengeDoesNotOpenTheSchedulerLogin) {
    Scheduler s(clock, TokenKeyring::ephemeral());
    // a signature over the market's domain for the same challenge text is refused
    auto doc = client.get(s.server.base_url() + "/challenge?address=" + worker.address().to_checksum());
    auto message = std::string(json::parse(doc->body).at("message").at("challenge").as_string());
    auto market_doc = challenge_typed_data(market_challenge_domain(kChain), message);
    auto typed = eip712::parse_typed_data(json::value(market_doc)).value();
    ChallengeAuthorization a{eip712::digest(typed).value(), eip712::sign_typed_data(worker, typed).value(),
                             worker.address()};
    auto r = client.post(s.server.base_url() + "/login", "{}", {{"Authorization", format_challenge_authorization(a)}});
    EXPECT_EQ(r->status, 403u);
}

}  // namespace
}  // namespace wp::service
