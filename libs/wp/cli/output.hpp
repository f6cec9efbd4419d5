#pragma once
// Output conventions of the `iexec` CLI, following the iExec SDK:
// - human mode: a plain value, or aligned `key: value` lines;
// - --raw: success is ONE line of JSON on stdout, {"ok":true, ...payload};
//   failure is one line on stderr, {"ok":false,"command":"iexec <group> <cmd>","error":{"name","message"}};
// - any failure exits with code 1; human-mode errors go to stderr as
//   `✖ Command "iexec utils keccak256" failed with Error: <message>`.

#include <iosfwd>
#include <string>

#include <boost/json/object.hpp>

#include <wp/core/result.hpp>

namespace wp::cli {

//! What a command produced: the JSON payload (raw mode) and its human rendering.
struct Reply {
    boost::json::object payload;
    std::string human;  //!< printed as is (a trailing newline is added)
};

//! Renders an object as aligned `key: value` lines (strings unquoted; nested values as JSON).
std::string render_human(const boost::json::object& payload);

//! Where and how a command prints.
struct Printer {
    bool raw{false};
    std::ostream* out;
    std::ostream* err;

    //! Prints a success and returns exit code 0.
    int success(const Reply& reply) const;
    //! Prints a failure of `command` (e.g. "iexec utils keccak256") and returns exit code 1.
    int failure(const std::string& command, const Error& error) const;
};

}  // namespace wp::cli
