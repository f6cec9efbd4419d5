#include "sync.hpp"

#include <algorithm>
#include <limits>
#include <variant>

#include <boost/json.hpp>

#include <wp/chain/poco_events.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

#include "documents.hpp"
#include "order_book.hpp"

namespace wp::market {

namespace json = boost::json;
namespace ev = chain::events;

namespace {

Result<std::int64_t> db_int(std::uint64_t v, std::string_view what) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return make_error(Errc::kOverflow, std::string(what) + " " + std::to_string(v) + " exceeds the int64 range");
    return static_cast<std::int64_t>(v);
}

std::int64_t code(OrderStatus s) { return static_cast<std::int64_t>(s); }

Error hub_error(const chain::HubError& e) { return e.to_error(); }

std::string hash_payload(const Bytes32& h) { return json::serialize(json::value(to_hex(h.view()))); }

const Address kZero{};

std::optional<Bytes32> closed_order_hash(const chain::PocoEvent& event) {
    if (const auto* c = std::get_if<ev::ClosedAppOrder>(&event)) return c->order_hash;
    if (const auto* c = std::get_if<ev::ClosedDatasetOrder>(&event)) return c->order_hash;
    if (const auto* c = std::get_if<ev::ClosedWorkerpoolOrder>(&event)) return c->order_hash;
    if (const auto* c = std::get_if<ev::ClosedRequestOrder>(&event)) return c->order_hash;
    return std::nullopt;
}

}  // namespace

std::optional<U256> workerpool_order_lock(const U256& price, const U256& remaining) {
    auto scaled = checked_mul(price, U256(30));
    if (!scaled) return std::nullopt;
    auto per_task = checked_div(*scaled, U256(100));
    if (!per_task) return std::nullopt;
    auto lock = checked_mul(*per_task, remaining);
    if (!lock) return std::nullopt;
    return *lock;
}

std::optional<U256> request_order_cost(const RequestOrder& order, const U256& remaining) {
    auto sum = checked_add(order.appmaxprice, order.datasetmaxprice);
    if (!sum) return std::nullopt;
    auto price = checked_add(*sum, order.workerpoolmaxprice);
    if (!price) return std::nullopt;
    auto cost = checked_mul(*price, remaining);
    if (!cost) return std::nullopt;
    return *cost;
}

Result<SyncState> init_market_sync(store::Database& db, const MarketSyncOptions& options) {
    WP_TRY(const std::int64_t chain, db_int(options.chain_id, "chain id"));
    WP_TRY(const std::int64_t start, db_int(options.start_block, "start block"));
    const auto& a = options.addresses;
    if (a.hub.is_zero() || a.app_registry.is_zero() || a.dataset_registry.is_zero() || a.workerpool_registry.is_zero())
        return make_error(Errc::kInvalidArgument,
                          "market sync: options.addresses needs the hub and its three registries "
                          "(chain::Hub::resolve_addresses)");
    return db.write([&](store::Tx& tx) -> Result<SyncState> {
        WP_TRY(auto existing, load_sync_state(tx, options.chain_id));
        if (existing) {
            if (existing->hub != options.addresses.hub)
                return make_error(Errc::kInvalidArgument, "market sync for chain " + std::to_string(options.chain_id) +
                                                              ": the database follows hub " +
                                                              existing->hub.to_checksum() + ", not " +
                                                              options.addresses.hub.to_checksum());
            return std::move(*existing);
        }
        WP_TRY(auto n, tx.exec("INSERT INTO market_sync (chain_id, hub, start_block, complete, last_block, "
                               "last_block_ms) VALUES ($1, $2, $3, $4, $5, 0)",
                               chain, options.addresses.hub, start, options.complete ? 1 : 0, start - 1));
        (void)n;
        WP_TRY(auto stored, load_sync_state(tx, options.chain_id));
        if (!stored) return make_error(Errc::kIo, "market sync: the row just inserted is missing");
        return std::move(*stored);
    });
}

chain::MirrorOptions market_mirror_options(const MarketSyncOptions& options, chain::FeedOptions feed) {
    chain::MirrorOptions o;
    o.name = "market:" + std::to_string(options.chain_id) + ":" + options.addresses.hub.to_lower_hex();
    o.start_block = options.start_block;
    feed.addresses = {options.addresses.hub, options.addresses.app_registry, options.addresses.dataset_registry,
                      options.addresses.workerpool_registry};
    std::vector<Bytes32> topics;
    for (const auto& spec : chain::poco_event_specs()) {
        static constexpr std::string_view kNames[] = {
            "Transfer",           "OrdersMatched", "ClosedAppOrder", "ClosedDatasetOrder", "ClosedWorkerpoolOrder",
            "ClosedRequestOrder", "CreateCategory"};
        if (std::find(std::begin(kNames), std::end(kNames), spec.name) == std::end(kNames)) continue;
        if (std::find(topics.begin(), topics.end(), spec.topic0) == topics.end()) topics.push_back(spec.topic0);
    }
    feed.topics = {std::optional<std::vector<Bytes32>>(std::move(topics))};
    o.feed = std::move(feed);
    return o;
}

