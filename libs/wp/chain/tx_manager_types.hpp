#pragma once
// The value types of TxManager (tx_manager.hpp) that its parts share: a call's handle, its state and its outcome.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "eth.hpp"
#include "revert.hpp"

namespace wp::chain {

//! A submitted call (ids are unique per journal and wallet; they survive a restart).
struct TxHandle {
    std::uint64_t id{0};
    friend auto operator<=>(const TxHandle&, const TxHandle&) = default;
};

enum class TxStatus {
    kQueued,     //!< submitted, no nonce yet
    kPending,    //!< signed and broadcast, not mined
    kMined,      //!< mined, waiting for its confirmation depth
    kConfirmed,  //!< final: mined with status 1 and confirmed
    kReverted,   //!< final: mined with status 0 and confirmed (revert decoded)
    kFailed,     //!< final: never mined (estimate reverted, rejected by the node, fee cap, nonce consumed elsewhere)
};

//! "queued", "pending", "mined", "confirmed", "reverted", "failed".
const char* to_string(TxStatus status);

struct TxOutcome {
    TxHandle handle;
    std::string key;  //!< SubmitOptions::key (empty for unkeyed calls)
    std::string description;
    TxStatus status{TxStatus::kFailed};
    std::optional<std::uint64_t> nonce;   //!< when one was assigned (and kept)
    std::optional<Bytes32> hash;          //!< the mined transaction
    std::vector<Bytes32> hashes;          //!< every transaction signed for this call (original, replacements)
    std::optional<Receipt> receipt;       //!< kConfirmed / kReverted
    std::optional<DecodedRevert> revert;  //!< kReverted, or kFailed by a reverting gas estimation
    std::optional<Error> error;           //!< every status but kConfirmed: the one-line explanation

    bool ok() const { return status == TxStatus::kConfirmed; }
};

}  // namespace wp::chain
