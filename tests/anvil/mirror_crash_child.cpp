// The crash child of chain_mirror_anvil_test (ChainMirrorAnvil.KilledAtRandomPointsAppliesEveryEventOnce):
//   mirror_crash_child <rpc url> <database url> <emitter address> <kill at batch k, 0 = never> <max block range>
// opens the database and the mirror, and polls until caught up. With k > 0 it kills itself with SIGKILL inside the
// k-th batch's transaction, after the batch was applied and before the commit (MirrorOptions::before_commit).
// Exit codes: 0 caught up, 2 usage, 3 an error (printed on stderr).
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <string>

#include <wp/chain/eth.hpp>
#include <wp/chain/mirror.hpp>
#include <wp/chain/rpc.hpp>

#include "mirror_test_support.hpp"

int main(int argc, char** argv) {
    using namespace wp;
    if (argc != 6) {
        std::cerr << "usage: mirror_crash_child RPC DB EMITTER KILL_AT RANGE\n";
        return 2;
    }
    const std::string rpc_url = argv[1];
    const std::string db_url = argv[2];
    auto emitter = Address::parse(argv[3]);
    const long kill_at = std::strtol(argv[4], nullptr, 10);
    const long range = std::strtol(argv[5], nullptr, 10);
    if (!emitter || range < 1) return 2;

    auto db = store::Database::open(db_url);
    if (!db) {
        std::cerr << db.error().message << "\n";
        return 3;
    }
    if (auto m = store::migrate(*db, "mirror_test", test::kPayloadMigrations); !m) {
        std::cerr << m.error().message << "\n";
        return 3;
    }
    chain::JsonRpcClient rpc(chain::JsonRpcOptions{.url = rpc_url});
    chain::EthClient eth(rpc);
    test::PayloadHandler handler;
    chain::MirrorOptions options;
    options.name = "crash-test";
    options.feed.addresses = {*emitter};
    options.feed.max_block_range = static_cast<std::uint64_t>(range);
    long batches = 0;
    options.before_commit = [&](const chain::FeedBatch&) {
        if (++batches == kill_at) std::raise(SIGKILL);
    };
    auto mirror = chain::ChainMirror::open(eth, *db, handler, options);
    if (!mirror) {
        std::cerr << mirror.error().message << "\n";
        return 3;
    }
    for (;;) {
        auto step = (*mirror)->poll();
        if (!step) {
            std::cerr << step.error().message << "\n";
            return 3;
        }
        if (step->caught_up && !step->retry) return 0;
    }
}