// ---- the operations of one log, inside the mirror's transaction ---------------------------------------------------

class SyncOps {
  public:
    SyncOps(MarketSyncHandler& h, chain::MirrorContext& ctx) : h_(h), ctx_(ctx), tx_(ctx.tx()) {}

    Result<void> init() {
        if (!h_.complete_) {  // market_sync.complete never changes: read once per handler
            WP_TRY(auto facts, StoredFacts::open(tx_, chain_id()));
            h_.complete_ = facts.sync().complete;
        }
        WP_TRY(block_, db_int(ctx_.block(), "block"));
        return {};
    }

    std::uint64_t chain_id() const { return h_.options_.chain_id; }
    bool complete() const { return *h_.complete_; }

    //! The stored facts (opened on first use; each lookup reads the rows as they are now in this transaction).
    Result<const StoredFacts*> facts() {
        if (!facts_) {
            WP_TRY(auto facts, StoredFacts::open(tx_, chain_id()));
            facts_.emplace(std::move(facts));
        }
        return &*facts_;
    }

    // -- orders --

    //! Changes a published order's status / remaining with its undo, its outbox event and the undo of that event;
    //! cascades to the dependent request orders when an app / dataset order leaves `open`.
    Result<void> change_order(const OrderRecord& before, const OrderState& next) {
        if (before.status == next.status && before.remaining == next.remaining) return {};
        WP_TRY(auto prev, set_order_state(tx_, chain_id(), before.order_hash, next, h_.now_ms()));
        if (!prev) return {};
        WP_TRY_VOID(
            ctx_.undo("UPDATE market_orders SET status = $1, remaining = $2 WHERE chain_id = $3 AND "
                      "order_hash = $4",
                      code(prev->status), prev->remaining, chain_id(), before.order_hash));
        ++h_.stats_.order_updates;
        OrderRecord old = before;
        old.status = prev->status;
        old.remaining = prev->remaining;
        OrderRecord now = before;
        now.status = next.status;
        now.remaining = next.remaining;
        const OrderKind kind = kind_of(before.order);
        const std::string key(order_key(kind));
        const bool was_open = prev->status == OrderStatus::kOpen;
        const bool is_open = next.status == OrderStatus::kOpen;
        if (was_open && is_open) {
            // As the reference watcher: the document without chainId (eventsListener.js strips it).
            WP_TRY_VOID(event(kTopicOrders, key + "_updated",
                              json::serialize(order_document(now, {.with_chain_id = false})),
                              json::serialize(order_document(old, {.with_chain_id = false}))));
        } else if (was_open) {
            WP_TRY_VOID(event(kTopicOrders, key + "_unpublished", hash_payload(before.order_hash),
                              json::serialize(order_document(old, {.with_chain_id = false})), key + "_published"));
        } else if (is_open) {
            WP_TRY_VOID(event(kTopicOrders, key + "_published",
                              json::serialize(order_document(now, {.with_chain_id = false})),
                              hash_payload(before.order_hash), key + "_unpublished"));
        }
        if (was_open && !is_open && (kind == OrderKind::kApp || kind == OrderKind::kDataset))
            WP_TRY_VOID(clean_dependents(now));
        return {};
    }

    //! Appends an outbox event, and records as undo the event that restores the previous view (same event name
    //! unless `undo_event` is given; no undo event when undo_payload is empty).
    Result<void> event(std::string_view topic, const std::string& name, const std::string& payload,
                       const std::string& undo_payload, const std::string& undo_event = {}) {
        const std::int64_t now = h_.now_ms();
        WP_TRY(auto seq, append_event(tx_, chain_id(), topic, name, payload, now));
        (void)seq;
        ++h_.stats_.events;
        if (undo_payload.empty()) return {};
        return ctx_.undo(
            "INSERT INTO market_events (chain_id, topic, event, payload, created_ms) VALUES ($1, $2, $3, "
            "$4, $5)",
            chain_id(), std::string(topic), undo_event.empty() ? name : undo_event, undo_payload, now);
    }

    //! A matchable open app order for this request order exists (the reference's checkMatchableApporder).
    Result<bool> matchable_app(const RequestOrder& r) {
        const bool tee = tag_has_bit(r.tag, 0);
        WP_TRY(
            auto row,
            tx_.query_opt(std::string("SELECT 1 FROM market_orders WHERE chain_id = $1 AND kind = $2 AND status = "
                                      "$3 AND resource = $4 AND (workerpool_restrict = $5 OR workerpool_restrict = "
                                      "$6) AND (dataset_restrict = $5 OR dataset_restrict = $7) AND "
                                      "(requester_restrict = $5 OR requester_restrict = $8) AND price <= $9") +
                              (tee ? " AND (tag_w0 & 1) = 1" : "") + " LIMIT 1",
                          chain_id(), static_cast<std::int64_t>(kind_code(OrderKind::kApp)), code(OrderStatus::kOpen),
                          r.app, kZero, r.workerpool, r.dataset, r.requester, r.appmaxprice));
        return row.has_value();
    }

