#pragma once
// Settings: the one configuration format of every daemon (market, core scheduler, worker, `iexec-pool up`).
//
// A daemon declares a typed SettingsSchema (userver style: every key has a type, a default and a
// description; sections are the first component of the key), then loads its Settings from four layers,
// each overriding the previous one:
//
//   1. the schema defaults;
//   2. the JSON config file (`--config FILE`): nested objects, e.g. {"core": {"listen": {"port": 7000}}};
//   3. environment variables: WP_ + the key in upper case, '.' and camelCase humps becoming '_':
//        core.listen.port -> WP_CORE_LISTEN_PORT,  market.limits.pageSize -> WP_MARKET_LIMITS_PAGE_SIZE.
//      Only variables starting with WP_<SECTION>_ for a section of the schema are read; an unknown one of
//      those is an error (a typo must not be silently ignored); other WP_ variables belong to other daemons;
//   4. command-line assignments (`--set key=value`, and the daemon's own flags mapped to keys).
//
// Value types and their text forms (environment and flags use the text form; the JSON file uses the JSON
// type given here):
//
//   type       JSON            text / rule
//   string     string          as is
//   bool       true / false    "true" / "false"
//   integer    integer number  decimal, optional '-'; within [min, max]
//   duration   string          <digits><unit>, unit ms | s | m | h: "250ms", "5s", "2m", "1h"; within [min, max]
//   bytes      string          <digits><unit>, unit B | KiB | MiB | GiB: "512B", "64KiB", "1MiB"; within [min, max]
//   enum       string          one of the declared choices
//   url        string          an absolute http(s) URL (wp::net::parse_url rules)
//   address    string          0x + 40 hex digits, EIP-55 checked when mixed case (wp::Address::parse)
//   path       string          a non-empty file system path without NUL or control characters
//   (every text value, whatever its layer, must be valid UTF-8, as JSON text is)
//
// Strictness: unknown keys, wrong JSON types, out-of-range values, malformed text, duplicate JSON keys,
// a config file that is not one JSON object, nesting deeper than 16 or a file above 1 MiB are errors. Every
// message names the key and the rule, plus where the value came from:
//   "core.listen.port: must be an integer between 1 and 65535, got 70000 (file core.json)"
//   "market.limits: unknown key 'pageSzie' (file market.json)"
// Loading reports every error it finds, one per line.
//
// A key may be `secret` (its value is never printed: to_json() and describe() show "<secret>"; Settings can
// register secret values with the log redactor) or `required` (no default; loading fails when no layer sets it).
//
// Thread safety: a SettingsSchema is built once, then only read; a loaded Settings is immutable, so both may
// be shared between threads.

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>

namespace wp::service {

enum class SettingType { kString, kBool, kInteger, kDuration, kByteSize, kEnum, kUrl, kAddress, kPath };

//! "string", "bool", "integer", "duration", "bytes", "enum", "url", "address", "path".
const char* to_string(SettingType type) noexcept;

//! One typed value. Only the member matching the type is meaningful: `text` for string, enum, url, address and
//! path; `boolean`; `integer` for integer, duration (milliseconds) and bytes (byte count).
struct SettingValue {
    std::string text;
    bool boolean{false};
    std::int64_t integer{0};

    friend bool operator==(const SettingValue&, const SettingValue&) = default;
};

//! The declaration of one key.
struct SettingSpec {
    std::string key;  //!< dotted path "section.group.name"; each part [A-Za-z][A-Za-z0-9]* (camelCase)
    SettingType type{SettingType::kString};
    std::string description;
    std::optional<SettingValue> default_value;  //!< nullopt: required
    std::int64_t min{0};                        //!< integer / duration (ms) / bytes
    std::int64_t max{0};
    std::vector<std::string> choices;  //!< enum
    bool secret{false};
    bool required{false};

    //! Marks the key secret (never printed) and returns *this for chaining.
    SettingSpec& set_secret() {
        secret = true;
        return *this;
    }
    //! Removes the default: some layer must set the key.
    SettingSpec& set_required() {
        required = true;
        default_value.reset();
        return *this;
    }
};

//! The environment variable of a key: "WP_" + upper-case key, '.' and lower→upper case humps becoming '_'.
std::string env_name(std::string_view key);

//! Parses a duration text ("250ms", "5s", "2m", "1h") into milliseconds; Errc::kInvalidArgument otherwise
//! (no sign, no spaces, no fraction, no leading zeros except "0", at most 2^53 ms).
Result<std::chrono::milliseconds> parse_duration(std::string_view text);
//! "250ms", "5s", "2m", "1h": the largest unit that divides the value exactly.
std::string format_duration(std::chrono::milliseconds value);
//! Parses a byte size ("512B", "64KiB", "1MiB", "2GiB"); Errc::kInvalidArgument otherwise (same digit rules).
Result<std::uint64_t> parse_byte_size(std::string_view text);
//! "512B", "64KiB", "1MiB": the largest unit that divides the value exactly.
std::string format_byte_size(std::uint64_t bytes);

//! The typed keys of one daemon. Builders assert on programmer errors (malformed or duplicate key, a key that
//! is also the parent of another key, a default outside its range, two keys with the same env name).
class SettingsSchema {
  public:
    //! Declares a section (the first part of the keys) with its description (for describe()).
    SettingsSchema& section(std::string name, std::string description);

