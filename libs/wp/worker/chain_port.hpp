#pragma once
// The worker's chain actions: the stake check, contribute, reveal and contributeAndFinalize, each a durable
// TxManager intent keyed by (task, action) — "worker:<taskId>:contribute", ":reveal", ":contribute-and-finalize" —
// so a restarted worker never sends the same action twice: the journal's find(key) is checked first, and the chain
// (viewContribution of the wallet) before a contribution.
//
// ChainPort is the seam the replicate pipeline uses (PocoChainPort: Hub + TxManager on a real node). Errors are
// values whose message says what failed ("stake too low: 0x… has 0 RLC-nRLC free, the deal needs 10"); a call
// that reverted carries the revert reason.
//
// Thread safety: PocoChainPort's members may be called from several replicate threads (TxManager and Hub are
// thread-safe; wait() polls).

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <wp/chain/hub.hpp>
#include <wp/chain/tx_manager.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/workerapi/messages.hpp>

#include "replicate_runner.hpp"

namespace wp::worker {

//! A mined action.
struct ChainReceipt {
    Bytes32 tx_hash;
    std::uint64_t block_number{0};
    bool already_done{false};  //!< found in the journal or on chain: nothing was sent this time
};

//! Why a chain action was not done (maps to the protocol's FailureCause).
struct ChainFailure {
    workerapi::FailureCause cause{workerapi::FailureCause::kTransactionFailed};
    std::string message;
};
template <class T>
using ChainResult = tl::expected<T, ChainFailure>;

class ChainPort {
  public:
    virtual ~ChainPort() = default;
    //! The address the task's WorkerpoolAuthorization must be signed by: the deal's workerpool owner as PoCo
    //! recorded it at match time (viewDeal(dealId).workerpool.owner), the signer contribute and
    //! contributeAndFinalize check (authorization.hpp does the check).
    virtual ChainResult<Address> workerpool_owner(const workerapi::Assignment& a) = 0;
    //! The wallet's free stake covers the deal's worker stake (kStakeTooLow otherwise).
    virtual ChainResult<void> check_stake(const workerapi::Assignment& a) = 0;
    //! contribute(resultHash, resultSeal, enclave, enclaveSign, authorization sign), once per task.
    virtual ChainResult<ChainReceipt> contribute(const workerapi::Assignment& a, const ReplicateResult& r) = 0;
    //! reveal(digest), once per task.
    virtual ChainResult<ChainReceipt> reveal(const Bytes32& task_id, const Bytes32& digest) = 0;
    //! contributeAndFinalize(digest, results, resultsCallback, enclave, enclaveSign, authorization sign).
    virtual ChainResult<ChainReceipt> contribute_and_finalize(const workerapi::Assignment& a, const ReplicateResult& r,
                                                              const std::string& result_link) = 0;
};

struct PocoChainPortOptions {
    std::chrono::milliseconds tx_timeout{std::chrono::minutes(5)};
    //! Fixed gas limits (0: estimated with eth_estimateGas before the send, as below). A fixed limit saves that call
    //! (an EVM run of the call on the node, several for the estimate's search) but also its check: a contribution
    //! that would revert now (e.g. the consensus was reached meanwhile) is sent and mined reverted instead of
    //! failing before the send. The limit must cover the costliest path (docs/worker.md "Chain traffic").
    std::uint64_t contribute_gas{0};
    std::uint64_t reveal_gas{0};
    std::uint64_t contribute_and_finalize_gas{0};
};

class PocoChainPort final : public ChainPort {
  public:
    //! `hub` and `tx` must outlive the port; `tx` signs with the worker's wallet.
    PocoChainPort(chain::Hub& hub, chain::TxManager& tx, PocoChainPortOptions options = {});

    //! Read once per deal and cached (a deal's record never changes); kChainUnreachable when viewDeal fails, and
    //! kTaskNotActive for a deal that does not exist (zero owner).
    ChainResult<Address> workerpool_owner(const workerapi::Assignment& a) override;
    ChainResult<void> check_stake(const workerapi::Assignment& a) override;
    ChainResult<ChainReceipt> contribute(const workerapi::Assignment& a, const ReplicateResult& r) override;
    ChainResult<ChainReceipt> reveal(const Bytes32& task_id, const Bytes32& digest) override;
    ChainResult<ChainReceipt> contribute_and_finalize(const workerapi::Assignment& a, const ReplicateResult& r,
                                                      const std::string& result_link) override;

    //! The idempotency key of an action ("worker:0x<task>:contribute").
    static std::string key(const Bytes32& task_id, std::string_view action);

  private:
    //! `fixed_gas` > 0: that gas limit, no estimate. Else `extra_gas` > 0: the gas limit is this call's estimate ·
    //! 1.2 + extra_gas (estimated here; a call that would revert now is not sent) instead of the transaction
    //! manager's estimate · margin.
    ChainResult<ChainReceipt> send_once(const std::string& key, const chain::ContractCall& call,
                                        std::uint64_t fixed_gas, std::uint64_t extra_gas = 0);

    chain::Hub& hub_;
    chain::TxManager& tx_;
    PocoChainPortOptions options_;
    //! A deal's terms the port needs; a deal never changes once matched, so they are read once per deal.
    struct DealTerms {
        Address owner;      //!< deal.workerpool.owner
        U256 worker_stake;  //!< deal.workerStake
    };
    ChainResult<DealTerms> deal_terms(const workerapi::Assignment& a);

    std::mutex deals_mutex_;
    std::map<Bytes32, DealTerms> deals_;  // deal id → its terms
};

}  // namespace wp::worker