    //! A matchable open dataset order for this request order exists (checkMatchableDatasetorder).
    Result<bool> matchable_dataset(const RequestOrder& r) {
        WP_TRY(auto row, tx_.query_opt("SELECT 1 FROM market_orders WHERE chain_id = $1 AND kind = $2 AND status = $3 "
                                       "AND resource = $4 AND (workerpool_restrict = $5 OR workerpool_restrict = $6) "
                                       "AND (app_restrict = $5 OR app_restrict = $7) AND (requester_restrict = $5 OR "
                                       "requester_restrict = $8) AND price <= $9 LIMIT 1",
                                       chain_id(), static_cast<std::int64_t>(kind_code(OrderKind::kDataset)),
                                       code(OrderStatus::kOpen), r.dataset, kZero, r.workerpool, r.app, r.requester,
                                       r.datasetmaxprice));
        return row.has_value();
    }

    //! An app / dataset order left `open`: its open request orders without another matchable order → dead.
    Result<void> clean_dependents(const OrderRecord& gone) {
        OrderSelection sel;
        sel.kind = OrderKind::kRequest;
        sel.status = OrderStatus::kOpen;
        const bool app = kind_of(gone.order) == OrderKind::kApp;
        if (app) sel.app = std::get<AppOrder>(gone.order).app;
        else sel.dataset = std::get<DatasetOrder>(gone.order).dataset;
        WP_TRY(auto requests, select_orders(tx_, chain_id(), sel));
        for (const auto& r : requests) {
            const auto& request = std::get<RequestOrder>(r.order);
            WP_TRY(bool ok, app ? matchable_app(request) : matchable_dataset(request));
            if (!ok) WP_TRY_VOID(change_order(r, {OrderStatus::kDead, r.remaining}));
        }
        return {};
    }

    //! The header's alive(order).
    Result<bool> alive(const OrderRecord& o) {
        if (o.remaining.is_zero()) return false;
        const auto owned = [&](Registry registry, const Address& entry) -> Result<bool> {
            WP_TRY(const StoredFacts* f, facts());
            WP_TRY(auto owner, f->owner(registry, entry));
            return owner && !owner->is_zero() && *owner == o.signer;
        };
        const auto covered = [&](const std::optional<U256>& need) -> Result<bool> {
            if (!need) return false;
            WP_TRY(const StoredFacts* f, facts());
            WP_TRY(auto stake, f->stake(o.signer));
            return stake && *stake >= *need;
        };
        switch (kind_of(o.order)) {
            case OrderKind::kApp: return owned(Registry::kApp, std::get<AppOrder>(o.order).app);
            case OrderKind::kDataset: return owned(Registry::kDataset, std::get<DatasetOrder>(o.order).dataset);
            case OrderKind::kWorkerpool: {
                const auto& w = std::get<WorkerpoolOrder>(o.order);
                WP_TRY(bool own, owned(Registry::kWorkerpool, w.workerpool));
                if (!own) return false;
                if (w.workerpoolprice.is_zero()) return true;
                return covered(workerpool_order_lock(w.workerpoolprice, o.remaining));
            }
            case OrderKind::kRequest: {
                const auto& r = std::get<RequestOrder>(o.order);
                WP_TRY(bool paid, covered(request_order_cost(r, o.remaining)));
                if (!paid) return false;
                WP_TRY(bool app, matchable_app(r));
                if (!app) return false;
                if (r.dataset.is_zero()) return true;
                return matchable_dataset(r);
            }
        }
        return false;
    }

    //! The dead orders of `signer` (of `kind`, optionally for one resource) that are alive again → open.
    Result<void> revive(OrderKind kind, const Address& signer, const std::optional<Address>& resource) {
        OrderSelection sel;
        sel.kind = kind;
        sel.status = OrderStatus::kDead;
        sel.signer = signer;
        sel.resource = resource;
        WP_TRY(auto dead, select_orders(tx_, chain_id(), sel));
        for (const auto& o : dead) {
            WP_TRY(bool ok, alive(o));
            if (ok) WP_TRY_VOID(change_order(o, {OrderStatus::kOpen, o.remaining}));
        }
        return {};
    }

