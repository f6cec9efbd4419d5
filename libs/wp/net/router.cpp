#include "router.hpp"

#include <algorithm>
#include <cstring>

namespace wp::net {
namespace {

bool name_char(char c, bool first) {
    return c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (!first && c >= '0' && c <= '9');
}

bool literal_char(char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("-._~!$&'()*+,;=@", c) != nullptr;
}

tl::unexpected<Error> template_error(std::string_view pattern, std::string_view rule) {
    std::string shown(pattern.substr(0, 200));
    for (char& c : shown)
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) c = '?';
    return make_error(Errc::kInvalidArgument, "path template '" + shown + "': " + std::string(rule));
}

}  // namespace

Result<PathTemplate> PathTemplate::parse(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') return template_error(pattern, "must start with '/'");
    PathTemplate t;
    t.pattern_ = std::string(pattern);
    std::size_t pos = 1;
    while (pos <= pattern.size()) {
        const auto slash = std::min(pattern.find('/', pos), pattern.size());
        const std::string_view seg = pattern.substr(pos, slash - pos);
        const bool last = slash == pattern.size();
        if (seg.empty() && !last) return template_error(pattern, "empty segment ('//')");
        if (!seg.empty() && seg.front() == ':') {
            const auto name = seg.substr(1);
            if (name.empty()) return template_error(pattern, "empty parameter name");
            for (std::size_t i = 0; i < name.size(); ++i)
                if (!name_char(name[i], i == 0))
                    return template_error(
                        pattern, "parameter name '" + std::string(name) + "' must match [A-Za-z_][A-Za-z0-9_]*");
            for (const auto& s : t.segments_)
                if (s.param && s.text == name)
                    return template_error(pattern, "parameter '" + std::string(name) + "' appears twice");
            t.segments_.push_back({std::string(name), true});
        } else {
            for (char c : seg)
                if (!literal_char(c))
                    return template_error(
                        pattern, std::string("invalid character '") +
                                     (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f
                                          ? std::string(1, c)
                                          : std::string("?")) +
                                     "' in a literal segment");
            t.segments_.push_back({std::string(seg), false});
        }
        pos = slash + 1;
    }
    return t;
}

std::optional<PathParams> PathTemplate::match(std::string_view path) const {
    if (path.empty() || path.front() != '/') return std::nullopt;
    PathParams params;
    std::size_t pos = 1;
    for (std::size_t i = 0; i < segments_.size(); ++i) {
        if (pos > path.size()) return std::nullopt;
        const auto slash = std::min(path.find('/', pos), path.size());
        const std::string_view seg = path.substr(pos, slash - pos);
        const auto& s = segments_[i];
        if (s.param) {
            if (seg.empty()) return std::nullopt;
            params.emplace_back(s.text, std::string(seg));
        } else if (seg != s.text) {
            return std::nullopt;
        }
        pos = slash + 1;
    }
    if (pos <= path.size()) return std::nullopt;  // the path has more segments
    return params;
}

bool PathTemplate::matches(std::string_view path) const {
    if (path.empty() || path.front() != '/') return false;
    std::size_t pos = 1;
    for (const auto& s : segments_) {
        if (pos > path.size()) return false;
        const auto slash = std::min(path.find('/', pos), path.size());
        const std::string_view seg = path.substr(pos, slash - pos);
        if (s.param ? seg.empty() : seg != s.text) return false;
        pos = slash + 1;
    }
    return pos > path.size();
}

bool PathTemplate::has_params() const {
    return std::any_of(segments_.begin(), segments_.end(), [](const Segment& s) { return s.param; });
}

bool PathTemplate::more_specific_than(const PathTemplate& other) const {
    const std::size_t n = std::min(segments_.size(), other.segments_.size());
    for (std::size_t i = 0; i < n; ++i)
        if (segments_[i].param != other.segments_[i].param) return !segments_[i].param;
    return false;
}

std::size_t PathRouter::add(std::string method, const PathTemplate& path) {
    for (auto& e : entries_)
        if (e.method == method && e.path.pattern() == path.pattern()) return e.id;
    const std::size_t id = entries_.size();
    entries_.push_back({std::move(method), path, id});
    return id;
}

PathRouter::Match PathRouter::find(std::string_view method, std::string_view path) const {
    Match m;
    const Entry* best = nullptr;
    const Entry* best_get = nullptr;
    bool any = false;
    for (const auto& e : entries_) {
        if (!e.path.matches(path)) continue;
        any = true;
        if (e.method == method) {
            if (!best || e.path.more_specific_than(best->path)) best = &e;
        } else if (method == "HEAD" && e.method == "GET") {
            if (!best_get || e.path.more_specific_than(best_get->path)) best_get = &e;
        }
    }
    if (!any) return m;
    if (!best && best_get) {
        best = best_get;
        m.head_from_get = true;
    }
    if (!best || method == "OPTIONS" || method == "HEAD") {
        for (const auto& e : entries_)
            if (e.path.matches(path) && std::find(m.allowed.begin(), m.allowed.end(), e.method) == m.allowed.end())
                m.allowed.push_back(e.method);
        const bool has_get = std::find(m.allowed.begin(), m.allowed.end(), "GET") != m.allowed.end();
        if (has_get && std::find(m.allowed.begin(), m.allowed.end(), "HEAD") == m.allowed.end())
            m.allowed.emplace_back("HEAD");
        if (std::find(m.allowed.begin(), m.allowed.end(), "OPTIONS") == m.allowed.end())
            m.allowed.emplace_back("OPTIONS");
        std::sort(m.allowed.begin(), m.allowed.end());
    }
    if (!best) {
        m.kind = Match::Kind::kMethodNotAllowed;
        return m;
    }
    m.kind = Match::Kind::kFound;
    m.route = best->id;
    if (auto params = best->path.match(path)) m.params = std::move(*params);
    return m;
}

}  // namespace wp::net
