#include "router.hpp"

#include <gtest/gtest.h>

namespace wp::net {
namespace {

TEST(PathTemplate, MatchesLiteralsAndParameters) {
    auto t = PathTemplate::parse("/tasks/:id/replicates/:wallet").value();
    auto m = t.match("/tasks/0xab/replicates/0xcd");
    ASSERT_TRUE(m);
    EXPECT_EQ(*m, (PathParams{{"id", "0xab"}, {"wallet", "0xcd"}}));
    EXPECT_FALSE(t.match("/tasks/0xab/replicates"));
    EXPECT_FALSE(t.match("/tasks/0xab/replicates/0xcd/x"));
    EXPECT_FALSE(t.match("/tasks//replicates/0xcd"));
    EXPECT_FALSE(t.match("/tasks/0xab/replicates/"));
    auto root = PathTemplate::parse("/").value();
    EXPECT_TRUE(root.match("/"));
    EXPECT_FALSE(root.match("/a"));
    auto slash = PathTemplate::parse("/a/").value();
    EXPECT_TRUE(slash.match("/a/"));
    EXPECT_FALSE(slash.match("/a"));
    EXPECT_FALSE(PathTemplate::parse("/a").value().match("/a/"));
    EXPECT_EQ(PathTemplate::parse("/x/:v").value().match("/x/a%20b")->at(0).second, "a%20b");  // raw
}

TEST(PathTemplate, RejectsBadTemplates) {
    auto err = [](std::string_view p) { return PathTemplate::parse(p).error().message; };
    EXPECT_EQ(err("a"), "path template 'a': must start with '/'");
    EXPECT_EQ(err(""), "path template '': must start with '/'");
    EXPECT_EQ(err("/a//b"), "path template '/a//b': empty segment ('//')");
    EXPECT_EQ(err("/a/:"), "path template '/a/:': empty parameter name");
    EXPECT_EQ(err("/a/:1x"), "path template '/a/:1x': parameter name '1x' must match [A-Za-z_][A-Za-z0-9_]*");
    EXPECT_EQ(err("/:a/:a"), "path template '/:a/:a': parameter 'a' appears twice");
    EXPECT_EQ(err("/a b"), "path template '/a b': invalid character ' ' in a literal segment");
    EXPECT_EQ(err("/a%20"), "path template '/a%20': invalid character '%' in a literal segment");
}

TEST(PathRouter, LiteralsWinOverParametersWhateverTheOrder) {
    PathRouter r;
    const auto by_hash = r.add("GET", PathTemplate::parse("/workerpoolorders/:orderHash").value());
    const auto count = r.add("GET", PathTemplate::parse("/workerpoolorders/count").value());
    const auto post = r.add("POST", PathTemplate::parse("/workerpoolorders").value());
    const auto deep = r.add("GET", PathTemplate::parse("/a/:x/c").value());
    const auto deeper = r.add("GET", PathTemplate::parse("/a/b/:y").value());
    auto m = r.find("GET", "/workerpoolorders/0x12");
    ASSERT_EQ(m.kind, PathRouter::Match::Kind::kFound);
    EXPECT_EQ(m.route, by_hash);
    EXPECT_EQ(m.params, (PathParams{{"orderHash", "0x12"}}));
    EXPECT_EQ(r.find("GET", "/workerpoolorders/count").route, count);
    EXPECT_EQ(r.find("GET", "/a/b/c").route, deeper);  // first differing segment: 'b' literal beats ':x'
    EXPECT_EQ(r.find("GET", "/a/z/c").route, deep);
    m = r.find("DELETE", "/workerpoolorders");
    EXPECT_EQ(m.kind, PathRouter::Match::Kind::kMethodNotAllowed);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"OPTIONS", "POST"}));
    EXPECT_EQ(r.find("POST", "/workerpoolorders").route, post);
    m = r.find("HEAD", "/workerpoolorders/count");
    EXPECT_EQ(m.kind, PathRouter::Match::Kind::kFound);
    EXPECT_TRUE(m.head_from_get);
    EXPECT_EQ(m.allowed, (std::vector<std::string>{"GET", "HEAD", "OPTIONS"}));
    EXPECT_EQ(r.find("GET", "/nope").kind, PathRouter::Match::Kind::kNotFound);
    EXPECT_EQ(r.add("GET", PathTemplate::parse("/workerpoolorders/count").value()), count);  // same route: same id
}

}  // namespace
}  // namespace wp::net