    //! After a transaction: the open orders of `account` its stake no longer covers → dead; dead ones covered
    //! again → open.
    Result<void> check_account(const Address& account) {
        WP_TRY(auto row, tx_.query_opt("SELECT stake FROM market_accounts WHERE chain_id = $1 AND account = $2",
                                       chain_id(), account));
        if (!row) return {};
        WP_TRY(bool signs, signs_staked_orders(account));
        if (!signs) return {};  // most transfers (workers' rewards, the hub's own account) end here
        WP_TRY(U256 stake, row->get<U256>(0));
        OrderSelection sel;
        sel.status = OrderStatus::kOpen;
        sel.signer = account;
        sel.kind = OrderKind::kWorkerpool;
        WP_TRY(auto pools, select_orders(tx_, chain_id(), sel));
        for (const auto& o : pools) {
            const auto& w = std::get<WorkerpoolOrder>(o.order);
            if (w.workerpoolprice.is_zero() || o.remaining.is_zero()) continue;
            const auto lock = workerpool_order_lock(w.workerpoolprice, o.remaining);
            if (!lock || stake < *lock) WP_TRY_VOID(change_order(o, {OrderStatus::kDead, o.remaining}));
        }
        sel.kind = OrderKind::kRequest;
        WP_TRY(auto requests, select_orders(tx_, chain_id(), sel));
        for (const auto& o : requests) {
            if (o.remaining.is_zero()) continue;
            const auto cost = request_order_cost(std::get<RequestOrder>(o.order), o.remaining);
            if (!cost || stake < *cost) WP_TRY_VOID(change_order(o, {OrderStatus::kDead, o.remaining}));
        }
        WP_TRY_VOID(revive(OrderKind::kWorkerpool, account, std::nullopt));
        return revive(OrderKind::kRequest, account, std::nullopt);
    }

    // -- chain state rows --

    //! Whether `account` signs stored workerpool or request orders (the only ones a stake matters to).
    Result<bool> signs_staked_orders(const Address& account) {
        WP_TRY(auto row, tx_.query_opt("SELECT 1 FROM market_orders WHERE chain_id = $1 AND kind IN ($2, $3) AND "
                                       "signer = $4 LIMIT 1",
                                       chain_id(), static_cast<std::int64_t>(kind_code(OrderKind::kWorkerpool)),
                                       static_cast<std::int64_t>(kind_code(OrderKind::kRequest)), account));
        return row.has_value();
    }

    //! market_accounts[account] ± value (see the header for a missing row).
    Result<void> move_stake(const Address& account, const U256& value, bool credit) {
        WP_TRY(auto row, tx_.query_opt("SELECT stake, block_number FROM market_accounts WHERE chain_id = $1 AND "
                                       "account = $2",
                                       chain_id(), account));
        U256 base;
        if (row) {
            WP_TRY(base, row->get<U256>(0));
        } else if (!complete()) {
            WP_TRY(bool signs, signs_staked_orders(account));
            if (!signs) return {};
            auto before = h_.hub_.view_account(account, chain::BlockTag::number(previous_block()));
            if (!before) return make_error(hub_error(before.error()));
            ++h_.stats_.base_fetches;
            base = before->stake;
        }
        auto next = credit ? checked_add(base, value) : checked_sub(base, value);
        if (!next)
            return make_error(Errc::kInvalidArgument, "market sync: the stake of " + account.to_checksum() +
                                                          " would leave the uint256 range (" + base.to_dec() +
                                                          (credit ? " + " : " - ") + value.to_dec() +
                                                          "): an earlier event was missed");
        if (row) {
            WP_TRY(std::int64_t old_block, row->get<std::int64_t>(1));
            WP_TRY(auto n, tx_.exec("UPDATE market_accounts SET stake = $1, block_number = $2 WHERE chain_id = $3 AND "
                                    "account = $4",
                                    *next, block_, chain_id(), account));
            (void)n;
            WP_TRY_VOID(
                ctx_.undo("UPDATE market_accounts SET stake = $1, block_number = $2 WHERE chain_id = $3 AND "
                          "account = $4",
                          base, old_block, chain_id(), account));
        } else {
            WP_TRY(auto n, tx_.exec("INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, "
                                    "$2, $3, $4)",
                                    chain_id(), account, *next, block_));
            (void)n;
            WP_TRY_VOID(
                ctx_.undo("DELETE FROM market_accounts WHERE chain_id = $1 AND account = $2", chain_id(), account));
        }
        h_.touched_.insert(account);
        return {};
    }

    //! market_consumed[hash] += volume. Returns the new value, nullopt when the row is not kept (incomplete mirror,
    //! hash not needed).
    Result<std::optional<U256>> add_consumed(const Bytes32& hash, const U256& volume, bool needed) {
        WP_TRY(auto row, tx_.query_opt("SELECT consumed, block_number FROM market_consumed WHERE chain_id = $1 AND "
                                       "order_hash = $2",
                                       chain_id(), hash));
        U256 base;
        if (row) {
            WP_TRY(base, row->get<U256>(0));
        } else if (!complete()) {
            if (!needed) return std::optional<U256>{};
            auto before = h_.hub_.view_consumed(hash, chain::BlockTag::number(previous_block()));
            if (!before) return make_error(hub_error(before.error()));
            ++h_.stats_.base_fetches;
            base = *before;
        }
        auto next = checked_add(base, volume);
        if (!next) return make_error(Errc::kOverflow, "market sync: consumed volume of " + to_hex(hash.view()));
        WP_TRY_VOID(put_consumed(hash, *next, row));
        return std::optional<U256>(*next);
    }

