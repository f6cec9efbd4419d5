#pragma once
// ReceiptTracker: TxManager's receipt job (tx_manager.hpp, step 2), without I/O and without the manager's lock.
//
//   plan(slots, latest_count)   under the manager's lock: one eth_getTransactionReceipt per hash of every nonce
//                               below the latest transaction count that has no receipt yet (ALL its hashes: the
//                               original, replacements, refused ones: whichever was mined wins). The query copies
//                               what it needs, so the round sends it with the lock released;
//   read(query, answers)        turns the batch's answers into one finding per slot: kMined with the receipt (the
//                               first hash of the slot that has one), kUnknown when any answer for it failed or did
//                               not parse (no conclusion this round: the error is kept for the slot's last_error),
//                               else kNoReceipt (every hash answered null: MissingReceiptWatch decides).
// The manager then applies each finding under its lock to the slot its SlotRef still names (tx_slot.hpp: a finding
// for a slot that left meanwhile is dropped).
//
// Thread safety: pure functions of their arguments.

#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "eth.hpp"
#include "rpc.hpp"
#include "tx_slot.hpp"

namespace wp::chain {

class ReceiptTracker {
  public:
    struct Query {
        std::vector<RpcCall> calls;  //!< eth_getTransactionReceipt, in slot order
        std::vector<SlotRef> owner;  //!< owner[i]: the slot calls[i] asks for
        bool empty() const { return calls.empty(); }
    };
    struct Finding {
        enum class Kind { kMined, kNoReceipt, kUnknown };
        SlotRef slot;
        Kind kind{Kind::kNoReceipt};
        std::optional<Receipt> receipt{};  //!< kMined
        std::string error{};               //!< kUnknown: the first failed answer's message
    };

    //! The receipt requests for every slot with nonce < latest_count and no receipt (header comment).
    static Query plan(const SlotMap& slots, std::uint64_t latest_count);
    //! One finding per slot of the query, in the query's slot order. `answers` must have one answer per call (the
    //! JSON-RPC batch's answers in order).
    static std::vector<Finding> read(const Query& query, const std::vector<RpcResult<boost::json::value>>& answers);
};

}  // namespace wp::chain
