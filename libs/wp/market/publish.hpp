#pragma once
// The publish and unpublish rules of the market (iexec-market-api 7.1.2 api/src/services/order.js,
// sdk-cli-and-market.md §5.3 and §5.4), plus the seed's own rules for workerpool orders (docs/market.md
// "Deliberate deviations").
//
// publish(chain, order, caller) — the order already passed the schema (order_input.hpp) and the caller is the
// authenticated address of the request's chain (the API checks both). Checks, in this order, the first failing one
// answering 403 {"ok":false,"error":<message>} (PublishError::kRefused):
//   1. orderHash = EIP-712 hash of the order on the chain's domain (ChainContext::domain, read from hub.domain());
//   2. a stored order with that hash whose status is not dead → "order already published" (a dead one may be
//      published again; it keeps its publication time, order_book.hpp insert_order);
//   3. app / dataset / workerpool orders: the resource must be registered → "Resource not deployed"; the signer is
//      its owner; request orders: the signer is order.requester. signer ≠ caller →
//      "only order signer <signer> can publish an order";
//   4. the signature: recovered locally (ecrecover over orderHash, 65-byte v 27/28 low-s or 64-byte EIP-2098) must
//      give the signer; when it does not and the chain has a Hub, hub.verifySignature(signer, orderHash, sign) decides
//      (ERC-1271 contract owners, delegated accounts) → "invalid sign";
//   5. open orders of this kind signed by the signer < max_open_orders_per_wallet →
//      "maximun of 50 published open workerpoolorder has been reached for wallet <signer>" (the reference's text,
//      typo included);
//   6. remaining = volume − consumed(orderHash) > 0 → "order already consumed";
//   7. workerpool orders: stake(signer) ≥ (price × 30 / 100) × remaining →
//      "workerpool owner's stake is too low to cover required workerpool lock";
//      request orders: stake(requester) ≥ (appmaxprice + datasetmaxprice + workerpoolmaxprice) × remaining →
//      "requester stake is too low to cover requestorder payment, minimum stake required is <cost> nRLC";
//      then a matching open apporder (app, restricts ∈ {0x0, the request's workerpool / dataset / requester}, a tee
//      apporder when the request's tag has tee; the cheapest) → "No apporder published for app <app>" /
//      "No tee enabled apporder published for app <app>", its price ≤ appmaxprice →
//      "appmaxprice for app <app> is too low, actual best price is <p> nRLC"; with a dataset, the same for
//      datasetorders → "No datasetorder published for dataset <d>" /
//      "datasetmaxprice for dataset <d> is too low, actual best price is <p> nRLC";
//   8. ours, workerpool orders only (PublishOptions::seed_rules): the tag is one of standard 0x0, Scone 0x3, Gramine
//      0x5, TDX 0x9, each optionally | GPU 0x100 ("Unsupported workerpool order tag 0x…; supported: …"); a TEE tag
//      needs trust 1, trust 0 counting as 1 as in PoCo ("TEE workerpool orders must have trust 1 (got N)"); the
//      category exists ("category N does not exist").
// Addresses in messages are EIP-55 checksummed. The checks, the insert of the order (status open, remaining,
// signer, publication time = clock) and the outbox event `<kind>order_published` (topic "orders", payload: the order
// document without chainId) run in ONE write transaction, reading the facts (owners, stakes, consumed volumes,
// categories) from the mirrored tables (StoredFacts, chain_state.hpp): no RPC in the common case. The order's
// signature is recovered before the transaction (pure). When the tables lack a fact (a cold entry of an incomplete
// mirror) or the signature does not recover to the signer and a Hub is set, the attempt ends, the fact is fetched
// OUTSIDE any transaction (ChainState: once, then stored; hub.verifySignature) and the transaction runs again —
// never a database transaction held across an RPC.
//
// unpublish(chain, kind, request, caller) (§5.4), refusals 403:
//   - unpublish_orderHash: the order of that kind and hash must be open → "<kind>order with orderHash <h> is not
//     published"; its signer must be the caller → "only order signer <signer> can unpublish an order";
//   - unpublish_last / unpublish_all: the caller's open orders of that kind for the resource (app / dataset /
//     workerpool / requester), newest first (last: only the newest) → none:
//     "no open <kind>order published by signer <caller> for <resourceKey> <resource>".
//   The orders are DELETED and one `<kind>order_unpublished` event per order (payload: the orderHash as a JSON
//   string) is appended, in one transaction. App / dataset orders then clean their dependent request orders, as
//   the reference's cleanApporderDependantOrders / cleanDatasetorderDependantOrders: each open request order of
//   that app (dataset) without another matchable open app (dataset) order at its max price becomes dead
//   (`requestorder_unpublished`), in the same transaction. Returns the hashes, newest first.
//
// Other failures (database, RPC) are PublishError::kInternal (500; the detail is for the logs only).
//
// Batches (publish_batcher.hpp folds concurrent publishes into one write transaction): prepare() does the pure part
// (hash, signature recovery) on the caller's thread; write_batch() runs the rules and writes the accepted orders of
// a whole batch in ONE write transaction, in batch order, with one outcome per item: a refusal refuses that item
// only (nothing of it is written), the others go on. Later items see the earlier ones (a second order of the same
// hash in a batch is "order already published"; the open orders counted for the max-open-orders rule include the
// batch's). A database failure of the batch's transaction runs every item again in a transaction of its own, so
// that one failing item does not fail the others. An item whose facts are cold (or whose signature needs the hub)
// comes back with needs_fact: fetch_missing_fact() (RPC, outside any transaction) then submit it again.
// publish() is prepare() + write_batch() of one item + the cold-fact loop.
// Thread safety: Publisher is stateless apart from its references; call it from any thread.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <tl/expected.hpp>

