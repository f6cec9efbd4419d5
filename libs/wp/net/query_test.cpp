#include "query.hpp"

#include <gtest/gtest.h>

namespace wp::net {
namespace {

std::string error_of(const Result<QueryParams>& r) { return r ? std::string("<ok>") : r.error().message; }

TEST(Query, DecodesPairsPlusAndEscapes) {
    auto q = QueryParams::parse("a=1&b=x+y%2Bz&c&d=&e=%41%62&&");
    ASSERT_TRUE(q) << q.error().message;
    EXPECT_EQ(q->items().size(), 5u);
    EXPECT_EQ(q->get("a"), "1");
    EXPECT_EQ(q->get("b"), "x y+z");
    EXPECT_EQ(q->get("c"), "");
    EXPECT_EQ(q->get("d"), "");
    EXPECT_EQ(q->get("e"), "Ab");
    EXPECT_FALSE(q->get("f"));
    EXPECT_TRUE(QueryParams::parse("")->items().empty());
    EXPECT_EQ(QueryParams::parse("k%20ey=v")->get("k ey"), "v");
}

TEST(Query, RejectsDuplicatesMalformedEscapesAndEmptyNames) {
    EXPECT_EQ(error_of(QueryParams::parse("page=1&page=2")), "query parameter 'page': given twice");
    EXPECT_EQ(error_of(QueryParams::parse("a%41=1&aA=2")), "query parameter 'aA': given twice");
    EXPECT_EQ(error_of(QueryParams::parse("x=%zz")), "query parameter 'x': malformed percent escape at offset 2");
    EXPECT_EQ(error_of(QueryParams::parse("a=1&x=ab%4")), "query parameter 'x': malformed percent escape at offset 8");
    EXPECT_EQ(error_of(QueryParams::parse("a=1&%g1=2")), "query: malformed percent escape at offset 4");
    EXPECT_EQ(error_of(QueryParams::parse("a=1&=2")), "query: empty parameter name at offset 4");
    std::string many;
    for (int i = 0; i <= 100; ++i) {
        many.push_back('p');
        many.append(std::to_string(i));
        many.append("=1&");
    }
    EXPECT_EQ(error_of(QueryParams::parse(many)), "query: more than 100 parameters");
    EXPECT_EQ(percent_decode("a+b%2f", false).value(), "a+b/");
    EXPECT_EQ(percent_decode("%", false).error().message, "malformed percent escape at offset 0");
}

TEST(Query, TypedGettersNameTheParameterAndTheRule) {
    auto q =
        QueryParams::parse(
            "pageSize=5&n=007&big=18446744073709551616&max=18446744073709551615&flag=true&off=false&bad=yes"
            "&kind=open&wp=0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266&badwp=0xF39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
            "&tag=0x0000000000000000000000000000000000000000000000000000000000000001&short=0x01&neg=-1")
            .value();
    EXPECT_EQ(q.u64("pageSize", 10, 1000).error().message,
              "query parameter 'pageSize': must be an integer between 10 and 1000, got '5'");
    EXPECT_EQ(q.u64("n").error().message, "query parameter 'n': must be a non-negative integer, got '007'");
    EXPECT_EQ(q.u64("neg", 1).error().message, "query parameter 'neg': must be an integer of at least 1, got '-1'");
    EXPECT_FALSE(q.u64("big"));
    EXPECT_EQ(q.u64("max").value(), UINT64_MAX);
    EXPECT_EQ(q.u64("absent").value(), std::nullopt);
    EXPECT_EQ(q.u64_or("absent", 20, 10, 1000).value(), 20u);
    EXPECT_EQ(q.boolean("flag").value(), true);
    EXPECT_EQ(q.boolean("off").value(), false);
    EXPECT_EQ(q.boolean("bad").error().message, "query parameter 'bad': must be true or false, got 'yes'");
    EXPECT_EQ(q.one_of("kind", {"open", "filled"}).value(), "open");
    EXPECT_EQ(q.one_of("flag", {"open", "filled"}).error().message,
              "query parameter 'flag': must be one of open, filled, got 'true'");
    EXPECT_EQ(q.address("wp").value()->to_checksum(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    auto bad = q.address("badwp");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(bad.error().message.rfind("query parameter 'badwp': must be a 0x-prefixed 20-byte address (", 0), 0u)
        << bad.error().message;
    EXPECT_EQ(q.bytes32("tag").value()->view()[31], 1);
    EXPECT_EQ(q.bytes32("short").error().message.rfind("query parameter 'short': must be 0x-prefixed 32-byte hex", 0),
              0u);
    EXPECT_EQ(q.require("absent").error().message, "query parameter 'absent': is required");
    EXPECT_EQ(q.require("kind").value(), "open");
    EXPECT_EQ(q.reject_unknown({"pageSize"}).error().message, "query parameter 'n': unknown parameter");
    EXPECT_TRUE(QueryParams::parse("a=1").value().reject_unknown({"a", "b"}));
}

}  // namespace
}  // namespace wp::net
