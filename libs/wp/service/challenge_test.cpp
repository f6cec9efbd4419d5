#include "challenge.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/http_server.hpp>
#include <wp/sys/process.hpp>

#include "auth_header.hpp"
#include "auth_http.hpp"
#include "logging.hpp"
#include "test_support.hpp"

namespace wp::service {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

const std::string kVectorsPath = std::string(WP_SHARED_DIR) + "/reference/vectors.json";
// vectors.md §6: key-0x01 signs the market challenge on chain 65535.
constexpr std::string_view kKey01 = "0x0101010101010101010101010101010101010101010101010101010101010101";
constexpr std::string_view kAnvil3 = "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6";
constexpr std::string_view kVectorChallenge =
    "Sign this message to log into iExec Gateway: abcdefghijklmnopqrstuvwxyz012345";

json::object market_vector() {
    std::ifstream in(kVectorsPath);
    if (!in) {
        ADD_FAILURE() << "missing " << kVectorsPath << " (WP_SHARED_DIR=" << WP_SHARED_DIR << ")";
        return {};
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return json::parse(text).as_object().at("marketChallenge").as_object();
}

std::string str(const json::value& v) { return std::string(v.as_string()); }

PrivateKey key(std::string_view hex) { return PrivateKey::from_hex(hex).value(); }

//! Signs a typed-data document with our EIP-712 code (as the SDK would) and builds the header.
std::string sign_header(const json::object& doc, const PrivateKey& k) {
    auto typed = eip712::parse_typed_data(json::value(doc)).value();
    ChallengeAuthorization a;
    a.challenge_hash = eip712::digest(typed).value();
    a.signature = eip712::sign_typed_data(k, typed).value();
    a.address = k.address();
    return format_challenge_authorization(a);
}

TEST(Challenge, ReproducesTheMarketVector) {
    const auto v = market_vector();
    ASSERT_FALSE(v.empty());
    const auto domain = market_challenge_domain(65535);
    EXPECT_EQ(domain.message_prefix + "abcdefghijklmnopqrstuvwxyz012345", kVectorChallenge);
    // The typed data document equals the vector's, key for key.
    const auto doc = challenge_typed_data(domain, kVectorChallenge);
    EXPECT_EQ(json::value(doc), v.at("typedData")) << json::serialize(doc);
    EXPECT_EQ(
        json::serialize(doc),
        R"({"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"version","type":"string"},)"
        R"({"name":"chainId","type":"uint256"}],"Challenge":[{"name":"challenge","type":"string"}]},)"
        R"("domain":{"name":"iExec Gateway","version":"1","chainId":"65535"},"primaryType":"Challenge",)"
        R"("message":{"challenge":"Sign this message to log into iExec Gateway: abcdefghijklmnopqrstuvwxyz012345"}})");
    auto typed = eip712::parse_typed_data(json::value(doc));
    ASSERT_TRUE(typed) << typed.error().message;
    EXPECT_EQ(to_hex(eip712::domain_separator(*typed).value()), str(v.at("domainSeparator")));
    EXPECT_EQ(to_hex(eip712::message_hash(*typed).value()), str(v.at("structHash")));
    EXPECT_EQ(eip712::encode_type(*typed, "Challenge").value(), str(v.at("challengeTypeString")));
    auto hash = challenge_hash(domain, kVectorChallenge);
    ASSERT_TRUE(hash) << hash.error().message;
    EXPECT_EQ(to_hex(*hash), str(v.at("hash")));
    // key-0x01 signs it: the signature and the header the iexec 9.0.1 CLI sent.
    const auto k = key(kKey01);
    EXPECT_EQ(k.address().to_checksum(), str(v.at("signerAddress")));
    EXPECT_EQ(to_hex(eip712::sign_typed_data(k, *typed).value().to_bytes65()), str(v.at("signature")));
    EXPECT_EQ(sign_header(doc, k), str(v.at("authorizationHeader")));
    auto parsed = parse_challenge_authorization(str(v.at("authorizationHeader")));
    ASSERT_TRUE(parsed) << parsed.error().message;
    EXPECT_EQ(to_hex(parsed->challenge_hash), str(v.at("hash")));
    EXPECT_EQ(parsed->address.to_checksum(), str(v.at("signerAddress")));
    EXPECT_EQ(format_challenge_authorization(*parsed), str(v.at("authorizationHeader")));
}

