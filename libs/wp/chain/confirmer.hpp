#pragma once
// Confirmer: TxManager's confirmation job (tx_manager.hpp, step 3), without I/O and without the manager's lock.
//
//   due(slots, head)          under the lock: the mined slots at their confirmation depth (head >= receipt.block +
//                             confirmations - 1), copied (receipt, call, kind) so the round works without the lock;
//   recheck_calls(items)      for the items with confirmations > 1: the receipt again (eth_getTransactionReceipt);
//   read_recheck(item, a)     kSame (same block), kMoved (another block: the new receipt, possibly below the depth
//                             now), kGone (null: a reorg dropped it; the manager sends it again), kUnknown (a failed
//                             or unparsable answer: it waits for the next round);
//   replay_call(item, from)   for a reverted call (status 0, not a filler): eth_call of the same call at the receipt's
//                             block, to learn why;
//   read_replay(item, a)      the DecodedRevert (a replay that did not revert: "out of gas (gas limit N)" when all
//                             the gas was used, else "unknown reason (the replay at block B did not revert)"), or
//                             nullopt when the replay failed with a transport error / rate limit (replay again next
//                             round);
//   revert_message(item, d)   "<description>: reverted: <reason> (nonce N, tx 0x…)", the kConfirmed record's reason
//                             and the outcome's error.
//
// Thread safety: pure functions of their arguments.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "eth.hpp"
#include "revert.hpp"
#include "rpc.hpp"
#include "tx_slot.hpp"

namespace wp::chain {

class Confirmer {
  public:
    //! A slot at its confirmation depth, as the round saw it under the lock.
    struct Item {
        SlotRef slot;
        std::string description;
        SlotKind kind{SlotKind::kCall};
        std::uint64_t confirmations{1};
        TxRequest request;
        Receipt receipt;
        //! Whether its receipt must be fetched again first (confirmations > 1).
        bool needs_recheck() const { return confirmations > 1; }
        //! A reverted call whose reason is replayed (fillers are not).
        bool needs_replay() const { return !receipt.status && kind == SlotKind::kCall; }
    };
    struct Recheck {
        enum class Kind { kSame, kMoved, kGone, kUnknown };
        Kind kind{Kind::kSame};
        std::optional<Receipt> receipt{};  //!< kMoved
        std::string error{};               //!< kUnknown
    };

    //! The mined slots with head + 1 >= receipt.block + confirmations, in nonce order.
    static std::vector<Item> due(const SlotMap& slots, std::uint64_t head);
    //! Whether `receipt` at `confirmations` is at its depth at `head`.
    static bool at_depth(const Receipt& receipt, std::uint64_t confirmations, std::uint64_t head) {
        return head + 1 >= receipt.block_number + confirmations;
    }
    static RpcCall recheck_call(const Item& item);
    static Recheck read_recheck(const Item& item, const RpcResult<boost::json::value>& answer);
    static RpcCall replay_call(const Item& item, const Address& from);
    static std::optional<DecodedRevert> read_replay(const Item& item, const RpcResult<boost::json::value>& answer,
                                                    const RevertDecoder& decoder);
    static std::string revert_message(const Item& item, const DecodedRevert& decoded);
};

}  // namespace wp::chain
