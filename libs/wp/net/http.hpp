#pragma once
// HTTP types shared by HttpClient and HttpServer, and strict URL parsing. No Asio / Beast here: this header is
// cheap to include.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <wp/core/result.hpp>

namespace wp::net {

//! Header fields in order; names compare case-insensitively (RFC 9110 §5.1).
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

//! The value of the first header named `name` (case-insensitive), or nullopt.
std::optional<std::string_view> find_header(const HttpHeaders& headers, std::string_view name);

//! Default maximum size of a response body read by HttpClient and of a request body read by HttpServer.
inline constexpr std::size_t kDefaultMaxBodyBytes = std::size_t{64} << 20;

struct HttpResponse {
    unsigned status{200};
    HttpHeaders headers{};
    std::string body{};

    std::optional<std::string_view> header(std::string_view name) const { return find_header(headers, name); }

    //! A response with Content-Type application/json.
    static HttpResponse json(unsigned status, std::string body);
    //! A response with Content-Type text/plain; charset=utf-8.
    static HttpResponse text(unsigned status, std::string body);
};

//! An absolute http:// or https:// URL, split the way a client needs it.
struct Url {
    std::string scheme;  //!< "http" or "https" (lowercase)
    std::string host;    //!< lowercase host name, IPv4 address, or IPv6 address without brackets
    std::uint16_t port{0};
    std::string target;  //!< origin-form request target: path (at least "/") plus "?query" when present

    bool tls() const { return scheme == "https"; }
    //! "scheme://host:port" (brackets around IPv6): identifies a connection pool.
    std::string origin() const;
    //! The Host header value: host, plus ":port" when it is not the scheme's default.
    std::string host_header() const;
};

//! Parses an absolute URL strictly: `scheme://host[:port][/path][?query]`.
//!  - scheme: http or https (case-insensitive);
//!  - host: a registered name of letters, digits, '-', '.', an IPv4 address, or "[IPv6]"; not empty;
//!  - port: 1 to 65535 in decimal (default 80 / 443);
//!  - path and query: printable ASCII without spaces; a missing path is "/";
//!  - rejected: userinfo ("user@host"), fragments ("#x"), whitespace and control characters.
//! Errors are Errc::kInvalidArgument and name the part: "URL 'ftp://x': scheme must be http or https".
Result<Url> parse_url(std::string_view text);

}  // namespace wp::net
