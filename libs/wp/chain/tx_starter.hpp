#pragma once
// TxStarter: TxManager's starter job (tx_manager.hpp, steps 4-5), without I/O and without the manager's lock: the
// gas of a queued call (its eth_estimateGas request and what the answer means) and the signing of a transaction
// for a nonce. The nonce itself comes from the NonceAllocator (nonce_allocator.hpp), under the manager's lock.
//
//   estimate_call(call, from)   the eth_estimateGas request of a queued call (skipped when SubmitOptions::gas_limit
//                               is set);
//   gas_from_estimate(...)      the gas limit (gas_limit_for: margin and cap, fees.hpp), or why the call fails
//                               without using a nonce: a revert ("<description>: gas estimation reverted: <reason>",
//                               with the DecodedRevert), another error ("<description>: gas estimation failed:
//                               <message>"), an unparsable answer, a limit above the cap;
//   sign(request, nonce, fees)  a TxAttempt in state kSigned (attempt_state.hpp): it may be broadcast only once its
//                               kSigned record is durable.
//
// Thread safety: a TxStarter holds only constants (the key, the chain id, the gas policy and the decoder); every
// member function may run on several threads at once (TxManager signs the next batch while the previous one is on
// the wire).

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "contract_call.hpp"
#include "fees.hpp"
#include "revert.hpp"
#include "rpc.hpp"
#include "signing.hpp"
#include "tx_slot.hpp"

namespace wp::chain {

class TxStarter {
  public:
    //! `key` and `decoder` must outlive the starter.
    TxStarter(const PrivateKey& key, std::uint64_t chain_id, GasPolicy gas, const RevertDecoder& decoder)
        : key_(key), chain_id_(chain_id), gas_(gas), decoder_(decoder) {}

    //! The gas limit of a queued call, or why it fails (no nonce is used).
    struct GasDecision {
        std::optional<std::uint64_t> gas;     //!< set on success
        std::string error;                    //!< on failure: the call's one-line error (header comment)
        std::optional<DecodedRevert> revert;  //!< on a reverting estimate
    };

    static RpcCall estimate_call(const ContractCall& call, const Address& from);
    GasDecision gas_from_estimate(const RpcResult<boost::json::value>& answer, std::uint64_t block_gas_limit,
                                  const std::string& description) const;
    //! Signs `request` with `nonce` and `fees` (errors: signing.hpp's, e.g. a fee field out of range).
    Result<TxAttempt> sign(const TxRequest& request, std::uint64_t nonce, const FeeParams& fees) const;

    void set_chain_id(std::uint64_t chain_id) { chain_id_ = chain_id; }

  private:
    const PrivateKey& key_;
    std::uint64_t chain_id_;
    GasPolicy gas_;
    const RevertDecoder& decoder_;
};

}  // namespace wp::chain
