#include "token.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "test_support.hpp"

namespace wp::service {
namespace {

using namespace std::chrono_literals;

const Address kWorker = Address::parse("0x90F79bf6EB2c4f870365E785982E1f101E93b906").value();

std::filesystem::path fresh_dir(const std::string& name) { return testing_support::fresh_test_dir("token_" + name); }

TEST(Base64Url, Rfc4648Vectors) {
    // RFC 4648 §10 (base64; the url alphabet differs only in '-' and '_', padding removed)
    const std::pair<std::string, std::string> cases[] = {
        {"", ""},           {"f", "Zg"},          {"fo", "Zm8"},         {"foo", "Zm9v"},
        {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"}};
    for (const auto& [plain, encoded] : cases) {
        EXPECT_EQ(base64url_encode(as_bytes(plain)), encoded);
        auto back = base64url_decode(encoded);
        ASSERT_TRUE(back) << encoded;
        EXPECT_EQ(std::string(back->begin(), back->end()), plain);
    }
    const std::uint8_t raw[] = {0xfb, 0xff, 0xbf};
    EXPECT_EQ(base64url_encode(ByteView(raw, 3)), "-_-_");
    for (const char* bad : {"Zg==", "Zh", "Z", "Zm9v+", "Zm9v/", "Zm 9v", "Zm8="}) {
        EXPECT_FALSE(base64url_decode(bad)) << bad;  // padding, non-zero trailing bits, length 1 mod 4, alphabet
    }
}

struct TokenFixture : testing::Test {
    ManualClock clock;
    TokenKeyring ring = TokenKeyring::ephemeral();
    TokenService tokens{ring, clock};
};

TEST_F(TokenFixture, IssueAndVerify) {
    auto t = tokens.issue(kWorker, "core-worker-api", 1h);
    ASSERT_TRUE(t) << t.error().message;
    EXPECT_EQ(t->rfind("wp1.", 0), 0u);
    EXPECT_LE(t->size(), kMaxTokenLength);
    auto claims = tokens.verify(*t, "core-worker-api");
    ASSERT_TRUE(claims) << claims.error().message;
    EXPECT_EQ(claims->subject, kWorker);
    EXPECT_EQ(claims->audience, "core-worker-api");
    EXPECT_EQ(claims->key_id, ring.current_id());
    EXPECT_EQ(claims->expires_at - claims->issued_at, 3600u);
    EXPECT_EQ(claims->issued_at, static_cast<std::uint64_t>(clock.unix_ms() / 1000));
    EXPECT_TRUE(tokens.verify_bearer("Bearer " + *t, "core-worker-api"));
    EXPECT_TRUE(tokens.verify_bearer("bearer " + *t, "core-worker-api"));
    EXPECT_FALSE(tokens.verify_bearer("Basic " + *t, "core-worker-api"));
    EXPECT_FALSE(tokens.verify_bearer(*t, "core-worker-api"));
    // parse / encode round trip
    auto parsed = parse_token(*t);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(encode_token(parsed->claims, parsed->mac), *t);
}

TEST_F(TokenFixture, TamperingIsRefused) {
    const auto t = tokens.issue(kWorker, "core-worker-api", 1h).value();
    // flip every character of the token in turn (to another base64url character): never accepted
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (std::size_t i = 4; i < t.size(); ++i) {
        if (t[i] == '.') continue;
        std::string bad = t;
        bad[i] = alphabet[(alphabet.find(t[i]) + 1) % alphabet.size()];
        EXPECT_FALSE(tokens.verify(bad, "core-worker-api")) << "position " << i;
    }
    // a valid-looking token for another subject with the old MAC
    auto parsed = parse_token(t).value();
    parsed.claims.subject = PrivateKey::generate().address();
    auto r = tokens.verify(encode_token(parsed.claims, parsed.mac), "core-worker-api");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "token: MAC mismatch");
    // a longer lifetime with the old MAC
    parsed = parse_token(t).value();
    parsed.claims.expires_at += 1000000;
    EXPECT_FALSE(tokens.verify(encode_token(parsed.claims, parsed.mac), "core-worker-api"));
    EXPECT_FALSE(tokens.verify(t + "A", "core-worker-api"));
    EXPECT_FALSE(tokens.verify("wp2" + t.substr(3), "core-worker-api"));
}

TEST_F(TokenFixture, ExpiryAudienceAndKeyId) {
    const auto t = tokens.issue(kWorker, "core-worker-api", 10min).value();
    auto r = tokens.verify(t, "market");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "token: audience 'core-worker-api' is not 'market'");
    clock.advance(10min - 1s);
    EXPECT_TRUE(tokens.verify(t, "core-worker-api"));
    clock.advance(1s);
    r = tokens.verify(t, "core-worker-api");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "token: expired");
    // an unknown key id
    auto parsed = parse_token(t).value();
    parsed.claims.key_id = 77;
    r = tokens.verify(encode_token(parsed.claims, parsed.mac), "core-worker-api");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "token: unknown key id 77");
    // another keyring (another daemon, or a lost key file): same id, other key
    TokenKeyring other = TokenKeyring::ephemeral();
    TokenService other_tokens(other, clock);
    r = other_tokens.verify(tokens.issue(kWorker, "core-worker-api", 1h).value(), "core-worker-api");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "token: MAC mismatch");
    EXPECT_FALSE(tokens.issue(kWorker, "has space", 1h));
    EXPECT_FALSE(tokens.issue(kWorker, "", 1h));
    EXPECT_FALSE(tokens.issue(kWorker, std::string(65, 'a'), 1h));
    EXPECT_FALSE(tokens.issue(kWorker, "x", 0s));
}

