#include "chain_time.hpp"

#include <gtest/gtest.h>

namespace wp::scheduler {
namespace {

TEST(ChainTimeClock, FollowsAChainAheadNeverOneBehind) {
    ManualClock host;
    ChainTimeClock chain(host);
    const std::int64_t host_ms = host.unix_ms();
    EXPECT_EQ(chain.unix_ms(), host_ms);
    // A chain moved 3,000 s ahead (evm_increaseTime): the deadlines are judged by it.
    chain.observe(static_cast<std::uint64_t>(host_ms / 1000 + 3000));
    EXPECT_EQ(chain.offset_ms(), 3000 * 1000 - host_ms % 1000);
    EXPECT_EQ(chain.unix_ms(), (host_ms / 1000 + 3000) * 1000);
    // The host clock goes on; the shift stays.
    host.advance(std::chrono::seconds(10));
    EXPECT_EQ(chain.unix_ms(), (host_ms / 1000 + 3010) * 1000);
    // A block behind the host clock (the usual lag of one block): no shift back into the past.
    chain.observe(static_cast<std::uint64_t>(host.unix_ms() / 1000 - 12));
    EXPECT_EQ(chain.offset_ms(), 0);
    EXPECT_EQ(chain.unix_ms(), host.unix_ms());
    // Steady time is the host's.
    EXPECT_EQ(chain.now(), host.now());
}

}  // namespace
}  // namespace wp::scheduler