TEST(Challenge, OwnDomainForTheScheduler) {
    const auto d = challenge_domain("iExec Core Scheduler", 31337);
    EXPECT_EQ(d.message_prefix, "Sign this message to log into iExec Core Scheduler: ");
    auto a = challenge_hash(d, d.message_prefix + "x");
    auto b = challenge_hash(market_challenge_domain(31337), d.message_prefix + "x");
    ASSERT_TRUE(a && b);
    EXPECT_NE(*a, *b);  // the domain name separates the two services
}

TEST(Challenge, RandomTextIsAlphanumeric) {
    const auto a = random_challenge_text();
    const auto b = random_challenge_text();
    EXPECT_EQ(a.size(), 32u);
    EXPECT_NE(a, b);
    for (char c : a) EXPECT_TRUE(std::isalnum(static_cast<unsigned char>(c))) << a;
    EXPECT_EQ(random_challenge_text(200).size(), 200u);
}

TEST(ChallengeStore, OnePendingPerAddressUntilConsumedOrExpired) {
    InMemoryChallengeStore store;
    ManualClock clock;
    ChallengeAuth auth(store, clock, {.ttl = 60s});
    const auto a = key(kKey01).address();
    auto c1 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c1) << c1.error().message;
    auto c2 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c2);
    EXPECT_EQ(c1->challenge, c2->challenge);  // reused while pending
    EXPECT_EQ(c1->hash, challenge_hash(market_challenge_domain(65535), c1->challenge).value());
    EXPECT_EQ(c1->challenge.rfind("Sign this message to log into iExec Gateway: ", 0), 0u);
    auto other_chain = auth.challenge_for(a, 1);
    ASSERT_TRUE(other_chain);
    EXPECT_NE(other_chain->challenge, c1->challenge);
    EXPECT_EQ(store.size(), 2u);
    clock.advance(61s);
    auto c3 = auth.challenge_for(a, 65535);
    ASSERT_TRUE(c3);
    EXPECT_NE(c3->challenge, c1->challenge);  // expired: a new one
    EXPECT_TRUE(store.consume(c3->hash, a).value());
    EXPECT_FALSE(store.consume(c3->hash, a).value());  // single use
}

TEST(ChallengeStore, BoundedSize) {
    InMemoryChallengeStore store(3);
    ManualClock clock;
    ChallengeAuth auth(store, clock, {.ttl = 60s});
    std::vector<Address> addresses;
    for (int i = 0; i < 5; ++i) {
        addresses.push_back(PrivateKey::generate().address());
        ASSERT_TRUE(auth.challenge_for(addresses.back(), 1));
        clock.advance(1s);
    }
    EXPECT_EQ(store.size(), 3u);
    // the oldest were evicted: their owners get a new challenge
    auto first = store.find_or_insert(addresses[0], 1, clock.unix_ms(), [] { return StoredChallenge{}; });
    ASSERT_TRUE(first);
    EXPECT_TRUE(first->challenge.empty());
}

struct AuthFixture : testing::Test {
    InMemoryChallengeStore store;
    ManualClock clock;
    ChallengeAuth auth{store, clock, {.ttl = 5min}};
    PrivateKey signer = key(kKey01);
    std::uint64_t chain = 65535;

    std::string signed_header(const PrivateKey& k) {
        auto doc = auth.challenge_document(k.address(), chain);
        EXPECT_TRUE(doc);
        return sign_header(*doc, k);
    }
};

TEST_F(AuthFixture, VerifiesOnceThenRefusesTheReplay) {
    const auto header = signed_header(signer);
    auto id = auth.verify(header, chain);
    ASSERT_TRUE(id) << id.error().message;
    EXPECT_EQ(id->address, signer.address());
    EXPECT_EQ(id->chain_id, chain);
    auto replay = auth.verify(header, chain);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().message, "Challenge not valid. Need to request a new challenge.");
    // a new challenge is issued after consumption
    EXPECT_NE(signed_header(signer), header);
}

TEST_F(AuthFixture, ExpiredChallengeFails) {
    const auto header = signed_header(signer);
    clock.advance(5min);
    auto r = auth.verify(header, chain);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Challenge not valid. Need to request a new challenge.");
}

