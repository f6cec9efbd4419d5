#pragma once
// Path templates and the method + path router used by HttpServer. No Asio / Beast here.
//
// A template is an absolute path whose segments are literals or parameters: "/workerpoolorders/:orderHash",
// "/tasks/:id/replicates/:wallet".
//  - it starts with '/'; segments are separated by single '/' (no empty segment except a trailing "/", which is
//    significant: "/a/" and "/a" are different routes);
//  - a parameter segment is ':' + a name of [A-Za-z_][A-Za-z0-9_]* (unique within the template) and matches exactly
//    one non-empty path segment;
//  - a literal segment is made of RFC 3986 pchar characters without '%' and ':' (letters, digits, -._~!$&'()*+,;=@).
// Matching is on the raw (still percent-encoded) path; parameter values are returned raw and the server decodes
// them (a malformed escape answers 400).
//
// Precedence: when several templates match a path, the one whose first differing segment is a literal wins
// ("/orders/count" beats "/orders/:hash"), whatever the registration order.
//
// Thread safety: PathTemplate is immutable; PathRouter is built before the server starts, then only read.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::net {

//! (name, value) pairs in template order.
using PathParams = std::vector<std::pair<std::string, std::string>>;

class PathTemplate {
  public:
    //! Errors (Errc::kInvalidArgument) name the template and the rule: "path template '/a/:': empty parameter name".
    static Result<PathTemplate> parse(std::string_view pattern);

    //! The raw parameter values when `path` matches, else nullopt.
    std::optional<PathParams> match(std::string_view path) const;
    //! match(path).has_value(), without building the values.
    bool matches(std::string_view path) const;
    const std::string& pattern() const { return pattern_; }
    bool has_params() const;
    //! True when this template takes precedence over `other` for a path both match (see above).
    bool more_specific_than(const PathTemplate& other) const;

  private:
    struct Segment {
        std::string text;  // literal text, or the parameter name
        bool param{false};
    };
    std::string pattern_;
    std::vector<Segment> segments_;
};

//! Routes (method, template) pairs to caller-side route ids.
class PathRouter {
  public:
    struct Match {
        enum class Kind { kFound, kNotFound, kMethodNotAllowed };
        Kind kind{Kind::kNotFound};
        std::size_t route{0};  //!< the id given to add() (kFound)
        PathParams params;     //!< raw values (kFound)
        //! Methods of the matching templates plus HEAD (with GET) and OPTIONS, sorted; filled for
        //! kMethodNotAllowed and for OPTIONS / HEAD requests.
        std::vector<std::string> allowed;
        bool head_from_get{false};  //!< HEAD answered by the GET route (kFound)
    };

    //! Adds a route; returns its id (0, 1, 2, ...). Replaces the handler id of an identical (method, pattern).
    std::size_t add(std::string method, const PathTemplate& path);
    //! The route for a request. HEAD falls back to GET. The `allowed` list adds HEAD when GET exists and OPTIONS.
    Match find(std::string_view method, std::string_view path) const;

  private:
    struct Entry {
        std::string method;
        PathTemplate path;
        std::size_t id;
    };
    std::vector<Entry> entries_;
};

}  // namespace wp::net
