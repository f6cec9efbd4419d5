#pragma once
// Tests only (header-only): waiting for a condition that another thread makes true (a server closing a connection,
// a WebSocket message arriving). Polls with yields and asserts nothing about time: `limit` only bounds a hang.

#include <chrono>
#include <thread>

namespace wp::net::testing {

template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::yield();
    }
    return true;
}

}  // namespace wp::net::testing
