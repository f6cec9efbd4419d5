#pragma once
// OrderPublisher: the order publishing policy at work (docs/scheduler.md "Order publishing policy"; the decisions are
// order_policy.hpp). It keeps the workerpool's orders on the market at the planned volume, signed with the workerpool
// owner's wallet (EIP-712, protocol sign_order with the hub's domain), through marketclient::MarketClient.
//
// Durability (table core_policy_orders, migration component "core_orders", in the core's database): every order the
// policy publishes is signed and stored (state publishing, the signed order's JSON) in a committed transaction BEFORE
// it is POSTed; an order to withdraw is marked unpublishing before the PUT. A round first resumes those pending rows
// (the same signed order, so the same hash: the market holds it at most once — "order already published" counts as
// done), and decides nothing new for an offer while one of its rows is pending. After a crash or a restart nothing is
// published twice; the first round also reconciles with the market: the open orders of the workerpool on the market
// are listed; a known open row no longer listed is closed (filled, canceled, dead: read by its hash); an unknown open
// order signed by the owner is adopted (an order of an offer: counted in its open volume; otherwise unpublished), so
// the open volume stays within the capacity whoever published it (e.g. `iexec-pool up`'s one-off order).
//
// Answers from the market: a JSON refusal ("API error: …") closes the row with the message as note; a transport
// failure, a timeout or a 5xx leaves it pending for the next round (logged once per round).
//
// When a round runs (tick(), called every second by the core's "orders" component, never on a request thread): when
// the alive workers (address, slots, TEE, GPU, max time) or the backlog (tasks still to compute per category time and
// trust) changed since the last round — a worker joined or was lost, a deal (a fill) was taken in, tasks finished —,
// when a row is pending, and every `refresh` anyway (fills of our orders by deals of other pools' requesters… are
// seen on the market then).
//
// Thread safety: tick() / round() from one thread at a time (the component's); view() from any thread.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/store/store.hpp>

#include "order_policy.hpp"

namespace wp::marketclient {
class MarketClient;
}

namespace wp::scheduler {

class SchedulerStore;

struct OrderPublisherOptions {
    std::string market_url;
    std::uint64_t chain_id{0};
    Address hub;  //!< the EIP-712 verifying contract of the orders
    Address workerpool;
    std::vector<Offer> offers;
    CapacityParams capacity;
    std::chrono::milliseconds refresh{std::chrono::seconds(30)};
    std::chrono::milliseconds market_timeout{std::chrono::seconds(5)};
    //! Tests (the crash window): when set and true, a round stops right after its intents committed, before any
    //! POST / PUT, as a kill -9 there would.
    std::function<bool()> stop_after_store;
};

//! The category's workClockTimeRef in seconds (the hub's viewCategory; cached by the caller or not: asked once per
//! category and publisher). An error leaves that offer at volume 0 for the round.
using CategoryTimeSource = std::function<Result<std::uint64_t>(std::uint64_t category)>;

//! The policy's migrations (component "core_orders"): table core_policy_orders.
std::span<const store::Migration> order_policy_migrations();
Result<std::int64_t> migrate_order_policy(store::Database& db);

//! A stored row with what the dashboard shows.
struct PolicyOrderRecord {
    PolicyOrderRow row;
    Offer offer;                        //!< the order's own category, tag, price, trust
    std::string publication_timestamp;  //!< as the market wrote it ("" until seen)
    std::string note;                   //!< why it closed (a refusal), else ""
    std::int64_t updated_ms{0};
};

struct PolicyRoundReport {
    std::vector<OfferPlan> plans;
    std::size_t published{0}, unpublished{0}, closed{0}, adopted{0};
    bool market_failed{false};
};

class OrderPublisher {
  public:
    //! Migrates the table; checks the options (Errc::kInvalidArgument: "core.market.url: required by core.orders",
    //! "core.orders.offers: at least one offer", the market URL). Opens no connection.
    static Result<std::unique_ptr<OrderPublisher>> open(store::Database& db, SchedulerStore& store, Clock& clock,
                                                        const PrivateKey& owner, CategoryTimeSource category_time,
                                                        OrderPublisherOptions options);
    ~OrderPublisher();
    OrderPublisher(const OrderPublisher&) = delete;
    OrderPublisher& operator=(const OrderPublisher&) = delete;

    //! A round when something changed (see the header comment); true when one ran. Errors: the database's.
    Result<bool> tick();
    //! One full round: resume pending rows, refresh from the market, plan, store the new intents, execute them.
    //! A market failure is not an error (report.market_failed; rows stay pending); a database failure is.
    Result<PolicyRoundReport> round();

    //! Every stored row (tests, tools), oldest first.
    Result<std::vector<PolicyOrderRecord>> rows();
    //! The dashboard's view: {"market","enabled":true,"refreshedMs","error","offers":[{offer, plan terms}],
    //! "orders":[open rows: {"orderHash","remaining","volume","price","tag","category","trust",
    //! "publicationTimestamp","state"}]} as of the last round.
    boost::json::object view() const;

  private:
    struct Impl;
    explicit OrderPublisher(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace wp::scheduler