    Result<void> put_consumed(const Bytes32& hash, const U256& value, const std::optional<store::Row>& row) {
        if (row) {
            WP_TRY(U256 old, row->get<U256>(0));
            WP_TRY(std::int64_t old_block, row->get<std::int64_t>(1));
            WP_TRY(auto n, tx_.exec("UPDATE market_consumed SET consumed = $1, block_number = $2 WHERE chain_id = $3 "
                                    "AND order_hash = $4",
                                    value, block_, chain_id(), hash));
            (void)n;
            return ctx_.undo(
                "UPDATE market_consumed SET consumed = $1, block_number = $2 WHERE chain_id = $3 AND "
                "order_hash = $4",
                old, old_block, chain_id(), hash);
        }
        WP_TRY(auto n, tx_.exec("INSERT INTO market_consumed (chain_id, order_hash, consumed, block_number) VALUES "
                                "($1, $2, $3, $4)",
                                chain_id(), hash, value, block_));
        (void)n;
        return ctx_.undo("DELETE FROM market_consumed WHERE chain_id = $1 AND order_hash = $2", chain_id(), hash);
    }

    //! A closed order: m_consumed[hash] = its volume (PoCo manage*Order CLOSE).
    Result<void> close_consumed(const Bytes32& hash, const std::optional<OrderRecord>& published) {
        WP_TRY(auto row, tx_.query_opt("SELECT consumed, block_number FROM market_consumed WHERE chain_id = $1 AND "
                                       "order_hash = $2",
                                       chain_id(), hash));
        U256 value;
        if (published) {
            value = order_volume(published->order);
        } else {
            if (!row && !complete()) return {};
            // Read for the whole batch by prepare() (after a CLOSE the value no longer changes).
            auto prepared = h_.prepared_.closed_consumed.find(hash);
            if (prepared == h_.prepared_.closed_consumed.end())
                return make_error(Errc::kInvalidArgument, "market sync: the consumed volume of closed order " +
                                                              to_hex(hash.view()) + " was not prepared");
            value = prepared->second;
        }
        return put_consumed(hash, value, row);
    }