#include <wp/chain/hub.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/clock.hpp>
#include <wp/protocol/order.hpp>
#include <wp/store/store.hpp>

#include "chain_state.hpp"
#include "model.hpp"
#include "order_input.hpp"

namespace wp::market {

struct PublishError {
    enum class Kind {
        kRefused,   //!< a business rule: 403 with the message
        kInvalid,   //!< bad input found late: 400 with the message
        kInternal,  //!< database / chain failure: 500 (the message is for the logs)
    };
    Kind kind{Kind::kRefused};
    std::string message;

    //! 403, 400 or 500.
    unsigned http_status() const;
};

template <class T>
using PublishResult = tl::expected<T, PublishError>;

//! Facts of one publish fetched from the chain outside any transaction (cold entries of an incomplete mirror, the
//! hub's verifySignature answer); write_batch() uses them when the tables lack the entry.
struct FetchedFacts {
    std::optional<Address> owner;
    std::optional<U256> stake;
    std::optional<U256> consumed;
    std::optional<bool> category;
    std::optional<bool> sign_valid;  //!< hub.verifySignature's answer
};

//! The chain fact write_batch() found missing for an item (set by write_batch, read by fetch_missing_fact).
struct MissingFact {
    enum class What { kNone, kOwner, kStake, kConsumed, kCategory, kSignature } what{What::kNone};
    Registry registry{Registry::kApp};
    Address address;  //!< owner: the entry; stake / signature: the account
    Bytes32 hash;
    U256 catid;
};

//! What the rules need to know about one served chain.
struct ChainContext {
    std::uint64_t chain_id{0};
    Domain domain;               //!< hub.domain(): the orders' EIP-712 domain on this chain
    ChainState* state{nullptr};  //!< required
    chain::Hub* hub{nullptr};    //!< optional: the verifySignature fallback (no fallback when null)
};

struct PublishOptions {
    std::uint64_t max_open_orders_per_wallet{50};
    //! The seed's workerpool-order rules (step 8). On by default; off only to reproduce the reference exactly.
    bool seed_rules{true};
};

//! One publish ready for write_batch(): built by Publisher::prepare().
struct PreparedPublish {
    const ChainContext* chain{nullptr};
    Order order;
    Address caller;
    Bytes32 hash;                      //!< the order's EIP-712 hash on the chain's domain
    std::optional<Address> recovered;  //!< the signer the signature recovers to (nullopt: it does not recover)
    FetchedFacts fetched;              //!< facts fetched so far (fetch_missing_fact)
    MissingFact missing;               //!< what the last write_batch() lacked
};

//! The outcome of one item of write_batch(): the stored record or the refusal / error, unless needs_fact.
struct BatchItemOutcome {
    PublishResult<OrderRecord> result{tl::unexpected(PublishError{PublishError::Kind::kInternal, "not run"})};
    bool needs_fact{false};  //!< a chain fact is missing: fetch_missing_fact(), then write it again
    //! When published: the HTTP answer {"ok":true,"published":<order document>} (built from the outbox payload,
    //! so that the document is built once).
    std::string reply_json;
};

class Publisher {
  public:
    Publisher(store::Database& db, Clock& clock, PublishOptions options = {})
        : db_(db), clock_(clock), options_(options) {}

    //! Publishes the order (see the header comment); returns the stored record.
    PublishResult<OrderRecord> publish(const ChainContext& chain, const Order& order, const Address& caller);
    //! The pure part of a publish (hash on the chain's domain, signature recovery); any thread, no database.
    PreparedPublish prepare(const ChainContext& chain, Order order, const Address& caller) const;
    //! The rules and the writes of every item in ONE write transaction (see "Batches" above); one outcome per item,
    //! in order. An item with needs_fact has its `missing` set.
    std::vector<BatchItemOutcome> write_batch(std::span<PreparedPublish> batch);
    //! Fetches item.missing from the chain (ChainState / hub.verifySignature; RPC, never inside a transaction) into
    //! item.fetched. kInternal on a transport failure.
    PublishResult<void> fetch_missing_fact(PreparedPublish& item) const;

    //! Unpublishes (see the header comment); returns the unpublished hashes, newest first.
    PublishResult<std::vector<Bytes32>> unpublish(const ChainContext& chain, OrderKind kind,
                                                  const UnpublishRequest& request, const Address& caller);

    const PublishOptions& options() const { return options_; }

  private:
    store::Database& db_;
    Clock& clock_;
    PublishOptions options_;
};

}  // namespace wp::market