    SettingSpec& add_string(std::string key, std::string default_value, std::string description);
    SettingSpec& add_bool(std::string key, bool default_value, std::string description);
    SettingSpec& add_integer(std::string key, std::int64_t default_value, std::int64_t min, std::int64_t max,
                             std::string description);
    SettingSpec& add_duration(std::string key, std::chrono::milliseconds default_value, std::chrono::milliseconds min,
                              std::chrono::milliseconds max, std::string description);
    SettingSpec& add_byte_size(std::string key, std::uint64_t default_value, std::uint64_t min, std::uint64_t max,
                               std::string description);
    SettingSpec& add_enum(std::string key, std::string default_value, std::vector<std::string> choices,
                          std::string description);
    //! default "" means "no URL" is a valid value only when the key is later marked required (no default).
    SettingSpec& add_url(std::string key, std::string default_value, std::string description);
    SettingSpec& add_address(std::string key, std::string default_value, std::string description);
    SettingSpec& add_path(std::string key, std::string default_value, std::string description);

    //! The spec of a key, or nullptr.
    const SettingSpec* find(std::string_view key) const;
    //! The spec whose env_name() is `name`, or nullptr.
    const SettingSpec* find_env(std::string_view name) const;
    //! True if `prefix` is a proper ancestor object of some key ("core", "core.listen").
    bool is_object(std::string_view prefix) const;
    const std::deque<SettingSpec>& specs() const { return specs_; }
    const std::map<std::string, std::string, std::less<>>& sections() const { return sections_; }

    //! Validates one value of the key's type given as text (env / flag form). Errors name the key and the rule.
    Result<SettingValue> parse_text(const SettingSpec& spec, std::string_view text) const;
    //! Validates one JSON value of the key's type.
    Result<SettingValue> parse_json(const SettingSpec& spec, const boost::json::value& value) const;

    //! A sample config: every key at its default, as nested JSON (pretty-printed, secrets "" / required keys
    //! null). Loading it back with the required keys filled in gives the defaults.
    std::string sample_json() const;
    //! A Markdown reference: per section, a table of key, type, rule, default, environment variable and
    //! description (secret and required keys flagged).
    std::string describe() const;

  private:
    SettingSpec& add(SettingSpec spec);

    std::deque<SettingSpec> specs_;
    std::map<std::string, std::size_t, std::less<>> by_key_;
    std::map<std::string, std::size_t, std::less<>> by_env_;
    std::map<std::string, std::string, std::less<>> sections_;
};

//! Where a value came from (for messages and print-config).
struct SettingOrigin {
    enum class Kind { kDefault, kFile, kEnvironment, kFlag } kind{Kind::kDefault};
    std::string detail;  //!< file path / variable name / flag text

    //! "default", "file core.json", "environment WP_CORE_LISTEN_PORT", "flag --set core.listen.port=1".
    std::string to_string() const;
};

//! The inputs of one load (all optional; env is passed explicitly so tests control it).
struct SettingsSources {
    std::optional<std::string> config_file;                        //!< path of the JSON file
    std::optional<std::string> config_text;                        //!< JSON text (instead of a file; tests, fuzzing)
    std::string config_name{"config"};                             //!< how config_text is named in messages
    std::vector<std::pair<std::string, std::string>> environment;  //!< NAME, VALUE
    //! "key=value" assignments in order (later wins); `origin` text per entry defaults to "--set key=value".
    std::vector<std::pair<std::string, std::string>> assignments;  //!< (assignment, origin text)
};

//! The process environment as (name, value) pairs, restricted to names starting with "WP_".
std::vector<std::pair<std::string, std::string>> process_environment();

//! The loaded values of a schema. The schema must outlive the Settings (they point to its specs).
class Settings {
  public:
    //! Loads the layers (see the file comment). Errc::kInvalidArgument with every problem, one per line;
    //! Errc::kIo when the config file cannot be read.
    static Result<Settings> load(const SettingsSchema& schema, const SettingsSources& sources);

    // Typed getters. The key must be declared with that type (asserted: a programmer error).
    const std::string& get_string(std::string_view key) const;  //!< string, enum, url, address, path
    bool get_bool(std::string_view key) const;
    std::int64_t get_integer(std::string_view key) const;
    std::chrono::milliseconds get_duration(std::string_view key) const;
    std::uint64_t get_byte_size(std::string_view key) const;
    Address get_address(std::string_view key) const;  //!< asserts the value is not empty

    const SettingOrigin& origin(std::string_view key) const;

    //! The effective settings as nested JSON (pretty-printed); secret values appear as "<secret>" unless
    //! reveal_secrets (never log that form).
    std::string to_json(bool reveal_secrets = false) const;
    //! Non-empty values of the secret keys (to register with the log redactor).
    std::vector<std::string> secret_values() const;
    //! (key, value) of the secret keys with a non-empty value.
    std::vector<std::pair<std::string, std::string>> secret_entries() const;

  private:
    struct Entry {
        const SettingSpec* spec{nullptr};
        SettingValue value;
        SettingOrigin origin;
    };
    const Entry& entry(std::string_view key, std::initializer_list<SettingType> types) const;

    const SettingsSchema* schema_{nullptr};
    std::map<std::string, Entry, std::less<>> entries_;
};

//! Limits of the config file reader.
inline constexpr std::size_t kMaxConfigBytes = std::size_t{1} << 20;
inline constexpr std::size_t kMaxConfigDepth = 16;

//! Parses JSON text strictly for configuration: one object at the top, no duplicate keys at any level, at most
//! kMaxConfigDepth nesting, at most kMaxConfigBytes. Errc::kDecoding naming the problem ("duplicate key
//! 'port' in core.listen", "line 3: syntax error").
Result<boost::json::object> parse_config_json(std::string_view text);

}  // namespace wp::service
