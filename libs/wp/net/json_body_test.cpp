#include "json_body.hpp"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace wp::net {
namespace {

TEST(JsonStrict, AcceptsOneValueAndRejectsWithReasons) {
    auto v = parse_json_strict(R"( {"a":[1,2,{"b":null}],"c":"d"} )");
    ASSERT_TRUE(v) << v.error().message;
    EXPECT_EQ(boost::json::serialize(*v), R"({"a":[1,2,{"b":null}],"c":"d"})");

    auto err = [](std::string_view text, JsonLimits l = {}) {
        auto r = parse_json_strict(text, l);
        return r ? std::string("<ok>") : r.error().message;
    };
    EXPECT_EQ(err(R"({"a":1,"b":{"x":1,"x":2}})"), R"(JSON body: duplicate key "x")");
    EXPECT_EQ(err(R"({"a":1,"a":1})"), R"(JSON body: duplicate key "a")");
    EXPECT_EQ(err(R"([{"a":1},{"a":2}])"), "<ok>");  // same key in two objects
    EXPECT_EQ(err("[[[1]]]", {.max_depth = 2}), "JSON body: nested deeper than 2 levels");
    EXPECT_EQ(err("[[1]]", {.max_depth = 2}), "<ok>");
    EXPECT_EQ(err("[1,2,3]", {.max_bytes = 6}), "JSON body: larger than 6 bytes");
    EXPECT_EQ(parse_json_strict("[1,2,3]", {.max_bytes = 6}).error().code, Errc::kTooLarge);
    EXPECT_NE(err("{} x").find("JSON body: "), std::string::npos);
    EXPECT_NE(err("{} x"), "<ok>");
    EXPECT_NE(err("[1,]"), "<ok>");
    EXPECT_NE(err("// c\n1"), "<ok>");
    EXPECT_NE(err(""), "<ok>");
    EXPECT_NE(err("\"\xff\""), "<ok>");
    EXPECT_EQ(parse_json_strict("{", {}, "order").error().message.rfind("order: ", 0), 0u);
    EXPECT_EQ(json_quote("a\"b\\\n"), R"("a\"b\\\n")");
}

}  // namespace
}  // namespace wp::net

TEST(JsonStringifyIndented, MatchesJavaScriptsStringifyWithTwoSpaces) {
    // Expected texts as node prints JSON.stringify(v, null, 2) for the same values.
    EXPECT_EQ(wp::net::json_stringify_indented(boost::json::parse("{}")), "{}");
    EXPECT_EQ(wp::net::json_stringify_indented(boost::json::parse("[]")), "[]");
    EXPECT_EQ(wp::net::json_stringify_indented(boost::json::parse("7")), "7");
    EXPECT_EQ(
        wp::net::json_stringify_indented(boost::json::parse(R"({"b":1,"a":[true,null,{"x":"y\"z"}],"e":{},"f":[]})")),
        "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    {\n      \"x\": \"y\\\"z\"\n    }\n  ],\n"
        "  \"e\": {},\n  \"f\": []\n}");
}