TEST_F(AuthFixture, WrongSignerFails) {
    const auto mallory = key(kAnvil3);
    auto doc = auth.challenge_document(signer.address(), chain).value();
    // mallory signs the victim's challenge and claims the victim's address
    auto typed = eip712::parse_typed_data(json::value(doc)).value();
    ChallengeAuthorization a{eip712::digest(typed).value(), eip712::sign_typed_data(mallory, typed).value(),
                             signer.address()};
    auto r = auth.verify(format_challenge_authorization(a), chain);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Failed to verify signer, addresses mismatch.");
    // the failed attempt did not consume the victim's challenge
    EXPECT_TRUE(auth.verify(sign_header(doc, signer), chain));
}

TEST_F(AuthFixture, MismatchedAddressFails) {
    // a valid signature by signer, but the header names another address (which has no such challenge)
    auto header = signed_header(signer);
    header.replace(header.size() - 42, 42, key(kAnvil3).address().to_checksum());
    auto r = auth.verify(header, chain);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Challenge not valid. Need to request a new challenge.");
    // the other address has a pending challenge, but the signature is signer's
    auto doc = auth.challenge_document(key(kAnvil3).address(), chain).value();
    auto typed = eip712::parse_typed_data(json::value(doc)).value();
    ChallengeAuthorization a{eip712::digest(typed).value(), eip712::sign_typed_data(signer, typed).value(),
                             key(kAnvil3).address()};
    r = auth.verify(format_challenge_authorization(a), chain);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Failed to verify signer, addresses mismatch.");
}

TEST_F(AuthFixture, OtherChainIdFails) {
    // the challenge signed over another chain id has another hash: not found
    auto c = auth.challenge_for(signer.address(), chain).value();
    auto other = challenge_typed_data(market_challenge_domain(1), c.challenge);
    auto r = auth.verify(sign_header(other, signer), chain);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Challenge not valid. Need to request a new challenge.");
    // a valid header presented on a request for another chain
    r = auth.verify(signed_header(signer), 1);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "challenge was issued for chain 65535, request is for chain 1");
}

TEST_F(AuthFixture, MalformedHeaderFails) {
    for (const std::string& h :
         std::vector<std::string>{"", "Bearer x", std::string(242, '_'), std::string(300, 'a')}) {
        auto r = auth.verify(h, chain);
        EXPECT_FALSE(r) << h;
    }
}

TEST_F(AuthFixture, ConcurrentUseOfOneChallengeSucceedsOnce) {
    const auto header = signed_header(signer);
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
        threads.emplace_back([&] {
            if (auth.verify(header, chain)) ++ok;
        });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(ok.load(), 1);
}

// ---------------------------------------------------------------------------------------------------------------
// Against the real HttpServer on 127.0.0.1: GET /challenge, then a protected POST, the market's way.

std::string query_param(std::string_view query, std::string_view name) {
    std::size_t start = 0;
    while (start <= query.size()) {
        auto end = query.find('&', start);
        if (end == std::string_view::npos) end = query.size();
        auto part = query.substr(start, end - start);
        if (part.substr(0, name.size()) == name && part.size() > name.size() && part[name.size()] == '=') {
            return std::string(part.substr(name.size() + 1));
        }
        start = end + 1;
    }
    return "";
}

net::HttpResponse error_response(unsigned status, std::string_view message) {
    json::object body;
    body["ok"] = false;
    body["error"] = message;
    return net::HttpResponse::json(status, json::serialize(body));
}

struct ChallengeHttp : testing::Test {
    InMemoryChallengeStore store;
    ManualClock clock;
    ChallengeAuth auth{store, clock, {.ttl = 5min}};
    net::HttpServer server;
    net::HttpClient client;
    std::uint64_t chain = 65535;

    void SetUp() override {
        server.route("GET", "/challenge", [this](const net::ServerRequest& req) {
            auto address = Address::parse(query_param(req.query, "address"));
            const auto chain_id = query_param(req.query, "chainId");
            if (chain_id != std::to_string(chain))
                return error_response(400, "chainId " + chain_id + " is not supported");
            if (!address) return error_response(400, "address: " + address.error().message);
            auto body = challenge_response_body(auth, *address, chain);
            if (!body) return error_response(500, "Internal error");
            return net::HttpResponse::json(200, *body);
        });
        server.route("POST", "/workerpoolorders", [this](const net::ServerRequest& req) {
            std::uint64_t chain_id = 0;
            const auto q = query_param(req.query, "chainId");
            if (q == "65535") chain_id = 65535;
            if (q == "1") chain_id = 1;
            // the route plugs the header authenticator of the request's chain (as a filter will)
            auto handler = require_auth(challenge_authenticator(auth, chain_id),
                                        [](const net::ServerRequest&, const Identity& id) {
                                            json::object body;
                                            body["ok"] = true;
                                            body["address"] = id.address.to_checksum();
                                            return net::HttpResponse::json(200, json::serialize(body));
                                        });
            return handler(req);
        });
        ASSERT_TRUE(server.start());
    }

