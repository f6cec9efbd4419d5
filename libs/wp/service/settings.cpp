#include "settings.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/net/http.hpp>

extern char** environ;

namespace wp::service {

namespace json = boost::json;

const char* to_string(SettingType type) noexcept {
    switch (type) {
        case SettingType::kString: return "string";
        case SettingType::kBool: return "bool";
        case SettingType::kInteger: return "integer";
        case SettingType::kDuration: return "duration";
        case SettingType::kByteSize: return "bytes";
        case SettingType::kEnum: return "enum";
        case SettingType::kUrl: return "url";
        case SettingType::kAddress: return "address";
        case SettingType::kPath: return "path";
    }
    return "?";
}

std::string env_name(std::string_view key) {
    std::string out = "WP_";
    char prev = '.';
    for (char c : key) {
        if (c == '.') {
            out += '_';
        } else {
            if (std::isupper(static_cast<unsigned char>(c)) && std::islower(static_cast<unsigned char>(prev))) {
                out += '_';
            }
            out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        }
        prev = c;
    }
    return out;
}

namespace {

constexpr std::int64_t kMaxExactMs = (std::int64_t{1} << 53);

// Strict decimal digits: non-empty, no leading zero (except "0"), value <= limit.
std::optional<std::uint64_t> parse_digits(std::string_view digits, std::uint64_t limit) {
    if (digits.empty() || digits.size() > 20) return std::nullopt;
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    std::uint64_t v = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (v > (limit - d) / 10) return std::nullopt;
        v = v * 10 + d;
    }
    return v;
}

// Splits "<digits><unit>" at the first non-digit.
std::pair<std::string_view, std::string_view> split_unit(std::string_view text) {
    std::size_t i = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') ++i;
    return {text.substr(0, i), text.substr(i)};
}

bool valid_key_part(std::string_view part) {
    if (part.empty() || !std::isalpha(static_cast<unsigned char>(part[0]))) return false;
    return std::all_of(part.begin(), part.end(), [](char c) { return std::isalnum(static_cast<unsigned char>(c)); });
}

bool valid_key(std::string_view key) {
    std::size_t start = 0;
    while (true) {
        const auto dot = key.find('.', start);
        const auto part = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (!valid_key_part(part)) return false;
        if (dot == std::string_view::npos) return true;
        start = dot + 1;
    }
}

std::string quote(std::string_view s) {
    std::string out = "'";
    for (char c : s.substr(0, 80)) {
        out += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? '?' : c;
    }
    if (s.size() > 80) out += "...";
    out += "'";
    return out;
}

std::string range_rule(const SettingSpec& spec) {
    switch (spec.type) {
        case SettingType::kInteger:
            return "an integer between " + std::to_string(spec.min) + " and " + std::to_string(spec.max);
        case SettingType::kDuration:
            return "a duration (e.g. \"250ms\", \"5s\", \"2m\", \"1h\") between " +
                   format_duration(std::chrono::milliseconds(spec.min)) + " and " +
                   format_duration(std::chrono::milliseconds(spec.max));
        case SettingType::kByteSize:
            return "a byte size (e.g. \"64KiB\", \"1MiB\") between " +
                   format_byte_size(static_cast<std::uint64_t>(spec.min)) + " and " +
                   format_byte_size(static_cast<std::uint64_t>(spec.max));
        case SettingType::kBool: return "true or false";
        case SettingType::kString: return "a string";
        case SettingType::kEnum: {
            std::string r = "one of ";
            for (std::size_t i = 0; i < spec.choices.size(); ++i) {
                if (i) r += ", ";
                r += spec.choices[i];
            }
            return r;
        }
        case SettingType::kUrl: return "an absolute http:// or https:// URL";
        case SettingType::kAddress: return "a 0x-prefixed 20-byte address (EIP-55 checksum when mixed case)";
        case SettingType::kPath: return "a non-empty file path";
    }
    return "?";
}

Error rule_error(const SettingSpec& spec, std::string got) {
    return Error{Errc::kInvalidArgument, spec.key + ": must be " + range_rule(spec) + ", got " + std::move(got)};
}

std::string json_kind(const json::value& v) {
    switch (v.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return v.get_bool() ? "true" : "false";
        case json::kind::int64:
        case json::kind::uint64:
        case json::kind::double_: return json::serialize(v);
        case json::kind::string: return "the string " + quote(v.get_string());
        case json::kind::array: return "an array";
        case json::kind::object: return "an object";
    }
    return "?";
}

// Strict UTF-8 (RFC 3629): no overlong forms, no surrogates, at most U+10FFFF. JSON text is UTF-8, so a value
// from the environment or a flag must be too, or print-config could not be read back.
bool valid_utf8(std::string_view s) {
    std::size_t i = 0;
    while (i < s.size()) {
        const auto c = static_cast<unsigned char>(s[i]);
        std::size_t n = 0;
        std::uint32_t cp = 0;
        if (c < 0x80) {
            ++i;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1fu;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0fu;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07u;
        } else {
            return false;
        }
        if (i + n >= s.size()) return false;  // truncated sequence
        for (std::size_t k = 1; k <= n; ++k) {
            const auto cc = static_cast<unsigned char>(s[i + k]);
            if ((cc & 0xc0) != 0x80) return false;
            cp = (cp << 6) | (cc & 0x3fu);
        }
        static constexpr std::uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
        if (cp < kMin[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
        i += n + 1;
    }
    return true;
}

// Text values of the string-like types (also used for JSON strings).
Result<SettingValue> check_text(const SettingSpec& spec, std::string_view text) {
    if (!valid_utf8(text)) {
        return make_error(Errc::kInvalidArgument, spec.key + ": must be valid UTF-8 text");
    }
    SettingValue v;
    v.text.assign(text.data(), text.size());
    const std::string got = quote(text);
    switch (spec.type) {
        case SettingType::kString: return v;
        case SettingType::kEnum:
            if (std::find(spec.choices.begin(), spec.choices.end(), text) == spec.choices.end()) {
                return make_error(rule_error(spec, got));
            }
            return v;
        case SettingType::kUrl:
            if (text.empty() && !spec.required) return v;  // "not set"
            if (auto url = net::parse_url(text); !url) {
                return make_error(Errc::kInvalidArgument,
                                  spec.key + ": must be " + range_rule(spec) + " (" + url.error().message + ")");
            }
            return v;
        case SettingType::kAddress:
            if (text.empty() && !spec.required) return v;  // "not set"
            if (auto a = Address::parse(text); !a) {
                return make_error(Errc::kInvalidArgument, spec.key + ": must be " + range_rule(spec) + ", got " + got +
                                                              " (" + a.error().message + ")");
            }
            return v;
        case SettingType::kPath:
            if (text.empty() && !spec.required) return v;  // "not set"
            if (text.empty() || std::any_of(text.begin(), text.end(),
                                            [](char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; })) {
                return make_error(rule_error(spec, got));
            }
            return v;
        default: break;
    }
    assert(false && "check_text on a non-text type");
    return make_error(rule_error(spec, got));
}

Result<SettingValue> check_integer(const SettingSpec& spec, std::int64_t value, std::string got) {
    if (value < spec.min || value > spec.max) return make_error(rule_error(spec, std::move(got)));
    SettingValue v;
    v.integer = value;
    return v;
}

}  // namespace

Result<std::chrono::milliseconds> parse_duration(std::string_view text) {
    const auto [digits, unit] = split_unit(text);
    std::int64_t scale = 0;
    if (unit == "ms") scale = 1;
    else if (unit == "s") scale = 1000;
    else if (unit == "m") scale = 60'000;
    else if (unit == "h") scale = 3'600'000;
    if (scale == 0) {
        return make_error(Errc::kInvalidArgument,
                          "duration " + quote(text) + ": expected <digits><unit> with unit ms, s, m or h");
    }
    const auto n = parse_digits(digits, static_cast<std::uint64_t>(kMaxExactMs));
    if (!n || *n > static_cast<std::uint64_t>(kMaxExactMs / scale)) {
        return make_error(Errc::kInvalidArgument,
                          "duration " + quote(text) + ": expected canonical decimal digits below 2^53 ms");
    }
    return std::chrono::milliseconds(static_cast<std::int64_t>(*n) * scale);
}

std::string format_duration(std::chrono::milliseconds value) {
    const auto ms = value.count();
    if (ms != 0 && ms % 3'600'000 == 0) return std::to_string(ms / 3'600'000) + "h";
    if (ms != 0 && ms % 60'000 == 0) return std::to_string(ms / 60'000) + "m";
    if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
    return std::to_string(ms) + "ms";
}

Result<std::uint64_t> parse_byte_size(std::string_view text) {
    const auto [digits, unit] = split_unit(text);
    std::uint64_t scale = 0;
    if (unit == "B") scale = 1;
    else if (unit == "KiB") scale = std::uint64_t{1} << 10;
    else if (unit == "MiB") scale = std::uint64_t{1} << 20;
    else if (unit == "GiB") scale = std::uint64_t{1} << 30;
    if (scale == 0) {
        return make_error(Errc::kInvalidArgument,
                          "byte size " + quote(text) + ": expected <digits><unit> with unit B, KiB, MiB or GiB");
    }
    constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    const auto n = parse_digits(digits, kLimit);
    if (!n || *n > kLimit / scale) {
        return make_error(Errc::kInvalidArgument,
                          "byte size " + quote(text) + ": expected canonical decimal digits below 2^63 bytes");
    }
    return *n * scale;
}

std::string format_byte_size(std::uint64_t bytes) {
    if (bytes != 0 && bytes % (std::uint64_t{1} << 30) == 0) return std::to_string(bytes >> 30) + "GiB";
    if (bytes != 0 && bytes % (std::uint64_t{1} << 20) == 0) return std::to_string(bytes >> 20) + "MiB";
    if (bytes != 0 && bytes % (std::uint64_t{1} << 10) == 0) return std::to_string(bytes >> 10) + "KiB";
    return std::to_string(bytes) + "B";
}

// ---------------------------------------------------------------------------------------------------------------
// Schema

namespace {
SettingValue text_value(std::string text) {
    SettingValue v;
    v.text = std::move(text);
    return v;
}

SettingSpec make_spec(std::string key, SettingType type, std::string description, SettingValue default_value) {
    SettingSpec s;
    s.key = std::move(key);
    s.type = type;
    s.description = std::move(description);
    s.default_value = std::move(default_value);
    return s;
}
}  // namespace

SettingsSchema& SettingsSchema::section(std::string name, std::string description) {
    assert(valid_key_part(name));
    sections_[std::move(name)] = std::move(description);
    return *this;
}

SettingSpec& SettingsSchema::add(SettingSpec spec) {
    assert(valid_key(spec.key) && "setting keys are dotted camelCase identifiers");
    assert(spec.key.find('.') != std::string::npos && "a key lives in a section: section.name");
    assert(!by_key_.count(spec.key) && "duplicate setting key");
    assert(!is_object(spec.key) && "a key cannot also be a parent object");
    for (const auto& other : specs_) {
        assert(spec.key.rfind(other.key + ".", 0) != 0 && "a key cannot be below another key");
        (void)other;
    }
    const std::string env = env_name(spec.key);
    assert(!by_env_.count(env) && "two keys map to the same environment variable");
    const std::string section_name = spec.key.substr(0, spec.key.find('.'));
    if (!sections_.count(section_name)) sections_[section_name] = "";
    if (spec.default_value) {
        if (spec.type == SettingType::kInteger || spec.type == SettingType::kDuration ||
            spec.type == SettingType::kByteSize) {
            assert(spec.min <= spec.max);
            assert(spec.default_value->integer >= spec.min && spec.default_value->integer <= spec.max);
        } else if (spec.type != SettingType::kBool) {
            [[maybe_unused]] auto ok = check_text(spec, spec.default_value->text);
            assert(ok && "invalid default value");
        }
    }
    by_key_[spec.key] = specs_.size();
    by_env_[env] = specs_.size();
    specs_.push_back(std::move(spec));
    return specs_.back();
}

SettingSpec& SettingsSchema::add_string(std::string key, std::string default_value, std::string description) {
    SettingSpec s =
        make_spec(std::move(key), SettingType::kString, std::move(description), text_value(std::move(default_value)));
    return add(std::move(s));
}

SettingSpec& SettingsSchema::add_bool(std::string key, bool default_value, std::string description) {
    SettingValue v;
    v.boolean = default_value;
    return add(make_spec(std::move(key), SettingType::kBool, std::move(description), v));
}

SettingSpec& SettingsSchema::add_integer(std::string key, std::int64_t default_value, std::int64_t min,
                                         std::int64_t max, std::string description) {
    SettingValue v;
    v.integer = default_value;
    SettingSpec s = make_spec(std::move(key), SettingType::kInteger, std::move(description), v);
    s.min = min;
    s.max = max;
    return add(std::move(s));
}

SettingSpec& SettingsSchema::add_duration(std::string key, std::chrono::milliseconds default_value,
                                          std::chrono::milliseconds min, std::chrono::milliseconds max,
                                          std::string description) {
    SettingValue v;
    v.integer = default_value.count();
    SettingSpec s = make_spec(std::move(key), SettingType::kDuration, std::move(description), v);
    s.min = min.count();
    s.max = std::min<std::int64_t>(max.count(), kMaxExactMs);
    return add(std::move(s));
}

SettingSpec& SettingsSchema::add_byte_size(std::string key, std::uint64_t default_value, std::uint64_t min,
                                           std::uint64_t max, std::string description) {
    constexpr auto kLimit = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    assert(default_value <= kLimit && min <= kLimit && max <= kLimit);
    SettingValue v;
    v.integer = static_cast<std::int64_t>(default_value);
    SettingSpec s = make_spec(std::move(key), SettingType::kByteSize, std::move(description), v);
    s.min = static_cast<std::int64_t>(min);
    s.max = static_cast<std::int64_t>(max);
    return add(std::move(s));
}

SettingSpec& SettingsSchema::add_enum(std::string key, std::string default_value, std::vector<std::string> choices,
                                      std::string description) {
    SettingSpec s =
        make_spec(std::move(key), SettingType::kEnum, std::move(description), text_value(std::move(default_value)));
    s.choices = std::move(choices);
    return add(std::move(s));
}

SettingSpec& SettingsSchema::add_url(std::string key, std::string default_value, std::string description) {
    return add(
        make_spec(std::move(key), SettingType::kUrl, std::move(description), text_value(std::move(default_value))));
}

SettingSpec& SettingsSchema::add_address(std::string key, std::string default_value, std::string description) {
    return add(
        make_spec(std::move(key), SettingType::kAddress, std::move(description), text_value(std::move(default_value))));
}

SettingSpec& SettingsSchema::add_path(std::string key, std::string default_value, std::string description) {
    return add(
        make_spec(std::move(key), SettingType::kPath, std::move(description), text_value(std::move(default_value))));
}

const SettingSpec* SettingsSchema::find(std::string_view key) const {
    auto it = by_key_.find(key);
    return it == by_key_.end() ? nullptr : &specs_[it->second];
}

const SettingSpec* SettingsSchema::find_env(std::string_view name) const {
    auto it = by_env_.find(name);
    return it == by_env_.end() ? nullptr : &specs_[it->second];
}

bool SettingsSchema::is_object(std::string_view prefix) const {
    const std::string p = std::string(prefix) + ".";
    auto it = by_key_.lower_bound(p);
    return it != by_key_.end() && it->first.compare(0, p.size(), p) == 0;
}

Result<SettingValue> SettingsSchema::parse_text(const SettingSpec& spec, std::string_view text) const {
    switch (spec.type) {
        case SettingType::kBool: {
            if (text != "true" && text != "false") return make_error(rule_error(spec, quote(text)));
            SettingValue v;
            v.boolean = text == "true";
            return v;
        }
        case SettingType::kInteger: {
            const bool negative = !text.empty() && text[0] == '-';
            const auto digits = negative ? text.substr(1) : text;
            const auto n = parse_digits(digits, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()));
            if (!n || (negative && *n == 0)) return make_error(rule_error(spec, quote(text)));
            const auto value = negative ? -static_cast<std::int64_t>(*n) : static_cast<std::int64_t>(*n);
            return check_integer(spec, value, std::string(text));
        }
        case SettingType::kDuration: {
            auto d = parse_duration(text);
            if (!d) return make_error(rule_error(spec, quote(text)));
            return check_integer(spec, d->count(), quote(text));
        }
        case SettingType::kByteSize: {
            auto b = parse_byte_size(text);
            if (!b) return make_error(rule_error(spec, quote(text)));
            return check_integer(spec, static_cast<std::int64_t>(*b), quote(text));
        }
        default: return check_text(spec, text);
    }
}

Result<SettingValue> SettingsSchema::parse_json(const SettingSpec& spec, const json::value& value) const {
    switch (spec.type) {
        case SettingType::kBool: {
            if (!value.is_bool()) return make_error(rule_error(spec, json_kind(value)));
            SettingValue v;
            v.boolean = value.get_bool();
            return v;
        }
        case SettingType::kInteger: {
            if (value.is_int64()) return check_integer(spec, value.get_int64(), json::serialize(value));
            if (value.is_uint64()) return make_error(rule_error(spec, json::serialize(value)));
            return make_error(rule_error(spec, json_kind(value)));
        }
        case SettingType::kDuration:
        case SettingType::kByteSize: {
            if (!value.is_string()) return make_error(rule_error(spec, json_kind(value)));
            const auto& s = value.get_string();
            return parse_text(spec, std::string_view(s.data(), s.size()));
        }
        default: {
            if (!value.is_string()) return make_error(rule_error(spec, json_kind(value)));
            const auto& s = value.get_string();
            return check_text(spec, std::string_view(s.data(), s.size()));
        }
    }
}

namespace {

json::value to_json_value(const SettingSpec& spec, const SettingValue& v) {
    switch (spec.type) {
        case SettingType::kBool: return json::value(v.boolean);
        case SettingType::kInteger: return json::value(v.integer);
        case SettingType::kDuration: return json::value(format_duration(std::chrono::milliseconds(v.integer)));
        case SettingType::kByteSize: return json::value(format_byte_size(static_cast<std::uint64_t>(v.integer)));
        default: return json::value(v.text);
    }
}

void set_path(json::object& root, std::string_view key, json::value v) {
    json::object* obj = &root;
    std::size_t start = 0;
    while (true) {
        const auto dot = key.find('.', start);
        const auto part = key.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (dot == std::string_view::npos) {
            (*obj)[part] = std::move(v);
            return;
        }
        auto& child = (*obj)[part];
        if (!child.is_object()) child = json::object();
        obj = &child.as_object();
        start = dot + 1;
    }
}

void pretty(std::ostringstream& os, const json::value& v, int indent) {
    if (v.is_object()) {
        const auto& o = v.get_object();
        if (o.empty()) {
            os << "{}";
            return;
        }
        os << "{\n";
        std::size_t i = 0;
        for (const auto& kv : o) {
            os << std::string(static_cast<std::size_t>(indent + 2), ' ') << json::serialize(json::value(kv.key()))
               << ": ";
            pretty(os, kv.value(), indent + 2);
            os << (++i < o.size() ? ",\n" : "\n");
        }
        os << std::string(static_cast<std::size_t>(indent), ' ') << "}";
    } else {
        os << json::serialize(v);
    }
}

std::string pretty(const json::object& o) {
    std::ostringstream os;
    pretty(os, json::value(o), 0);
    os << "\n";
    return os.str();
}

}  // namespace

std::string SettingsSchema::sample_json() const {
    json::object root;
    for (const auto& spec : specs_) {
        json::value v = nullptr;
        if (spec.default_value && !spec.secret) v = to_json_value(spec, *spec.default_value);
        if (spec.default_value && spec.secret) v = "";
        set_path(root, spec.key, std::move(v));
    }
    return pretty(root);
}

std::string SettingsSchema::describe() const {
    std::ostringstream os;
    for (const auto& [name, description] : sections_) {
        os << "## " << name << "\n\n";
        if (!description.empty()) os << description << "\n\n";
        os << "| key | type | rule | default | environment | description |\n|---|---|---|---|---|---|\n";
        for (const auto& spec : specs_) {
            if (spec.key.compare(0, name.size() + 1, name + ".") != 0) continue;
            std::string def;
            if (spec.required) def = "(required)";
            else if (spec.secret) def = "<secret>";
            else if (spec.default_value) {
                def = "`";
                def += json::serialize(to_json_value(spec, *spec.default_value));
                def += "`";
            }
            os << "| `" << spec.key << "` | " << to_string(spec.type) << " | " << range_rule(spec) << " | " << def
               << " | `" << env_name(spec.key) << "` | " << spec.description << (spec.secret ? " (secret)" : "")
               << " |\n";
        }
        os << "\n";
    }
    return os.str();
}

// ---------------------------------------------------------------------------------------------------------------
// Strict config JSON: duplicate keys and depth are checked by a first pass with a basic_parser handler.

namespace {

struct StrictHandler {
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = 1024;

