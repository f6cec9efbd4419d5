#include "http.hpp"

#include <algorithm>
#include <cctype>

namespace wp::net {
namespace {

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

bool iequals(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return lower(x) == lower(y); });
}

tl::unexpected<Error> url_error(std::string_view text, std::string_view what) {
    return make_error(Errc::kInvalidArgument, "URL '" + std::string(text) + "': " + std::string(what));
}

}  // namespace

std::optional<std::string_view> find_header(const HttpHeaders& headers, std::string_view name) {
    for (const auto& [k, v] : headers)
        if (iequals(k, name)) return std::string_view(v);
    return std::nullopt;
}

HttpResponse HttpResponse::json(unsigned status, std::string body) {
    return HttpResponse{status, {{"Content-Type", "application/json"}}, std::move(body)};
}

HttpResponse HttpResponse::text(unsigned status, std::string body) {
    return HttpResponse{status, {{"Content-Type", "text/plain; charset=utf-8"}}, std::move(body)};
}

namespace {
std::string bracketed_host(const std::string& host) {
    if (host.find(':') == std::string::npos) return host;
    std::string out;
    out.reserve(host.size() + 2);
    out.push_back('[');
    out.append(host);
    out.push_back(']');
    return out;
}
}  // namespace

std::string Url::origin() const {
    std::string out = scheme;
    out.append("://").append(bracketed_host(host)).append(":").append(std::to_string(port));
    return out;
}

std::string Url::host_header() const {
    std::string h = bracketed_host(host);
    const std::uint16_t default_port = tls() ? 443 : 80;
    if (port != default_port) h.append(":").append(std::to_string(port));
    return h;
}

Result<Url> parse_url(std::string_view text) {
    for (char c : text) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f) return url_error(text, "contains whitespace, a control or a non-ASCII character");
    }
    const auto sep = text.find("://");
    if (sep == std::string_view::npos) return url_error(text, "missing scheme (expected http:// or https://)");
    Url url;
    for (char c : text.substr(0, sep)) url.scheme.push_back(lower(c));
    if (url.scheme != "http" && url.scheme != "https") return url_error(text, "scheme must be http or https");

    std::string_view rest = text.substr(sep + 3);
    const auto authority_end = rest.find_first_of("/?#");
    std::string_view authority = rest.substr(0, authority_end);
    std::string_view tail = authority_end == std::string_view::npos ? std::string_view{} : rest.substr(authority_end);
    if (tail.find('#') != std::string_view::npos) return url_error(text, "fragments (#...) are not allowed");
    if (authority.find('@') != std::string_view::npos) return url_error(text, "userinfo (user@host) is not allowed");
    if (authority.empty()) return url_error(text, "empty host");

    std::string_view host;
    std::string_view port_text;
    bool has_port = false;
    if (authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) return url_error(text, "unterminated IPv6 host '['");
        host = authority.substr(1, close - 1);
        if (host.empty()) return url_error(text, "empty IPv6 host");
        for (char c : host)
            if (!std::isxdigit(static_cast<unsigned char>(c)) && c != ':' && c != '.')
                return url_error(text, "invalid character in IPv6 host");
        const auto after = authority.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') return url_error(text, "unexpected characters after the IPv6 host");
            has_port = true;
            port_text = after.substr(1);
        }
    } else {
        const auto colon = authority.find(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            has_port = true;
            port_text = authority.substr(colon + 1);
        }
        if (host.empty()) return url_error(text, "empty host");
        for (char c : host)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.')
                return url_error(text, std::string("invalid character '") + c + "' in host");
    }
    for (char c : host) url.host.push_back(lower(c));

    if (has_port) {
        if (port_text.empty() || port_text.size() > 5) return url_error(text, "port must be 1 to 65535");
        unsigned value = 0;
        for (char c : port_text) {
            if (c < '0' || c > '9') return url_error(text, "port must be decimal digits");
            value = value * 10 + static_cast<unsigned>(c - '0');
        }
        if (value == 0 || value > 65535) return url_error(text, "port must be 1 to 65535");
        url.port = static_cast<std::uint16_t>(value);
    } else {
        url.port = url.tls() ? 443 : 80;
    }

    if (tail.empty()) {
        url.target.push_back('/');
    } else if (tail.front() == '?') {
        url.target.reserve(tail.size() + 1);
        url.target.push_back('/');
        url.target.append(tail);
    } else {
        url.target = std::string(tail);
    }
    return url;
}

}  // namespace wp::net