    json::object get_challenge(const Address& a) {
        auto r = client.get(server.base_url() + "/challenge?address=" + a.to_checksum() + "&chainId=65535",
                            {{"Accept", "application/json"}});
        EXPECT_TRUE(r) << r.error().message;
        EXPECT_EQ(r->status, 200u) << r->body;
        auto body = json::parse(r->body).as_object();
        EXPECT_EQ(body.at("ok"), json::value(true));
        return body.at("data").as_object();
    }

    net::HttpResponse post(const std::string& authorization, std::string chain_id = "65535") {
        auto r = client.post(server.base_url() + "/workerpoolorders?chainId=" + chain_id, R"({"order":{}})",
                             {{"authorization", authorization}});
        EXPECT_TRUE(r) << r.error().message;
        return r ? *r : net::HttpResponse{};
    }

    static void expect_refused(const net::HttpResponse& r) {
        EXPECT_EQ(r.status, 403u);
        EXPECT_EQ(r.body, R"({"ok":false,"error":"invalid authorization"})");
    }
};

TEST_F(ChallengeHttp, SignedChallengeOpensTheProtectedRouteOnce) {
    const auto k = key(kKey01);
    const auto doc = get_challenge(k.address());
    const auto header = sign_header(doc, k);
    auto r = post(header);
    EXPECT_EQ(r.status, 200u) << r.body;
    EXPECT_EQ(r.body, R"({"ok":true,"address":"0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1"})");
    expect_refused(post(header));  // replay
}

TEST_F(ChallengeHttp, RefusalsAreGeneric) {
    const auto k = key(kKey01);
    const auto mallory = key(kAnvil3);
    // wrong signer
    auto doc = get_challenge(k.address());
    auto typed = eip712::parse_typed_data(json::value(doc)).value();
    ChallengeAuthorization forged{eip712::digest(typed).value(), eip712::sign_typed_data(mallory, typed).value(),
                                  k.address()};
    expect_refused(post(format_challenge_authorization(forged)));
    // malformed header, missing header
    expect_refused(post("0x1234"));
    expect_refused(post(""));
    // other chain id on the request
    expect_refused(post(sign_header(get_challenge(k.address()), k), "1"));
    // expired
    const auto header = sign_header(get_challenge(k.address()), k);
    clock.advance(6min);
    expect_refused(post(header));
}

TEST_F(ChallengeHttp, EthersSignedChallengeIsAccepted) {
    const std::string oracle_dir = std::string(WP_SOURCE_DIR) + "/tests/oracle";
    ASSERT_TRUE(std::filesystem::exists(oracle_dir + "/node_modules/ethers"))
        << "ethers is not installed: run `npm ci` in " << oracle_dir << " (scripts/install-deps.sh does it)";
    const auto dir = testing_support::fresh_test_dir("ethers");
    for (std::string_view hex : {kKey01, kAnvil3}) {
        const auto k = key(hex);
        const auto doc = get_challenge(k.address());
        const auto doc_path = (dir / "wp_challenge_doc.json").string();
        const auto out_path = (dir / "wp_challenge_header.txt").string();
        const auto err_path = (dir / "wp_challenge_err.txt").string();
        {
            std::ofstream out(doc_path);
            out << json::serialize(doc);
        }
        auto p = sys::Process::spawn({.argv = {"node", oracle_dir + "/sign_challenge.mjs", doc_path, std::string(hex)},
                                      .stdout_path = out_path,
                                      .stderr_path = err_path});
        ASSERT_TRUE(p) << p.error().message;
        auto status = p->wait_for(60s);
        ASSERT_TRUE(status) << status.error().message;
        ASSERT_TRUE(status->success()) << sys::read_text_file(err_path).value_or("");
        auto header = sys::read_text_file(out_path).value();
        ASSERT_FALSE(header.empty());
        header.pop_back();                       // newline
        EXPECT_EQ(header, sign_header(doc, k));  // ethers and our EIP-712 code agree byte for byte
        auto r = post(header);
        EXPECT_EQ(r.status, 200u) << r.body;
        EXPECT_EQ(r.body, R"({"ok":true,"address":")" + k.address().to_checksum() + R"("})");
    }
}

}  // namespace
}  // namespace wp::service
