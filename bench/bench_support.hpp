#pragma once
// What the anvil benchmarks (wp_lifecycle_bench, wp_e2e_bench) share: the roles of the devnet's dev accounts and the
// exit-on-error helpers of a command-line benchmark.
//
// Thread safety: fail / must may be called from any thread (fail ends the process); the rest is pure.

#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <errno.h>  // program_invocation_short_name (glibc)

#include <tl/expected.hpp>

namespace wp::bench {

// The devnet's dev accounts (wp::devnet::dev_accounts, funded by anvil), by role.
inline constexpr std::size_t kAppOwner = 1;
inline constexpr std::size_t kScheduler = 2;
inline constexpr std::size_t kRequester = 4;
//! The workers: the devnet proofs' worker accounts, then dev account 5 (their dataset owner, unused by the benches).
inline constexpr std::size_t kWorkerAccounts[] = {3, 6, 7, 8, 9, 5};

using SteadyClock = std::chrono::steady_clock;

//! Prints "<program>: <what>" on stderr and exits with status 1.
[[noreturn]] inline void fail(const std::string& what) {
    std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, what.c_str());
    std::exit(1);
}

//! The value of a Result / HubResult / RpcResult (nothing for a void one), or fail with "<what>: <its message>".
template <class T, class E>
T must(tl::expected<T, E> r, std::string_view what) {
    if (!r) fail(std::string(what) + ": " + r.error().message);
    if constexpr (!std::is_void_v<T>) return std::move(*r);
}

//! Seconds elapsed since `t0` on the steady clock.
inline double seconds_since(SteadyClock::time_point t0) {
    return std::chrono::duration<double>(SteadyClock::now() - t0).count();
}

}  // namespace wp::bench
