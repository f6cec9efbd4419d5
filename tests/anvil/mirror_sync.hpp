#pragma once
// sync_mirror(): a ChainMirror polled until it reached the head, for the in-process tests that drive a mirror by hand
// (market_sync_anvil_test.cpp, tests/scheduler/core_chain_fixture.hpp).
#include <gtest/gtest.h>

#include <wp/chain/mirror.hpp>

namespace wp::test {

//! Polls `mirror` (at most 200 polls) until it has caught up with the head; returns whether a reorg was rolled back on
//! the way. A failed poll or a mirror that never catches up is a test failure.
inline bool sync_mirror(chain::ChainMirror& mirror) {
    bool rolled_back = false;
    for (int i = 0; i < 200; ++i) {
        auto step = mirror.poll();
        EXPECT_TRUE(step) << step.error().message;
        if (!step) return rolled_back;
        if (step->rolled_back_from) rolled_back = true;
        if (step->caught_up && !step->retry) return rolled_back;
    }
    ADD_FAILURE() << "the mirror did not catch up";
    return rolled_back;
}

}  // namespace wp::test