    struct Frame {
        bool is_object{false};
        std::string name;  // path of this container
        std::set<std::string, std::less<>> keys;
    };
    std::vector<Frame> stack;
    std::string key_buf;
    std::string pending_key;  // the key whose value comes next
    std::string problem;

    std::string child_path() const {
        if (stack.empty()) return "";
        const auto& top = stack.back();
        if (!top.is_object) return top.name + "[]";
        return top.name.empty() ? pending_key : top.name + "." + pending_key;
    }
    bool fail(json::error_code& ec, std::string message) {
        problem = std::move(message);
        ec = json::error::syntax;
        return false;
    }
    bool open(bool is_object, json::error_code& ec) {
        if (stack.size() >= kMaxConfigDepth) {
            return fail(ec, "nesting deeper than " + std::to_string(kMaxConfigDepth) + " at " + child_path());
        }
        if (stack.empty() && !is_object) return fail(ec, "the top level must be a JSON object");
        stack.push_back(Frame{is_object, child_path(), {}});
        return true;
    }
    bool scalar(json::error_code& ec) {
        if (stack.empty()) return fail(ec, "the top level must be a JSON object");
        return true;
    }
    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code& ec) { return open(true, ec); }
    bool on_object_end(std::size_t, json::error_code&) {
        stack.pop_back();
        return true;
    }
    bool on_array_begin(json::error_code& ec) { return open(false, ec); }
    bool on_array_end(std::size_t, json::error_code&) {
        stack.pop_back();
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_buf.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code& ec) {
        key_buf.append(s.data(), s.size());
        pending_key = std::move(key_buf);
        key_buf.clear();
        auto& frame = stack.back();
        if (!frame.keys.insert(pending_key).second) {
            return fail(ec, "duplicate key " + quote(pending_key) + " in " +
                                (frame.name.empty() ? "the top level" : frame.name));
        }
        return true;
    }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code& ec) { return scalar(ec); }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code& ec) { return scalar(ec); }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code& ec) { return scalar(ec); }
    bool on_double(double, json::string_view, json::error_code& ec) { return scalar(ec); }
    bool on_bool(bool, json::error_code& ec) { return scalar(ec); }
    bool on_null(json::error_code& ec) { return scalar(ec); }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace

