#pragma once
// Logging of the daemons: one setup function over spdlog, structured key/value fields, and redaction.
//
// - setup_logging() installs the process-wide logger: a level, text or JSON-lines format, to stderr or to a file
//   (appended). Every line carries an ISO 8601 UTC timestamp with milliseconds and the level:
//     text: 2026-12-05T06:00:00.123Z info deal initialized dealid=0xab.. tasks=3 note="two words"
//     json: {"ts":"2026-12-05T06:00:00.123Z","level":"info","msg":"deal initialized","dealid":"0xab..","tasks":"3"}
//   Until setup_logging() is called, lines go to stderr in the text format at level info.
// - Fields are (key, value) strings; in text form a value with spaces, quotes, '=' or control characters is
//   quoted with JSON escapes.
// - Redaction, applied to every line, including lines logged through spdlog directly:
//     1. a field whose name looks secret (is_secret_field_name: private key, password, passphrase, secret,
//        mnemonic, authorization, api key, credential, cookie, or a name ending in "token") has its value replaced
//        by "<redacted>";
//     2. every registered secret value (register_secret: a loaded private key's hex, a bearer token, a password
//        from the settings) is replaced by "<redacted>" wherever it appears in the message or in a field value,
//        compared case-insensitively; a value registered with a 0x prefix is also masked without it.
//   Secrets shorter than 8 characters are refused by register_secret (they would mask ordinary words).
//
// Thread safety: all functions may be called from any thread; setup_logging() should be called once, early in
// main, before other threads log.

#include <initializer_list>
#include <span>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>

namespace wp::service {

enum class LogLevel { kTrace, kDebug, kInfo, kWarn, kError, kCritical, kOff };
enum class LogFormat { kText, kJson };

//! "trace", "debug", "info", "warn", "error", "critical", "off".
const char* to_string(LogLevel level) noexcept;
//! Inverse of to_string (exact lower-case names); Errc::kInvalidArgument "log level 'x': must be one of ...".
Result<LogLevel> parse_log_level(std::string_view text);

struct LogOptions {
    LogLevel level{LogLevel::kInfo};
    LogFormat format{LogFormat::kText};
    std::string file;  //!< "" = stderr; otherwise appended to (created 0640 if missing)
};

//! Installs the process-wide logger (replacing the previous one). Errc::kIo if the file cannot be opened.
Result<void> setup_logging(const LogOptions& options);
//! Flushes the current logger's sinks.
void flush_logs();
//! Changes the level of the current logger at run time.
void set_log_level(LogLevel level);

struct LogField {
    std::string_view key;
    std::string value;
};

//! Logs one line with structured fields (redacted as described above).
void log(LogLevel level, std::string_view message, std::span<const LogField> fields = {});
inline void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    log(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}
inline void log_debug(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kDebug, message, fields);
}
inline void log_info(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kInfo, message, fields);
}
inline void log_warn(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kWarn, message, fields);
}
inline void log_error(std::string_view message, std::initializer_list<LogField> fields = {}) {
    log(LogLevel::kError, message, fields);
}

//! True if the field name looks like it holds a secret (see the file comment). Case and separators
//! ('_', '-', '.') are ignored: "privateKey", "PRIVATE_KEY", "wallet.password", "accessToken".
bool is_secret_field_name(std::string_view name);

//! Registers a secret value to mask in every later line. Errc::kInvalidArgument if shorter than 8 characters.
Result<void> register_secret(std::string_view value);
//! Forgets every registered secret (tests).
void clear_registered_secrets();
//! `text` with every registered secret replaced by "<redacted>".
std::string redact(std::string_view text);

}  // namespace wp::service
