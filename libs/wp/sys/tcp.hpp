#pragma once
// Small TCP helpers for tests and local services (IPv4 loopback only).

#include <chrono>
#include <cstdint>
#include <string>

#include <wp/core/result.hpp>

namespace wp::sys {

//! A TCP port on 127.0.0.1 that was free a moment ago: binds port 0, reads the port the kernel chose and
//! closes the socket. Another process may take it before the caller binds it (use it for child processes
//! that must be told their port; servers of our own should bind port 0 directly). Errc::kIo on socket errors.
Result<std::uint16_t> find_free_tcp_port();

//! Polls until a TCP connection to host:port (a dotted IPv4 address, e.g. "127.0.0.1") succeeds, every 20 ms,
//! for at most `timeout` (Errc::kTimeout). Errc::kInvalidArgument for a host that is not an IPv4 address.
Result<void> wait_for_tcp_port(const std::string& host, std::uint16_t port, std::chrono::milliseconds timeout);

}  // namespace wp::sys
