#pragma once
// Output conventions of the `iexec` CLI, following the iExec SDK 9.0.1 (sdk-cli-and-market.md §1):
// - human mode: results on stdout (a plain value, or a message with its object rendered as aligned, YAML-like
//   `key: value` lines, nested objects indented by two spaces, like the SDK's prettyjson); progress lines on stderr
//   prefixed ℹ (info), ⚠ (warning), ✔ (success) and ✖ (failure). Colours and the spinner only when the stream is a
//   terminal (Printer::tty). Difference from the SDK: its spinner library writes everything to stderr; we write
//   the result on stdout so it can be piped.
// - --raw: nothing but ONE line of JSON: success on stdout `{"ok":true, ...payload}`, failure on stderr
//   `{"ok":false,"command":"iexec <group> <cmd>","error":{"name":"Error","message":...}}`; info, warnings and the
//   spinner are suppressed.
// - exit codes: 0 on success, 1 on failure; multi-order commands that partly failed print
//   `{"ok":false, ...successful parts, "fail":[...]}` on stderr and exit 0, as the SDK does (partial_failure).
// - human-mode errors: two blank lines, then `✖ Command "iexec wallet show" failed with Error: <message>`.
// Printer is not thread-safe (one per invocation).

#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include <wp/core/result.hpp>

namespace wp::cli {

//! What a command produced: the JSON payload (raw mode) and its human rendering.
struct Reply {
    boost::json::object payload;
    std::string human;  //!< printed as is on stdout (a trailing newline is added); empty: render_human(payload)
};

//! Renders an object as aligned `key: value` lines: strings unquoted, numbers and booleans as JSON, nested
//! objects on the following lines indented by two spaces (an empty object: nothing after the key), arrays as
//! `- item` lines. No trailing newline.
std::string render_human(const boost::json::object& payload);

//! Where and how a command prints.
struct Printer {
    bool raw{false};
    std::ostream* out;
    std::ostream* err;
    bool tty{false};  //!< stderr is a terminal: colours and the spinner

    //! Prints a success and returns exit code 0.
    int success(const Reply& reply) const;
    //! Prints a failure of `command` (e.g. "iexec utils keccak256") and returns exit code 1.
    int failure(const std::string& command, const Error& error) const;
    //! The SDK's multi-order partial failure: raw `{"ok":false, ...payload, "fail":[...]}` on stderr; human the
    //! successful parts (human_ok, may be empty) on stdout then `✖ <title>` and ` - <fail>` lines on stderr.
    //! Returns exit code 0, as the SDK does.
    int partial_failure(const boost::json::object& payload, const std::vector<std::string>& fails,
                        std::string_view human_ok, std::string_view title) const;

    //! Human mode only (nothing with --raw), on stderr: `ℹ <message>`, `⚠ <message>`, `✔ <message>`.
    void info(std::string_view message) const;
    void warn(std::string_view message) const;
    void succeed(std::string_view message) const;
    //! Spinner: on a terminal in human mode, shows `⠋ <message>` on stderr until stop_spinner() (or the next line
    //! printed through this Printer) erases it; elsewhere nothing.
    void start_spinner(std::string_view message) const;
    void stop_spinner() const;

    //! "✔ text" / "ℹ text" with the prefix coloured on a terminal (for composing human replies).
    std::string ok_line(std::string_view text) const;
    std::string info_line(std::string_view text) const;

    mutable bool spinning{false};  //!< a spinner line is on screen (internal state; Printer stays an aggregate)

  private:
    void line(std::string_view prefix, const char* colour, std::string_view message) const;
};

}  // namespace wp::cli
