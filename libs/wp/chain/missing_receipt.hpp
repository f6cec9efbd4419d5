#pragma once
// MissingReceiptWatch: TxManager's rule for a nonce below the account's latest transaction count with no receipt for
// any of our hashes (tx_manager.hpp, "Nonce rules", last item): the call fails once the head has advanced
// `foreign_nonce_blocks` blocks since the first round that saw it so, and at least kMinRounds such rounds passed
// (mined by another sender, or the node's receipt index is pruned). A receipt seen resets the watch. Rounds whose
// receipt requests failed are not counted (the caller does not call missing() for them). Pure.
//
// Thread safety: none (one per slot, under TxManager's state lock).

#include <cstdint>
#include <optional>

namespace wp::chain {

class MissingReceiptWatch {
  public:
    static constexpr unsigned kMinRounds = 3;

    //! A round asked for every hash of the nonce and got no receipt, at head `head`. True when the call must fail.
    bool missing(std::uint64_t head, std::uint64_t foreign_nonce_blocks) {
        if (!since_block_) since_block_ = head;
        ++rounds_;
        return rounds_ >= kMinRounds && head >= *since_block_ + foreign_nonce_blocks;
    }
    //! A receipt was seen: from scratch.
    void found() {
        rounds_ = 0;
        since_block_.reset();
    }
    unsigned rounds() const { return rounds_; }

  private:
    unsigned rounds_{0};
    std::optional<std::uint64_t> since_block_;  //!< the head when first seen below the count without a receipt
};

}  // namespace wp::chain
