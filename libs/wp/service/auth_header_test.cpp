#include "auth_header.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <boost/json/parse.hpp>

#include "test_support.hpp"

namespace wp::service {
namespace {

namespace json = boost::json;

// vectors.md §6: the Authorization header the iexec 9.0.1 CLI sent.
std::string vector_header() {
    const std::string path = std::string(WP_SHARED_DIR) + "/reference/vectors.json";
    std::ifstream in(path);
    if (!in) {
        ADD_FAILURE() << "missing " << path << " (WP_SHARED_DIR=" << WP_SHARED_DIR << ")";
        return "";
    }
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return std::string(json::parse(text).at("marketChallenge").at("authorizationHeader").as_string());
}

TEST(AuthorizationHeader, StrictParse) {
    const std::string good = vector_header();
    ASSERT_EQ(good.size(), kChallengeAuthorizationLength);
    ASSERT_TRUE(parse_challenge_authorization(good));
    // lowercase address accepted (no checksum to check)
    std::string lower = good.substr(0, 200) + "0x1a642f0e3c3af545e7acbd38b07251b3990914f1";
    EXPECT_TRUE(parse_challenge_authorization(lower));
    auto expect_error = [](const std::string& value, const std::string& part) {
        auto r = parse_challenge_authorization(value);
        ASSERT_FALSE(r) << value;
        WP_EXPECT_CONTAINS(r.error().message, part);
    };
    expect_error("", "expected <hash>_<signature>_<address> of 242 characters, got 0");
    expect_error(good + " ", "242 characters");
    expect_error(good.substr(0, 241), "242 characters");
    // wrong checksum (one letter's case flipped)
    const std::string bad_sum = good.substr(0, 200) + "0x1A642f0E3c3aF545E7AcBD38b07251B3990914F1";
    expect_error(bad_sum, "authorization address");
    // v = 0 (ethers' yParity form) is refused: the SDK sends 27 / 28
    std::string v0 = good;
    v0.replace(66 + 1 + 130, 2, "00");
    expect_error(v0, "invalid signature v value 0");
    // high s
    std::string high_s = good;
    high_s.replace(66 + 1 + 66, 64, std::string(64, 'f'));
    expect_error(high_s, "authorization signature");
    // bad hex in the hash, separators moved
    std::string bad_hex = good;
    bad_hex[5] = 'g';
    expect_error(bad_hex, "authorization hash");
    std::string three = good;
    three[100] = '_';
    expect_error(three, "three parts");
    std::string moved = good;
    std::swap(moved[66], moved[65]);
    expect_error(moved, "authorization");
    std::string no_prefix = good;
    no_prefix[1] = 'X';
    expect_error(no_prefix, "authorization hash");
}

}  // namespace
}  // namespace wp::service