Result<json::object> parse_config_json(std::string_view text) {
    if (text.size() > kMaxConfigBytes) {
        return make_error(Errc::kDecoding, "larger than " + format_byte_size(kMaxConfigBytes));
    }
    json::basic_parser<StrictHandler> parser(json::parse_options{});
    json::error_code ec;
    const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
    if (ec) {
        if (!parser.handler().problem.empty()) return make_error(Errc::kDecoding, parser.handler().problem);
        return make_error(Errc::kDecoding, "invalid JSON at offset " + std::to_string(used) + ": " + ec.message());
    }
    json::value v = json::parse(text, ec);
    if (ec || !v.is_object()) return make_error(Errc::kDecoding, "invalid JSON: " + ec.message());
    return std::move(v.as_object());
}

// ---------------------------------------------------------------------------------------------------------------
// Loading

std::string SettingOrigin::to_string() const {
    switch (kind) {
        case Kind::kDefault: return "default";
        case Kind::kFile: return "file " + detail;
        case Kind::kEnvironment: return "environment " + detail;
        case Kind::kFlag: return "flag " + detail;
    }
    return "?";
}

std::vector<std::pair<std::string, std::string>> process_environment() {
    std::vector<std::pair<std::string, std::string>> out;
    for (char** e = environ; e && *e; ++e) {
        std::string_view entry(*e);
        if (entry.rfind("WP_", 0) != 0) continue;
        const auto eq = entry.find('=');
        if (eq == std::string_view::npos) continue;
        out.emplace_back(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
    }
    return out;
}

namespace {

struct Loader {
    const SettingsSchema& schema;
    std::map<std::string, std::pair<SettingValue, SettingOrigin>, std::less<>>& values;
    std::vector<std::string>& errors;
    //! Keys some layer set to an invalid value: already reported, so not "required" as well.
    std::set<std::string, std::less<>> invalid{};

    void error(std::string message, const SettingOrigin& origin) {
        errors.push_back(std::move(message) + " (" + origin.to_string() + ")");
    }

    void walk(const json::object& obj, const std::string& prefix, const SettingOrigin& origin) {
        for (const auto& kv : obj) {
            const std::string name(kv.key().data(), kv.key().size());
            const std::string key = prefix.empty() ? name : prefix + "." + name;
            if (const auto* spec = schema.find(key)) {
                if (auto v = schema.parse_json(*spec, kv.value())) {
                    values[key] = {std::move(*v), origin};
                } else {
                    invalid.insert(key);
                    error(v.error().message, origin);
                }
            } else if (schema.is_object(key)) {
                if (!kv.value().is_object()) {
                    error(key + ": must be an object, got " + json_kind(kv.value()), origin);
                } else {
                    walk(kv.value().get_object(), key, origin);
                }
            } else if (prefix.empty()) {
                error("config: unknown section " + quote(name), origin);
            } else {
                error(prefix + ": unknown key " + quote(name), origin);
            }
        }
    }
};

}  // namespace

Result<Settings> Settings::load(const SettingsSchema& schema, const SettingsSources& sources) {
    std::map<std::string, std::pair<SettingValue, SettingOrigin>, std::less<>> values;
    std::vector<std::string> errors;
    Loader loader{schema, values, errors};

    for (const auto& spec : schema.specs()) {
        if (spec.default_value) values[spec.key] = {*spec.default_value, SettingOrigin{}};
    }

    // 2. config file / text
    std::optional<std::string> text;
    SettingOrigin file_origin{SettingOrigin::Kind::kFile, sources.config_name};
    if (sources.config_file) {
        std::ifstream in(*sources.config_file, std::ios::binary);
        if (!in) return make_error(Errc::kIo, "config file " + *sources.config_file + ": cannot be read");
        std::string content;
        char buf[8192];
        while (in.read(buf, sizeof buf) || in.gcount() > 0) {
            content.append(buf, static_cast<std::size_t>(in.gcount()));
            if (content.size() > kMaxConfigBytes) break;
        }
        text = std::move(content);
        file_origin.detail = *sources.config_file;
    } else if (sources.config_text) {
        text = *sources.config_text;
    }
    if (text) {
        auto obj = parse_config_json(*text);
        if (!obj) {
            return make_error(Errc::kInvalidArgument, file_origin.detail + ": " + obj.error().message);
        }
        loader.walk(*obj, "", file_origin);
    }

    // 3. environment
    for (const auto& [name, value] : sources.environment) {
        const SettingOrigin origin{SettingOrigin::Kind::kEnvironment, name};
        if (const auto* spec = schema.find_env(name)) {
            if (auto v = schema.parse_text(*spec, value)) {
                values[spec->key] = {std::move(*v), origin};
            } else {
                loader.invalid.insert(spec->key);
                loader.error(v.error().message, origin);
            }
            continue;
        }
        for (const auto& [section, description] : schema.sections()) {
            const std::string prefix = env_name(section) + "_";
            if (name.rfind(prefix, 0) == 0) {
                loader.error(name + ": unknown setting in section " + quote(section), origin);
                break;
            }
        }
    }

    // 4. assignments
    for (const auto& [assignment, origin_text] : sources.assignments) {
        const SettingOrigin origin{SettingOrigin::Kind::kFlag,
                                   origin_text.empty() ? "--set " + assignment : origin_text};
        const auto eq = assignment.find('=');
        if (eq == std::string::npos) {
            loader.error("--set " + quote(assignment) + ": expected key=value", origin);
            continue;
        }
        const std::string key = assignment.substr(0, eq);
        const auto* spec = schema.find(key);
        if (!spec) {
            loader.error(key + ": unknown key", origin);
            continue;
        }
        if (auto v = schema.parse_text(*spec, std::string_view(assignment).substr(eq + 1))) {
            values[key] = {std::move(*v), origin};
        } else {
            loader.invalid.insert(key);
            loader.error(v.error().message, origin);
        }
    }

    // required keys (a key given an invalid value is reported once, by that error)
    for (const auto& spec : schema.specs()) {
        if (!values.count(spec.key) && !loader.invalid.count(spec.key)) {
            errors.push_back(spec.key + ": required, set it in the config file, with " + env_name(spec.key) +
                             " or with --set " + spec.key + "=...");
        }
    }
    if (!errors.empty()) {
        std::string message;
        for (std::size_t i = 0; i < errors.size(); ++i) message += (i ? "\n" : "") + errors[i];
        return make_error(Errc::kInvalidArgument, std::move(message));
    }

    Settings settings;
    settings.schema_ = &schema;
    for (auto& [key, vo] : values) {
        settings.entries_[key] = Entry{schema.find(key), std::move(vo.first), std::move(vo.second)};
    }
    return settings;
}

const Settings::Entry& Settings::entry(std::string_view key, std::initializer_list<SettingType> types) const {
    auto it = entries_.find(key);
    assert(it != entries_.end() && "unknown setting key");
    [[maybe_unused]] const bool type_ok = std::find(types.begin(), types.end(), it->second.spec->type) != types.end();
    assert(type_ok && "setting read with the wrong type");
    return it->second;
}

const std::string& Settings::get_string(std::string_view key) const {
    return entry(key, {SettingType::kString, SettingType::kEnum, SettingType::kUrl, SettingType::kAddress,
                       SettingType::kPath})
        .value.text;
}

bool Settings::get_bool(std::string_view key) const { return entry(key, {SettingType::kBool}).value.boolean; }

std::int64_t Settings::get_integer(std::string_view key) const {
    return entry(key, {SettingType::kInteger}).value.integer;
}

std::chrono::milliseconds Settings::get_duration(std::string_view key) const {
    return std::chrono::milliseconds(entry(key, {SettingType::kDuration}).value.integer);
}

std::uint64_t Settings::get_byte_size(std::string_view key) const {
    return static_cast<std::uint64_t>(entry(key, {SettingType::kByteSize}).value.integer);
}

Address Settings::get_address(std::string_view key) const {
    auto a = Address::parse(entry(key, {SettingType::kAddress}).value.text);
    assert(a && "address setting is empty");
    return *a;
}

const SettingOrigin& Settings::origin(std::string_view key) const {
    auto it = entries_.find(key);
    assert(it != entries_.end() && "unknown setting key");
    return it->second.origin;
}

std::string Settings::to_json(bool reveal_secrets) const {
    json::object root;
    for (const auto& [key, e] : entries_) {
        if (e.spec->secret && !reveal_secrets) {
            set_path(root, key, json::value("<secret>"));
        } else {
            set_path(root, key, to_json_value(*e.spec, e.value));
        }
    }
    return pretty(root);
}

std::vector<std::string> Settings::secret_values() const {
    std::vector<std::string> out;
    for (const auto& [key, e] : entries_) {
        if (e.spec->secret && !e.value.text.empty()) out.push_back(e.value.text);
    }
    return out;
}

std::vector<std::pair<std::string, std::string>> Settings::secret_entries() const {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [key, e] : entries_) {
        if (e.spec->secret && !e.value.text.empty()) out.emplace_back(key, e.value.text);
    }
    return out;
}

}  // namespace wp::service