TEST(TokenKeyring, PersistsAcrossRestartsWithPrivateMode) {
    const auto dir = fresh_dir("persist");
    ManualClock clock;
    std::string token;
    std::uint32_t first_id = 0;
    {
        auto ring = TokenKeyring::load_or_create(dir.string());
        ASSERT_TRUE(ring) << ring.error().message;
        struct stat st {};
        ASSERT_EQ(::stat(ring->path().c_str(), &st), 0);
        EXPECT_EQ(st.st_mode & 0777, 0600u);
        token = TokenService(*ring, clock).issue(kWorker, "core-worker-api", 1h).value();
        first_id = ring->current_id();
    }
    {
        // "restart": a new keyring read from the same file verifies the old token
        auto ring = TokenKeyring::load_or_create(dir.string());
        ASSERT_TRUE(ring) << ring.error().message;
        EXPECT_EQ(ring->current_id(), first_id);
        TokenService svc(*ring, clock);
        EXPECT_TRUE(svc.verify(token, "core-worker-api"));
        // rotation: new tokens use the new key, old ones still verify, also after another restart
        ASSERT_TRUE(ring->rotate());
        EXPECT_NE(ring->current_id(), first_id);
        const auto newer = svc.issue(kWorker, "core-worker-api", 1h).value();
        EXPECT_EQ(parse_token(newer)->claims.key_id, ring->current_id());
        auto again = TokenKeyring::load_or_create(dir.string());
        ASSERT_TRUE(again);
        TokenService svc2(*again, clock);
        EXPECT_TRUE(svc2.verify(token, "core-worker-api"));
        EXPECT_TRUE(svc2.verify(newer, "core-worker-api"));
    }
    // a key file readable by others is refused
    ASSERT_EQ(::chmod((dir / "token-keys.json").c_str(), 0644), 0);
    auto refused = TokenKeyring::load_or_create(dir.string());
    ASSERT_FALSE(refused);
    WP_EXPECT_CONTAINS(refused.error().message, "must not be accessible by group or others");
    // malformed files
    ASSERT_EQ(::chmod((dir / "token-keys.json").c_str(), 0600), 0);
    for (const char* bad :
         {"[]", R"({"current":1,"keys":[]})", R"({"current":1,"keys":[{"id":1,"key":"0x12"}]})", "not json"}) {
        {
            std::ofstream out(dir / "token-keys.json", std::ios::trunc);
            out << bad;
        }
        auto r = TokenKeyring::load_or_create(dir.string());
        EXPECT_FALSE(r) << bad;
    }
    // a missing directory
    EXPECT_FALSE(TokenKeyring::load_or_create((dir / "missing").string()));
}

}  // namespace
}  // namespace wp::service
