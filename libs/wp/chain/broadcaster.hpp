#pragma once
// Broadcaster: TxManager's sending job (tx_manager.hpp, step 6): signed raw transactions go out in JSON-RPC batches of
// eth_sendRawTransaction calls, in the given order, and every answer is classified (classify_send) for the caller,
// which decides what it means for its nonces. Batches stop early when the node may not have processed them:
//   - a batch exchange that fails as a whole (transport, rate limit, HTTP error): no answer for that batch and the
//     ones after it (Report::exchange_error, Report::unsent_from = the first transaction of that batch);
//   - an answer classified kTransport (a per-call transport error or rate limit): the rest of ITS batch is still
//     reported (the node answered them), no further batch is sent (Report::unsent_from = the end of that batch).
//
// Thread safety: a Broadcaster holds no state besides its options; send() may run on several threads at once
// (JsonRpcClient is thread safe). No lock is held: on_answer runs on the calling thread, between batches.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>

#include <wp/core/bytes.hpp>

#include "rpc.hpp"

namespace wp::chain {

//! What an eth_sendRawTransaction answer means for the transaction sent.
enum class SendVerdict : std::uint8_t {
    kAccepted,     //!< the node took it (a transaction hash came back)
    kKnown,        //!< "already known", "known transaction", "already imported", "already in ...": the node has it
    kNonceTooLow,  //!< "nonce too low" / "nonce is too low": the nonce was used (by this or another transaction)
    kUnderpriced,  //!< "replacement ... underpriced": another transaction with this nonce is in the pool
    kRejected,     //!< any other JSON-RPC error (insufficient funds, intrinsic gas too low, ...) or HTTP status
    kTransport,    //!< classify_rpc_error says transient or rate-limited: the node may or may not have it
};

//! "accepted", "known", "nonce-too-low", "underpriced", "rejected", "transport".
const char* to_string(SendVerdict verdict);

//! Classifies a failed eth_sendRawTransaction answer (messages compared case-insensitively, as substrings). Uses
//! classify_rpc_error (rpc.hpp) first: transient / rate-limited -> kTransport; a non-JSON-RPC error -> kRejected.
SendVerdict classify_send(const RpcError& error);

class Broadcaster {
  public:
    //! `batch_size`: eth_sendRawTransaction calls per JSON-RPC batch (0 counts as 1). `rpc` must outlive this.
    Broadcaster(JsonRpcClient& rpc, std::size_t batch_size);

    struct Report {
        std::size_t batches{0};                  //!< JSON-RPC batch requests made (a failed exchange included)
        std::size_t unsent_from{0};              //!< raws[unsent_from..] got no answer (== raws.size() when all did)
        std::optional<RpcError> exchange_error;  //!< the error of a batch exchange that failed as a whole
    };
    //! on_answer(index into raws, verdict, the error or nullptr for kAccepted), in index order, after each batch.
    using OnAnswer = std::function<void(std::size_t index, SendVerdict verdict, const RpcError* error)>;

    //! Sends raws[0..] in order (header comment). Never fails: everything is in the Report and the callbacks.
    Report send(std::span<const ByteView> raws, const OnAnswer& on_answer);

  private:
    JsonRpcClient& rpc_;
    std::size_t batch_size_;
};

}  // namespace wp::chain
