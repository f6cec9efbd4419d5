#pragma once
// Ports for child processes started by tests (anvil, `iexec-pool up`, the core daemon): a run of consecutive TCP
// ports on 127.0.0.1, drawn at random BELOW the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range
// starts at 32768), each checked by binding it. A port taken from sys::find_free_tcp_port() sits in the ephemeral
// range, where it (or base + 1) is soon handed to some other test's outgoing connection (seen in CI: a child could
// not bind). Another process may still take a port between the check and the child's bind: callers that can retry
// should.
//
// Header-only, no dependency beyond POSIX sockets. Not thread-safe with respect to the ports it returns (two
// threads may draw the same free port); each test process draws its own.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>
#include <random>

namespace wp::test {

//! True when 127.0.0.1:port can be bound right now (the socket is closed again).
inline bool tcp_port_bindable(std::uint16_t port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::bind(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

//! The first of `count` consecutive bindable ports in [20000, 32000) (50 random draws), or 0 when none was found.
inline std::uint16_t pick_free_ports(unsigned count = 1) {
    static thread_local std::mt19937 rng(std::random_device{}());
    for (int attempt = 0; attempt < 50; ++attempt) {
        const auto base = static_cast<std::uint16_t>(20000 + rng() % (12000 - count));
        bool all = true;
        for (unsigned i = 0; i < count && all; ++i) all = tcp_port_bindable(static_cast<std::uint16_t>(base + i));
        if (all) return base;
    }
    return 0;
}

}  // namespace wp::test