    //! market_owners[entry] = owner (registry).
    Result<void> set_owner(Registry registry, const Address& entry, const Address& owner) {
        WP_TRY(auto row, tx_.query_opt("SELECT registry, owner, block_number FROM market_owners WHERE chain_id = $1 "
                                       "AND entry = $2",
                                       chain_id(), entry));
        if (row) {
            WP_TRY(std::int64_t old_registry, row->get<std::int64_t>(0));
            WP_TRY(Address old_owner, row->get<Address>(1));
            WP_TRY(std::int64_t old_block, row->get<std::int64_t>(2));
            WP_TRY(auto n, tx_.exec("UPDATE market_owners SET registry = $1, owner = $2, block_number = $3 WHERE "
                                    "chain_id = $4 AND entry = $5",
                                    static_cast<std::int64_t>(registry), owner, block_, chain_id(), entry));
            (void)n;
            return ctx_.undo(
                "UPDATE market_owners SET registry = $1, owner = $2, block_number = $3 WHERE chain_id = "
                "$4 AND entry = $5",
                old_registry, old_owner, old_block, chain_id(), entry);
        }
        WP_TRY(auto n, tx_.exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES "
                                "($1, $2, $3, $4, $5)",
                                chain_id(), entry, static_cast<std::int64_t>(registry), owner, block_));
        (void)n;
        return ctx_.undo("DELETE FROM market_owners WHERE chain_id = $1 AND entry = $2", chain_id(), entry);
    }

    // -- events --

    Result<void> on_match(const chain::Log& log, const ev::OrdersMatched& m) {
        auto deal = h_.prepared_.deals.find(m.deal_id);
        if (deal == h_.prepared_.deals.end())
            return make_error(Errc::kInvalidArgument,
                              "market sync: OrdersMatched of deal " + to_hex(m.deal_id.view()) + " was not prepared");
        const Deal& d = deal->second;
        DealRecord rec;
        rec.chain_id = chain_id();
        rec.deal_id = m.deal_id;
        rec.app = d.app.pointer;
        rec.app_owner = d.app.owner;
        rec.app_price = d.app.price;
        rec.dataset = d.dataset.pointer;
        rec.dataset_owner = d.dataset.owner;
        rec.dataset_price = d.dataset.price;
        rec.workerpool = d.workerpool.pointer;
        rec.workerpool_owner = d.workerpool.owner;
        rec.workerpool_price = d.workerpool.price;
        rec.requester = d.requester;
        rec.beneficiary = d.beneficiary;
        rec.callback = d.callback;
        rec.app_hash = m.app_hash;
        rec.dataset_hash = m.dataset_hash;
        rec.workerpool_hash = m.workerpool_hash;
        rec.request_hash = m.request_hash;
        rec.params = d.params;
        rec.volume = m.volume;
        rec.category = d.category;
        rec.trust = d.trust;
        rec.start_time = d.start_time;
        rec.bot_first = d.bot_first;
        rec.bot_size = d.bot_size;
        rec.scheduler_reward_ratio = d.scheduler_reward_ratio;
        rec.worker_stake = d.worker_stake;
        rec.tag = d.tag;
        rec.block_number = log.block_number;
        auto ms = h_.prepared_.block_ms.find(log.block_number);
        rec.block_timestamp_ms = ms == h_.prepared_.block_ms.end() ? 0 : ms->second;
        rec.transaction_hash = log.transaction_hash;
        WP_TRY(bool inserted, insert_deal(tx_, rec, log.log_index));
        if (inserted) {
            WP_TRY_VOID(
                ctx_.undo("DELETE FROM market_deals WHERE chain_id = $1 AND deal_id = $2", chain_id(), m.deal_id));
            ++h_.stats_.deals;
            WP_TRY_VOID(event(kTopicDeals, "deal_created", json::serialize(deal_document(rec)), {}));
        }
        // The request order first: when the app / dataset order is filled by this match, its dependent request
        // orders are judged with this one already up to date.
        const std::pair<Bytes32, OrderKind> hashes[] = {{m.request_hash, OrderKind::kRequest},
                                                        {m.workerpool_hash, OrderKind::kWorkerpool},
                                                        {m.dataset_hash, OrderKind::kDataset},
                                                        {m.app_hash, OrderKind::kApp}};
        for (const auto& [hash, kind] : hashes) {
            if (hash.is_zero()) continue;
            WP_TRY(auto published, find_order(tx_, chain_id(), hash, kind));
            WP_TRY(auto consumed, add_consumed(hash, m.volume, published.has_value()));
            if (!published || !consumed) continue;
            const U256& volume = order_volume(published->order);
            const U256 left = volume > *consumed ? checked_sub(volume, *consumed).value_or(U256(0)) : U256(0);
            OrderState next{published->status, std::min(published->remaining, left)};
            if (next.remaining.is_zero() &&
                (published->status == OrderStatus::kOpen || published->status == OrderStatus::kDead))
                next.status = OrderStatus::kFilled;
            WP_TRY_VOID(change_order(*published, next));
        }
        return {};
    }

    Result<void> on_close(const Bytes32& hash, OrderKind kind) {
        WP_TRY(auto published, find_order(tx_, chain_id(), hash, kind));
        WP_TRY_VOID(close_consumed(hash, published));
        if (!published || published->status == OrderStatus::kCanceled) return {};
        return change_order(*published, {OrderStatus::kCanceled, U256(0)});
    }

    Result<void> on_registry_transfer(Registry registry, const ev::Erc721Transfer& t) {
        const Address entry = Address::from_word(t.token_id.to_be32());
        WP_TRY_VOID(set_owner(registry, entry, t.to));
        const OrderKind kind = registry == Registry::kApp       ? OrderKind::kApp
                               : registry == Registry::kDataset ? OrderKind::kDataset
                                                                : OrderKind::kWorkerpool;
        if (!t.from.is_zero() && t.from != t.to) {
            OrderSelection sel;
            sel.kind = kind;
            sel.status = OrderStatus::kOpen;
            sel.signer = t.from;
            sel.resource = entry;
            WP_TRY(auto orders, select_orders(tx_, chain_id(), sel));
            for (const auto& o : orders) WP_TRY_VOID(change_order(o, {OrderStatus::kDead, o.remaining}));
        }
        if (!t.to.is_zero()) WP_TRY_VOID(revive(kind, t.to, entry));
        return {};
    }

    Result<void> on_category(const chain::Log& log, const ev::CreateCategory& c) {
        if (!c.catid.fits_u64()) return make_error(Errc::kOverflow, "CreateCategory: catid " + c.catid.to_dec());
        CategoryRecord rec;
        rec.chain_id = chain_id();
        rec.catid = c.catid.low_u64();
        rec.name = c.name;
        rec.description = c.description;
        rec.work_clock_time_ref = c.work_clock_time_ref;
        rec.transaction_hash = log.transaction_hash;
        rec.block_number = log.block_number;
        auto ms = h_.prepared_.block_ms.find(log.block_number);
        rec.block_timestamp_ms = ms == h_.prepared_.block_ms.end() ? 0 : ms->second;
        WP_TRY(bool inserted, insert_category(tx_, rec));
        if (inserted)
            WP_TRY_VOID(
                ctx_.undo("DELETE FROM market_categories WHERE chain_id = $1 AND catid = $2", chain_id(), rec.catid));
        return {};
    }

  private:
    std::uint64_t previous_block() const { return ctx_.block() > 0 ? ctx_.block() - 1 : 0; }

    MarketSyncHandler& h_;
    chain::MirrorContext& ctx_;
    store::Tx& tx_;
    std::optional<StoredFacts> facts_;
    std::int64_t block_{0};
};

