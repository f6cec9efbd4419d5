#include "args.hpp"

#include <gtest/gtest.h>

namespace wp::worker {
namespace {

using V = std::vector<std::string>;

V ok(std::string_view s) {
    auto r = split_args(s);
    EXPECT_TRUE(r) << s << ": " << (r ? "" : r.error().message);
    return r ? *r : V{"<error>"};
}

TEST(SplitArgs, BlanksSeparateWords) {
    EXPECT_EQ(ok(""), V{});
    EXPECT_EQ(ok("   \t\n "), V{});
    EXPECT_EQ(ok("a b\tc\nd"), (V{"a", "b", "c", "d"}));
    EXPECT_EQ(ok("  lead  trail  "), (V{"lead", "trail"}));
}

TEST(SplitArgs, QuotesAndEscapes) {
    EXPECT_EQ(ok("'a b' \"c d\""), (V{"a b", "c d"}));
    EXPECT_EQ(ok("x'y z'w"), (V{"xy zw"}));
    EXPECT_EQ(ok("'' \"\""), (V{"", ""}));
    EXPECT_EQ(ok(R"('it\s' "q\"x\\y\n")"), (V{R"(it\s)", R"(q"x\y\n)"}));
    EXPECT_EQ(ok(R"(a\ b \'c \\)"), (V{"a b", "'c", "\\"}));
    EXPECT_EQ(ok("$HOME `x` * ; | ~"), (V{"$HOME", "`x`", "*", ";", "|", "~"}));
    EXPECT_EQ(ok("'\"' \"'\""), (V{"\"", "'"}));
}

TEST(SplitArgs, UnbalancedQuotesNameTheOffset) {
    auto r = split_args("abc 'def");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    EXPECT_EQ(r.error().message, "iexec_args: unbalanced single quote opened at offset 4");
    r = split_args("a \"b c");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "iexec_args: unbalanced double quote opened at offset 2");
    r = split_args("ab\\");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "iexec_args: trailing backslash at offset 2");
    r = split_args(std::string_view("a\0b", 3));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "iexec_args: NUL byte at offset 1");
}

TEST(SplitArgs, Limits) {
    std::string many;
    for (std::size_t i = 0; i <= kMaxArgs; ++i) many += "x ";
    auto r = split_args(many);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "iexec_args: more than 4096 words");
    r = split_args(std::string(kMaxArgsBytes + 1, 'a'));
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("longer than"), std::string::npos);
}

}  // namespace
}  // namespace wp::worker
