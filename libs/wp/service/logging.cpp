#include "logging.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <vector>

#include <spdlog/formatter.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace wp::service {

namespace {

constexpr std::string_view kRedacted = "<redacted>";
constexpr std::size_t kMinSecretLength = 8;

// Registered secret values (lower-cased for case-insensitive matching).
std::shared_mutex g_secrets_mutex;
std::vector<std::string> g_secrets;

// The structured fields of the line being logged by log() on this thread (read by the formatter, which runs
// synchronously in the logging thread).
thread_local std::span<const LogField> t_fields;

char lower(char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); }

spdlog::level::level_enum to_spdlog(LogLevel level) {
    switch (level) {
        case LogLevel::kTrace: return spdlog::level::trace;
        case LogLevel::kDebug: return spdlog::level::debug;
        case LogLevel::kInfo: return spdlog::level::info;
        case LogLevel::kWarn: return spdlog::level::warn;
        case LogLevel::kError: return spdlog::level::err;
        case LogLevel::kCritical: return spdlog::level::critical;
        case LogLevel::kOff: return spdlog::level::off;
    }
    return spdlog::level::info;
}

const char* level_name(spdlog::level::level_enum level) {
    switch (level) {
        case spdlog::level::trace: return "trace";
        case spdlog::level::debug: return "debug";
        case spdlog::level::info: return "info";
        case spdlog::level::warn: return "warn";
        case spdlog::level::err: return "error";
        case spdlog::level::critical: return "critical";
        default: return "off";
    }
}

void append_json_string(std::string& out, std::string_view s) {
    out += '"';
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (u < 0x20 || u == 0x7f) {
                    static const char* kHex = "0123456789abcdef";
                    out += "\\u00";
                    out += kHex[u >> 4];
                    out += kHex[u & 0xf];
                } else {
                    out += c;
                }
        }
    }
    out += '"';
}

bool needs_quotes(std::string_view s) {
    if (s.empty()) return true;
    return std::any_of(s.begin(), s.end(), [](char c) {
        const auto u = static_cast<unsigned char>(c);
        return u <= 0x20 || u == 0x7f || c == '"' || c == '=' || c == '\\';
    });
}

std::string timestamp(spdlog::log_clock::time_point t) {
    const auto since = t.time_since_epoch();
    const auto secs = std::chrono::duration_cast<std::chrono::seconds>(since);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(since - secs).count();
    const std::time_t tt = static_cast<std::time_t>(secs.count());
    std::tm tm{};
    gmtime_r(&tt, &tm);
    char buf[96];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(ms));
    return buf;
}

class LineFormatter final : public spdlog::formatter {
  public:
    explicit LineFormatter(LogFormat format) : format_(format) {}

    void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
        const std::string message = redact(std::string_view(msg.payload.data(), msg.payload.size()));
        std::string line;
        if (format_ == LogFormat::kJson) {
            line = "{\"ts\":\"" + timestamp(msg.time) + "\",\"level\":\"" + level_name(msg.level) + "\",\"msg\":";
            append_json_string(line, message);
            for (const auto& f : t_fields) {
                if (f.key == "ts" || f.key == "level" || f.key == "msg") continue;
                line += ',';
                append_json_string(line, f.key);
                line += ':';
                append_json_string(line, field_value(f));
            }
            line += "}\n";
        } else {
            line = timestamp(msg.time) + " " + level_name(msg.level) + " " + message;
            for (const auto& f : t_fields) {
                line += ' ';
                line.append(f.key.data(), f.key.size());
                line += '=';
                const std::string v = field_value(f);
                if (needs_quotes(v)) {
                    append_json_string(line, v);
                } else {
                    line += v;
                }
            }
            line += '\n';
        }
        dest.append(line.data(), line.data() + line.size());
    }

    std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<LineFormatter>(format_); }

  private:
    static std::string field_value(const LogField& f) {
        if (is_secret_field_name(f.key)) return std::string(kRedacted);
        return redact(f.value);
    }
    LogFormat format_;
};

std::shared_ptr<spdlog::logger> make_logger(spdlog::sink_ptr sink, const LogOptions& options) {
    auto logger = std::make_shared<spdlog::logger>("wp", std::move(sink));
    logger->set_formatter(std::make_unique<LineFormatter>(options.format));
    logger->set_level(to_spdlog(options.level));
    logger->flush_on(spdlog::level::warn);
    return logger;
}

std::once_flag g_default_once;

void ensure_default_logger() {
    std::call_once(g_default_once, [] {
        // Replace spdlog's colourful default with our format (unless setup_logging ran first).
        if (spdlog::default_logger_raw() && spdlog::default_logger_raw()->name() == "wp") return;
        spdlog::set_default_logger(make_logger(std::make_shared<spdlog::sinks::stderr_sink_mt>(), LogOptions{}));
    });
}

}  // namespace