// ---- the handler ------------------------------------------------------------------------------------------------

MarketSyncHandler::MarketSyncHandler(chain::Hub& hub, MarketSyncOptions options, Clock* clock)
    : hub_(hub), options_(std::move(options)), clock_(clock) {}

std::int64_t MarketSyncHandler::now_ms() const {
    return clock_ != nullptr ? clock_->unix_ms() : system_clock().unix_ms();
}

Result<void> MarketSyncHandler::prepare(const chain::FeedBatch& batch) {
    prepared_ = Prepared{};
    touched_.clear();
    if (batch.logs.empty()) return {};
    prepared_.first_log = std::make_pair(batch.logs.front().block_number, batch.logs.front().log_index);
    std::vector<Bytes32> deal_ids;
    std::vector<Bytes32> closed_hashes;
    std::vector<std::uint64_t> blocks;
    for (const auto& log : batch.logs) {
        if (log.address != options_.addresses.hub) continue;
        auto event = chain::decode_poco_event(log);
        if (!event) continue;  // apply() reports a log that does not decode
        if (const auto* m = std::get_if<ev::OrdersMatched>(&*event)) {
            deal_ids.push_back(m->deal_id);
        } else if (const auto closed = closed_order_hash(*event)) {
            closed_hashes.push_back(*closed);
            continue;
        } else if (!std::holds_alternative<ev::CreateCategory>(*event)) {
            continue;
        }
        if (blocks.empty() || blocks.back() != log.block_number) blocks.push_back(log.block_number);
    }
    if (!deal_ids.empty()) {
        const std::uint64_t last = batch.logs.back().block_number;
        auto deals = hub_.view_deals(deal_ids, chain::BlockTag::number(last));
        for (std::size_t i = 0; i < deals.size(); ++i) {
            if (!deals[i]) return make_error(hub_error(deals[i].error()));
            prepared_.deals[deal_ids[i]] = std::move(*deals[i]);
        }
    }
    if (!closed_hashes.empty()) {
        // m_consumed of the closed orders (= their volume): used for the hashes that are not published.
        std::vector<chain::ContractCall> calls;
        calls.reserve(closed_hashes.size());
        for (const auto& h : closed_hashes) {
            auto call = hub_.build(chain::HubFn::kViewConsumed, hub_.address(), {AbiValue::fixed_bytes(h.view())});
            if (!call) return make_error(hub_error(call.error()));
            calls.push_back(std::move(*call));
        }
        auto answers = hub_.simulate_batch(calls, chain::BlockTag::number(batch.logs.back().block_number));
        for (std::size_t i = 0; i < answers.size(); ++i) {
            if (!answers[i]) return make_error(hub_error(answers[i].error()));
            auto values = chain::decode_outputs(chain::HubFn::kViewConsumed, ByteView(*answers[i]));
            if (!values) return make_error(hub_error(values.error()));
            const U256* consumed = values->at(0).as_uint();
            if (consumed == nullptr) return make_error(Errc::kDecoding, "viewConsumed: expected a uint256");
            prepared_.closed_consumed[closed_hashes[i]] = *consumed;
        }
    }
    if (!blocks.empty()) {
        std::vector<chain::RpcCall> calls;
        calls.reserve(blocks.size());
        for (auto b : blocks)
            calls.push_back(
                {"eth_getBlockByNumber", json::array{json::value(chain::BlockTag::number(b).str()), false}});
        auto answers = chain::batch_chunked(hub_.eth().rpc(), std::move(calls));
        for (std::size_t i = 0; i < answers.size(); ++i) {
            if (!answers[i]) return make_error(answers[i].error().to_error());
            if (answers[i]->is_null())
                return make_error(Errc::kRemote, "eth_getBlockByNumber: block " + std::to_string(blocks[i]) +
                                                     " not found (the chain moved)");
            WP_TRY(auto header, chain::parse_block_header(*answers[i]));
            if (header.timestamp > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1000))
                return make_error(Errc::kOverflow, "block " + std::to_string(blocks[i]) + ": timestamp too large");
            prepared_.block_ms[blocks[i]] = static_cast<std::int64_t>(header.timestamp) * 1000;
        }
    }
    return {};
}