const char* to_string(LogLevel level) noexcept {
    switch (level) {
        case LogLevel::kTrace: return "trace";
        case LogLevel::kDebug: return "debug";
        case LogLevel::kInfo: return "info";
        case LogLevel::kWarn: return "warn";
        case LogLevel::kError: return "error";
        case LogLevel::kCritical: return "critical";
        case LogLevel::kOff: return "off";
    }
    return "?";
}

Result<LogLevel> parse_log_level(std::string_view text) {
    for (auto level : {LogLevel::kTrace, LogLevel::kDebug, LogLevel::kInfo, LogLevel::kWarn, LogLevel::kError,
                       LogLevel::kCritical, LogLevel::kOff}) {
        if (text == to_string(level)) return level;
    }
    return make_error(Errc::kInvalidArgument, "log level '" + std::string(text.substr(0, 40)) +
                                                  "': must be one of trace, debug, info, warn, error, critical, off");
}

Result<void> setup_logging(const LogOptions& options) {
    spdlog::sink_ptr sink;
    if (options.file.empty()) {
        sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
    } else {
        const int fd = ::open(options.file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
        if (fd < 0) {
            return make_error(Errc::kIo, "log file " + options.file + ": " + std::strerror(errno));
        }
        ::close(fd);
        try {
            sink = std::make_shared<spdlog::sinks::basic_file_sink_mt>(options.file, false);
        } catch (const spdlog::spdlog_ex& e) {
            return make_error(Errc::kIo, "log file " + options.file + ": " + e.what());
        }
    }
    std::call_once(g_default_once, [] {});
    spdlog::set_default_logger(make_logger(std::move(sink), options));
    return {};
}

void flush_logs() { spdlog::default_logger_raw()->flush(); }

void set_log_level(LogLevel level) {
    ensure_default_logger();
    spdlog::default_logger_raw()->set_level(to_spdlog(level));
}

void log(LogLevel level, std::string_view message, std::span<const LogField> fields) {
    ensure_default_logger();
    auto* logger = spdlog::default_logger_raw();
    const auto lvl = to_spdlog(level);
    if (!logger->should_log(lvl)) return;
    t_fields = fields;
    logger->log(lvl, spdlog::string_view_t(message.data(), message.size()));
    t_fields = {};
}

bool is_secret_field_name(std::string_view name) {
    std::string n;
    for (char c : name) {
        if (c == '_' || c == '-' || c == '.' || c == ' ') continue;
        n += lower(c);
    }
    static constexpr std::string_view kWords[] = {"privatekey", "privkey",  "password",      "passwd",     "passphrase",
                                                  "secret",     "mnemonic", "authorization", "apikey",     "credential",
                                                  "cookie",     "bearer",   "seedphrase",    "signingkey", "hmackey"};
    for (auto w : kWords) {
        if (n.find(w) != std::string::npos) return true;
    }
    return n.size() >= 5 && n.compare(n.size() - 5, 5, "token") == 0;
}

Result<void> register_secret(std::string_view value) {
    if (value.size() < kMinSecretLength) {
        return make_error(Errc::kInvalidArgument, "register_secret: a secret must have at least " +
                                                      std::to_string(kMinSecretLength) + " characters");
    }
    std::string v;
    for (char c : value) v += lower(c);
    std::unique_lock lock(g_secrets_mutex);
    auto add = [](std::string s) {
        if (std::find(g_secrets.begin(), g_secrets.end(), s) == g_secrets.end()) g_secrets.push_back(std::move(s));
    };
    if (v.size() > 2 + kMinSecretLength && v[0] == '0' && v[1] == 'x') add(v.substr(2));
    add(std::move(v));
    // Longest first, so a secret containing another is masked whole.
    std::sort(g_secrets.begin(), g_secrets.end(), [](const auto& a, const auto& b) { return a.size() > b.size(); });
    return {};
}

void clear_registered_secrets() {
    std::unique_lock lock(g_secrets_mutex);
    g_secrets.clear();
}

std::string redact(std::string_view text) {
    std::shared_lock lock(g_secrets_mutex);
    if (g_secrets.empty()) return std::string(text);
    std::string lowered;
    lowered.reserve(text.size());
    for (char c : text) lowered += lower(c);
    // mask[i] = true when text[i] belongs to a secret occurrence
    std::vector<bool> mask(text.size(), false);
    bool any = false;
    for (const auto& s : g_secrets) {
        for (auto pos = lowered.find(s); pos != std::string::npos; pos = lowered.find(s, pos + 1)) {
            std::fill(mask.begin() + static_cast<std::ptrdiff_t>(pos),
                      mask.begin() + static_cast<std::ptrdiff_t>(pos + s.size()), true);
            any = true;
        }
    }
    if (!any) return std::string(text);
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (!mask[i]) {
            out += text[i];
        } else if (i == 0 || !mask[i - 1]) {
            out += kRedacted;
        }
    }
    return out;
}

}  // namespace wp::service