Result<void> MarketSyncHandler::apply(chain::MirrorContext& ctx, const chain::Log& log, const chain::PocoEvent* event) {
    // A store retry runs the batch's transaction again from its first log: forget the previous attempt's state.
    if (prepared_.first_log && *prepared_.first_log == std::make_pair(log.block_number, log.log_index))
        touched_.clear();
    if (event == nullptr) return {};
    const Address& from = log.address;
    const auto& a = options_.addresses;
    SyncOps ops(*this, ctx);
    const bool hub = from == a.hub;
    if (hub) {
        if (const auto* m = std::get_if<ev::OrdersMatched>(event)) {
            WP_TRY_VOID(ops.init());
            return ops.on_match(log, *m);
        }
        if (const auto* t = std::get_if<ev::Erc20Transfer>(event)) {
            if (t->value.is_zero()) return {};
            WP_TRY_VOID(ops.init());
            if (!t->from.is_zero()) WP_TRY_VOID(ops.move_stake(t->from, t->value, false));
            if (!t->to.is_zero()) WP_TRY_VOID(ops.move_stake(t->to, t->value, true));
            return {};
        }
        std::optional<std::pair<Bytes32, OrderKind>> closed;
        if (const auto* c = std::get_if<ev::ClosedAppOrder>(event)) closed.emplace(c->order_hash, OrderKind::kApp);
        if (const auto* c = std::get_if<ev::ClosedDatasetOrder>(event))
            closed.emplace(c->order_hash, OrderKind::kDataset);
        if (const auto* c = std::get_if<ev::ClosedWorkerpoolOrder>(event))
            closed.emplace(c->order_hash, OrderKind::kWorkerpool);
        if (const auto* c = std::get_if<ev::ClosedRequestOrder>(event))
            closed.emplace(c->order_hash, OrderKind::kRequest);
        if (closed) {
            WP_TRY_VOID(ops.init());
            return ops.on_close(closed->first, closed->second);
        }
        if (const auto* c = std::get_if<ev::CreateCategory>(event)) {
            WP_TRY_VOID(ops.init());
            return ops.on_category(log, *c);
        }
        return {};
    }
    const auto* t = std::get_if<ev::Erc721Transfer>(event);
    if (t == nullptr) return {};
    std::optional<Registry> registry;
    if (from == a.app_registry) registry = Registry::kApp;
    else if (from == a.dataset_registry) registry = Registry::kDataset;
    else if (from == a.workerpool_registry) registry = Registry::kWorkerpool;
    if (!registry) return {};
    WP_TRY_VOID(ops.init());
    return ops.on_registry_transfer(*registry, *t);
}

Result<void> MarketSyncHandler::transaction_applied(chain::MirrorContext& ctx) {
    if (touched_.empty()) return {};
    const std::set<Address> accounts = std::move(touched_);
    touched_.clear();
    SyncOps ops(*this, ctx);
    WP_TRY_VOID(ops.init());
    for (const auto& account : accounts) WP_TRY_VOID(ops.check_account(account));
    return {};
}

Result<void> MarketSyncHandler::rolled_back(store::Tx& tx, std::uint64_t from_block) {
    touched_.clear();
    WP_TRY(const std::int64_t from, db_int(from_block, "block"));
    const std::uint64_t chain = options_.chain_id;
    // Rows still valid at a block >= from_block now are cold entries read on the abandoned branch (chain_state.hpp):
    // the mirror's own changes of those blocks were undone just before.
    for (const char* sql : {"DELETE FROM market_owners WHERE chain_id = $1 AND block_number >= $2",
                            "DELETE FROM market_accounts WHERE chain_id = $1 AND block_number >= $2",
                            "DELETE FROM market_consumed WHERE chain_id = $1 AND block_number >= $2",
                            "DELETE FROM market_categories WHERE chain_id = $1 AND block_number >= $2"}) {
        WP_TRY(auto n, tx.exec(sql, chain, from));
        (void)n;
    }
    WP_TRY(auto n, tx.exec("UPDATE market_sync SET last_block = $1 WHERE chain_id = $2", from - 1, chain));
    (void)n;
    return {};
}

Result<void> MarketSyncHandler::batch_applied(store::Tx& tx, const chain::FeedBatch& batch) {
    if (batch.block_count == 0) return {};
    WP_TRY(const std::int64_t last, db_int(batch.from_block + batch.block_count - 1, "block"));
    WP_TRY(auto n, tx.exec("UPDATE market_sync SET last_block = $1, last_block_ms = $2 WHERE chain_id = $3", last,
                           now_ms(), options_.chain_id));
    if (n != 1)
        return make_error(Errc::kInvalidArgument, "market sync for chain " + std::to_string(options_.chain_id) +
                                                      " is not initialised (init_market_sync)");
    return {};
}

}  // namespace wp::market
