#include "publish.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/net/json_body.hpp>
#include <wp/protocol/tag.hpp>

#include "documents.hpp"
#include "order_book.hpp"

namespace wp::market {
namespace {

PublishError refused(std::string message) { return PublishError{PublishError::Kind::kRefused, std::move(message)}; }
PublishError internal(const Error& e) { return PublishError{PublishError::Kind::kInternal, e.message}; }
PublishError internal(const chain::HubError& e) { return PublishError{PublishError::Kind::kInternal, e.message}; }

std::string kind_name(OrderKind kind) { return std::string(order_key(kind)); }

//! The registry and the resource of an app / dataset / workerpool order; nullopt for request orders.
std::optional<std::pair<Registry, Address>> registered_resource(const Order& order) {
    if (const auto* a = std::get_if<AppOrder>(&order)) return std::make_pair(Registry::kApp, a->app);
    if (const auto* d = std::get_if<DatasetOrder>(&order)) return std::make_pair(Registry::kDataset, d->dataset);
    if (const auto* w = std::get_if<WorkerpoolOrder>(&order))
        return std::make_pair(Registry::kWorkerpool, w->workerpool);
    return std::nullopt;
}

//! (price × 30 / 100) × remaining (PoCo's workerpool lock); nullopt when it exceeds 2^256 − 1.
std::optional<U256> workerpool_lock(const U256& price, const U256& remaining) {
    auto scaled = checked_mul(price, U256(30));
    if (!scaled) return std::nullopt;
    auto per_task = checked_div(*scaled, U256(100));
    if (!per_task) return std::nullopt;
    auto total = checked_mul(*per_task, remaining);
    if (!total) return std::nullopt;
    return *total;
}

//! (appmaxprice + datasetmaxprice + workerpoolmaxprice) × remaining; nullopt when it exceeds 2^256 − 1.
std::optional<U256> request_cost(const RequestOrder& r, const U256& remaining) {
    auto sum = checked_add(r.appmaxprice, r.datasetmaxprice);
    if (!sum) return std::nullopt;
    auto all = checked_add(*sum, r.workerpoolmaxprice);
    if (!all) return std::nullopt;
    auto total = checked_mul(*all, remaining);
    if (!total) return std::nullopt;
    return *total;
}

// What the rules read that the stored rows may lack (a cold entry of an incomplete mirror) or that needs the chain
// (a signature that does not recover locally): FetchedFacts / MissingFact (publish.hpp), fetched OUTSIDE any
// transaction, then the item is written again.
using Seen = FetchedFacts;
using ColdNeed = MissingFact;

constexpr std::string_view kColdMarker =
    "\x01"
    "cold";

PublishError cold() { return PublishError{PublishError::Kind::kInternal, std::string(kColdMarker)}; }
bool is_cold(const PublishError& e) { return e.kind == PublishError::Kind::kInternal && e.message == kColdMarker; }

Result<OrderStatus> order_status_of(std::int64_t code) {
    if (code < 0 || code > 3)
        return make_error(Errc::kDecoding, "market_orders: unknown status " + std::to_string(code));
    return static_cast<OrderStatus>(code);
}

// The stored facts a batch's rules read, loaded with a few statements per batch (IN lists over the batch's keys)
// instead of several per item, plus what the batch itself adds (orders accepted earlier in the batch). The lookups
// keep StoredFacts' semantics (chain_state.hpp): no row is the zero value on a complete mirror and "cold" otherwise.
class BatchFacts {
  public:
    struct Existing {
        OrderStatus status{OrderStatus::kOpen};
        std::int64_t published_ms{0};
    };

    explicit BatchFacts(std::uint64_t chain_id) : chain_id_(chain_id) {}

    //! Reads the chain's sync state and the facts of these items (all of this chain). Errors: the store's, or
    //! Errc::kInvalidArgument when the chain has no market_sync row.
    Result<void> load(store::Tx& tx, std::span<PreparedPublish* const> items) {
        std::vector<Bytes32> hashes;
        std::vector<Address> entries;
        std::vector<Address> callers;
        std::vector<std::int64_t> categories;
        std::vector<std::int64_t> kinds;
        for (const PreparedPublish* p : items) {
            hashes.push_back(p->hash);
            if (auto res = registered_resource(p->order)) entries.push_back(res->second);
            callers.push_back(p->caller);
            kinds.push_back(kind_code(kind_of(p->order)));
            if (const auto* w = std::get_if<WorkerpoolOrder>(&p->order))
                if (w->category.fits_u64() &&
                    w->category.low_u64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                    categories.push_back(static_cast<std::int64_t>(w->category.low_u64()));
        }
        unique(hashes);
        unique(entries);
        unique(callers);
        unique(categories);
        unique(kinds);
        // The lookups are independent: one query_batch (a single round trip on PostgreSQL).
        std::vector<store::Statement> statements;
        WP_TRY(store::Statement sync_statement, sync_state_statement(chain_id_));
        statements.push_back(std::move(sync_statement));
        const Span orders_at = add_in(statements,
                                      "SELECT order_hash, status, published_ms FROM market_orders WHERE chain_id = $1 "
                                      "AND order_hash IN (",
                                      {}, hashes);
        const Span owners_at = add_in(statements,
                                      "SELECT entry, registry, owner FROM market_owners WHERE chain_id = $1 AND "
                                      "entry IN (",
                                      {}, entries);
        // The stake rule reads the signer's stake, and the signer is the caller by then (rule 3).
        const Span stakes_at = add_in(
            statements, "SELECT account, stake FROM market_accounts WHERE chain_id = $1 AND account IN (", {}, callers);
        const Span consumed_at = add_in(statements,
                                        "SELECT order_hash, consumed FROM market_consumed WHERE chain_id = $1 AND "
                                        "order_hash IN (",
                                        {}, hashes);
        const Span categories_at = add_in(
            statements, "SELECT catid FROM market_categories WHERE chain_id = $1 AND catid IN (", {}, categories);
        std::vector<Span> open_at;
        for (std::int64_t kind : kinds)
            open_at.push_back(add_in(statements,
                                     "SELECT signer, COUNT(*) FROM market_orders WHERE chain_id = $1 AND kind = $2 "
                                     "AND status = $3 AND signer IN (",
                                     {kind, static_cast<std::int64_t>(OrderStatus::kOpen)}, callers,
                                     " GROUP BY signer"));
        WP_TRY(const std::vector<store::Rows> results, tx.query_batch(statements));

        WP_TRY(auto sync, sync_state_from(results.front(), chain_id_));
        if (!sync)
            return make_error(Errc::kInvalidArgument, "market sync for chain " + std::to_string(chain_id_) +
                                                          " is not initialised (market_sync has no row)");
        sync_ = std::move(*sync);

        for (std::size_t s = orders_at.first; s < orders_at.second; ++s)
            for (const auto& row : results[s]) {
                WP_TRY(Bytes32 h, row.get<Bytes32>(0));
                WP_TRY(std::int64_t code, row.get<std::int64_t>(1));
                WP_TRY(OrderStatus st, order_status_of(code));
                WP_TRY(std::int64_t published, row.get<std::int64_t>(2));
                existing_[h] = Existing{st, published};
            }
        for (std::size_t s = owners_at.first; s < owners_at.second; ++s)
            for (const auto& row : results[s]) {
                WP_TRY(Address e, row.get<Address>(0));
                WP_TRY(std::int64_t reg, row.get<std::int64_t>(1));
                WP_TRY(Address o, row.get<Address>(2));
                owners_[e] = std::make_pair(reg, o);
            }
        for (std::size_t s = stakes_at.first; s < stakes_at.second; ++s)
            for (const auto& row : results[s]) {
                WP_TRY(Address a, row.get<Address>(0));
                WP_TRY(U256 v, row.get<U256>(1));
                stakes_[a] = v;
            }
        for (std::size_t s = consumed_at.first; s < consumed_at.second; ++s)
            for (const auto& row : results[s]) {
                WP_TRY(Bytes32 h, row.get<Bytes32>(0));
                WP_TRY(U256 v, row.get<U256>(1));
                consumed_[h] = v;
            }
        for (std::size_t s = categories_at.first; s < categories_at.second; ++s)
            for (const auto& row : results[s]) {
                WP_TRY(std::int64_t id, row.get<std::int64_t>(0));
                categories_.insert(id);
            }
        for (std::size_t k = 0; k < kinds.size(); ++k)
            for (std::size_t s = open_at[k].first; s < open_at[k].second; ++s)
                for (const auto& row : results[s]) {
                    WP_TRY(Address a, row.get<Address>(0));
                    WP_TRY(std::int64_t n, row.get<std::int64_t>(1));
                    open_[std::make_pair(kinds[k], a)] = static_cast<std::uint64_t>(n);
                }
        return {};
    }

    std::optional<Existing> existing(const Bytes32& hash) const {
        auto it = existing_.find(hash);
        if (it == existing_.end()) return std::nullopt;
        return it->second;
    }
    //! StoredFacts::owner on the loaded rows.
    std::optional<Address> owner(Registry registry, const Address& entry) const {
        auto it = owners_.find(entry);
        if (it == owners_.end()) {
            if (sync_.complete) return Address{};
            return std::nullopt;
        }
        const auto& [stored_registry, owner] = it->second;
        if (stored_registry == static_cast<std::int64_t>(registry)) return owner;
        if (!owner.is_zero() || sync_.complete) return Address{};
        return std::nullopt;
    }
    std::optional<U256> stake(const Address& account) const {
        if (auto it = stakes_.find(account); it != stakes_.end()) return it->second;
        if (sync_.complete) return U256(0);
        return std::nullopt;
    }
    std::optional<U256> consumed(const Bytes32& hash) const {
        if (auto it = consumed_.find(hash); it != consumed_.end()) return it->second;
        if (sync_.complete) return U256(0);
        return std::nullopt;
    }
    std::optional<bool> category_exists(const U256& catid) const {
        if (!catid.fits_u64() || catid.low_u64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            return false;
        if (categories_.count(static_cast<std::int64_t>(catid.low_u64())) != 0) return true;
        if (sync_.complete) return false;
        return std::nullopt;
    }
    //! Open orders of `kind` by `signer`, those accepted earlier in the batch included. Only the callers of the
    //! batch were loaded, which is enough: the rule counts the signer's orders, and the signer is the caller.
    std::uint64_t open_orders(OrderKind kind, const Address& signer) const {
        auto it = open_.find(std::make_pair(kind_code(kind), signer));
        return it == open_.end() ? 0 : it->second;
    }
    //! An order accepted by the batch (written at the end of it).
    void accepted(const OrderRecord& record) {
        existing_[record.order_hash] = Existing{OrderStatus::kOpen, record.published_ms};
        open_[std::make_pair(kind_code(kind_of(record.order)), record.signer)] += 1;
    }

  private:
    template <class T>
    static void unique(std::vector<T>& v) {
        std::sort(v.begin(), v.end());
        v.erase(std::unique(v.begin(), v.end()), v.end());
    }

    // The statements [first, second) of a query_batch.
    using Span = std::pair<std::size_t, std::size_t>;

    // Appends the statements of one lookup: `head` ends with "IN (", the keys follow as parameters after `fixed` ($1
    // is the chain id), at most 256 keys per statement; none for no key. The key list is padded to a power of two
    // (repeating the last key) so that a few statement texts serve every batch size.
    template <class K>
    Span add_in(std::vector<store::Statement>& statements, std::string_view head, std::vector<store::Param> fixed,
                const std::vector<K>& keys, std::string_view tail = {}) const {
        const std::size_t first = statements.size();
        constexpr std::size_t kMaxChunk = 256;
        for (std::size_t start = 0; start < keys.size(); start += kMaxChunk) {
            const std::size_t n = std::min(kMaxChunk, keys.size() - start);
            std::size_t padded = 1;
            while (padded < n) padded *= 2;
            store::Statement& st = statements.emplace_back();
            st.params.reserve(1 + fixed.size() + padded);
            st.params.emplace_back(chain_id_);
            for (const auto& f : fixed) st.params.push_back(f);
            st.sql = head;
            for (std::size_t i = 0; i < padded; ++i) {
                if (i != 0) st.sql += ", ";
                st.sql += '$';
                st.sql += std::to_string(st.params.size() + 1);
                st.params.emplace_back(keys[start + std::min(i, n - 1)]);
            }
            st.sql += ")";
            st.sql += tail;
        }
        return Span{first, statements.size()};
    }

    std::uint64_t chain_id_;
    SyncState sync_;
    std::map<Bytes32, Existing> existing_;
    std::map<Address, std::pair<std::int64_t, Address>> owners_;
    std::map<Address, U256> stakes_;
    std::map<Bytes32, U256> consumed_;
    std::set<std::int64_t> categories_;
    std::map<std::pair<std::int64_t, Address>, std::uint64_t> open_;
};

// The facts of one item inside the batch's transaction: the batch's rows, else what was fetched before, else
// "cold" (the item's `need` says what to fetch).
class TxFacts {
  public:
    TxFacts(const BatchFacts& stored, const Seen& seen, ColdNeed& need) : stored_(stored), seen_(seen), need_(need) {}

    std::optional<BatchFacts::Existing> existing(const Bytes32& hash) const { return stored_.existing(hash); }
    std::uint64_t open_orders(OrderKind kind, const Address& signer) const { return stored_.open_orders(kind, signer); }

    PublishResult<Address> owner(Registry registry, const Address& entry) {
        if (auto o = stored_.owner(registry, entry)) return *o;
        if (seen_.owner) return *seen_.owner;
        need_ = ColdNeed{ColdNeed::What::kOwner, registry, entry, {}, {}};
        return tl::unexpected(cold());
    }
    PublishResult<U256> stake(const Address& account) {
        if (auto s = stored_.stake(account)) return *s;
        if (seen_.stake) return *seen_.stake;
        need_ = ColdNeed{ColdNeed::What::kStake, Registry::kApp, account, {}, {}};
        return tl::unexpected(cold());
    }
    PublishResult<U256> consumed(const Bytes32& hash) {
        if (auto c = stored_.consumed(hash)) return *c;
        if (seen_.consumed) return *seen_.consumed;
        need_ = ColdNeed{ColdNeed::What::kConsumed, Registry::kApp, {}, hash, {}};
        return tl::unexpected(cold());
    }
    PublishResult<bool> category_exists(const U256& catid) {
        if (auto c = stored_.category_exists(catid)) return *c;
        if (seen_.category) return *seen_.category;
        need_ = ColdNeed{ColdNeed::What::kCategory, Registry::kApp, {}, {}, catid};
        return tl::unexpected(cold());
    }
    //! The signature rule: the locally recovered signer, else the hub's answer (fetched outside).
    PublishResult<void> signature(const std::optional<Address>& recovered, const Address& signer, bool has_hub) {
        if (recovered && *recovered == signer) return {};
        if (!has_hub) return tl::unexpected(refused("invalid sign"));
        if (seen_.sign_valid) {
            if (*seen_.sign_valid) return {};
            return tl::unexpected(refused("invalid sign"));
        }
        need_ = ColdNeed{ColdNeed::What::kSignature, Registry::kApp, signer, {}, {}};
        return tl::unexpected(cold());
    }

  private:
    const BatchFacts& stored_;
    const Seen& seen_;
    ColdNeed& need_;
};

// Fetches what the transaction lacked (outside any transaction).
PublishResult<void> fetch_cold(const ChainContext& chain, const Order& order, const Bytes32& hash, const ColdNeed& need,
                               Seen& seen) {
    ChainState& state = *chain.state;
    switch (need.what) {
        case ColdNeed::What::kOwner: {
            auto o = state.owner(need.registry, need.address);
            if (!o) return tl::unexpected(internal(o.error()));
            seen.owner = o->value_or(Address{});
            return {};
        }
        case ColdNeed::What::kStake: {
            auto s = state.stake(need.address);
            if (!s) return tl::unexpected(internal(s.error()));
            seen.stake = *s;
            return {};
        }
        case ColdNeed::What::kConsumed: {
            auto c = state.consumed(need.hash);
            if (!c) return tl::unexpected(internal(c.error()));
            seen.consumed = *c;
            return {};
        }
        case ColdNeed::What::kCategory: {
            auto c = state.category_exists(need.catid);
            if (!c) return tl::unexpected(internal(c.error()));
            seen.category = *c;
            return {};
        }
        case ColdNeed::What::kSignature: {
            auto valid = chain.hub->verify_signature(need.address, hash, order_sign(order));
            if (!valid) {
                // A revert (e.g. a malformed signature for an EOA) is a refusal, a transport failure is not.
                if (valid.error().kind != Errc::kRemote) return tl::unexpected(internal(valid.error()));
                seen.sign_valid = false;
            } else {
                seen.sign_valid = *valid;
            }
            return {};
        }
        case ColdNeed::What::kNone: break;
    }
    return tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: nothing to fetch"});
}

struct Checked {
    Address signer;
    U256 remaining;
};

// The cheapest open apporder a request order can match (app, restricts 0x0 or the request's workerpool / dataset /
// requester, tee when the request has it); nullopt when there is none.
Result<std::optional<U256>> best_app_price(store::Tx& tx, std::uint64_t chain_id, const RequestOrder& r) {
    ApporderFilters apps;
    apps.app = AddressOrAny::of(r.app);
    apps.dataset.value = AddressOrAny::of(r.dataset);
    apps.workerpool.value = AddressOrAny::of(r.workerpool);
    apps.requester.value = AddressOrAny::of(r.requester);
    if (tag_has_bit(r.tag, kTagBitTee)) apps.min_tag = make_tag(kTagTee);
    apps.paging.page_size = kMinPageSize;
    WP_TRY(auto page, search_apporders(tx, chain_id, apps));
    if (page.orders.empty()) return std::optional<U256>{};
    return std::optional<U256>(std::get<AppOrder>(page.orders.front().order).appprice);
}

// The same for the request's dataset.
Result<std::optional<U256>> best_dataset_price(store::Tx& tx, std::uint64_t chain_id, const RequestOrder& r) {
    DatasetorderFilters datasets;
    datasets.dataset = AddressOrAny::of(r.dataset);
    datasets.app.value = AddressOrAny::of(r.app);
    datasets.workerpool.value = AddressOrAny::of(r.workerpool);
    datasets.requester.value = AddressOrAny::of(r.requester);
    datasets.paging.page_size = kMinPageSize;
    WP_TRY(auto page, search_datasetorders(tx, chain_id, datasets));
    if (page.orders.empty()) return std::optional<U256>{};
    return std::optional<U256>(std::get<DatasetOrder>(page.orders.front().order).datasetprice);
}

// After app (dataset) orders left the book: each open request order of those apps (datasets) that no longer has a
// matchable open app (dataset) order at its max price becomes dead, announced as requestorder_unpublished (the
// reference's cleanApporderDependantOrders / cleanDatasetorderDependantOrders).
Result<void> clean_dependent_requests(store::Tx& tx, std::uint64_t chain_id, OrderKind kind,
                                      const std::vector<Address>& resources, std::int64_t now) {
    for (const Address& resource : resources) {
        OrderSelection selection;
        selection.kind = OrderKind::kRequest;
        selection.status = OrderStatus::kOpen;
        if (kind == OrderKind::kApp) selection.app = resource;
        else selection.dataset = resource;
        WP_TRY(auto requests, select_orders(tx, chain_id, selection));
        for (const auto& rec : requests) {
            const auto& r = std::get<RequestOrder>(rec.order);
            WP_TRY(auto price,
                   kind == OrderKind::kApp ? best_app_price(tx, chain_id, r) : best_dataset_price(tx, chain_id, r));
            const U256& max = kind == OrderKind::kApp ? r.appmaxprice : r.datasetmaxprice;
            if (price && *price <= max) continue;
            WP_TRY(auto previous,
                   set_order_status(tx, chain_id, rec.order_hash, OrderStatus::kDead, now, OrderStatus::kOpen));
            if (previous)
                WP_TRY_VOID(append_event(tx, chain_id, kTopicOrders, "requestorder_unpublished",
                                         net::json_quote(to_hex(rec.order_hash)), now));
        }
    }
    return {};
}

// Rules 2..8 in the reference's order. `tx` reads the order book (a read snapshot or the write transaction).
PublishResult<Checked> check_rules(store::Tx& tx, const ChainContext& chain, const PublishOptions& options,
                                   const Order& order, const Bytes32& hash, const Address& caller, TxFacts& facts,
                                   const std::optional<Address>& recovered) {
    const OrderKind kind = kind_of(order);
    // 2. already published
    if (auto existing = facts.existing(hash); existing && existing->status != OrderStatus::kDead)
        return tl::unexpected(refused("order already published"));

    // 3. resource deployed, signer is owner
    Address signer;
    if (auto resource = registered_resource(order)) {
        auto owner = facts.owner(resource->first, resource->second);
        if (!owner) return tl::unexpected(owner.error());
        if (*owner == Address{}) return tl::unexpected(refused("Resource not deployed"));
        signer = *owner;
    } else {
        signer = std::get<RequestOrder>(order).requester;
    }
    if (signer != caller)
        return tl::unexpected(refused("only order signer " + signer.to_checksum() + " can publish an order"));

    // 4. signature
    if (auto sig = facts.signature(recovered, signer, chain.hub != nullptr); !sig) return tl::unexpected(sig.error());

    // 5. open orders per wallet
    if (facts.open_orders(kind, signer) >= options.max_open_orders_per_wallet)
        return tl::unexpected(refused("maximun of " + std::to_string(options.max_open_orders_per_wallet) +
                                      " published open " + kind_name(kind) + " has been reached for wallet " +
                                      signer.to_checksum()));

    // 6. remaining volume
    auto consumed = facts.consumed(hash);
    if (!consumed) return tl::unexpected(consumed.error());
    const U256& volume = order_volume(order);
    if (*consumed >= volume) return tl::unexpected(refused("order already consumed"));
    const U256 remaining = checked_sub(volume, *consumed).value();

    // 7. stake and, for request orders, matching app / dataset orders
    if (const auto* w = std::get_if<WorkerpoolOrder>(&order)) {
        auto stake = facts.stake(signer);
        if (!stake) return tl::unexpected(stake.error());
        auto lock = workerpool_lock(w->workerpoolprice, remaining);
        if (!lock || *stake < *lock)
            return tl::unexpected(refused("workerpool owner's stake is too low to cover required workerpool lock"));
    }
    if (const auto* r = std::get_if<RequestOrder>(&order)) {
        auto stake = facts.stake(signer);
        if (!stake) return tl::unexpected(stake.error());
        auto cost = request_cost(*r, remaining);
        if (!cost || *stake < *cost)
            return tl::unexpected(
                refused("requester stake is too low to cover requestorder payment, minimum stake "
                        "required is " +
                        (cost ? cost->to_dec() : std::string("more than ") + U256::max().to_dec()) + " nRLC"));
        const bool tee = tag_has_bit(r->tag, kTagBitTee);
        auto app_price = best_app_price(tx, chain.chain_id, *r);
        if (!app_price) return tl::unexpected(internal(app_price.error()));
        if (!*app_price)
            return tl::unexpected(refused(std::string("No ") + (tee ? "tee enabled " : "") +
                                          "apporder published for app " + r->app.to_checksum()));
        if (r->appmaxprice < **app_price)
            return tl::unexpected(refused("appmaxprice for app " + r->app.to_checksum() +
                                          " is too low, actual best price is " + (*app_price)->to_dec() + " nRLC"));
        if (r->dataset != Address{}) {
            auto ds_price = best_dataset_price(tx, chain.chain_id, *r);
            if (!ds_price) return tl::unexpected(internal(ds_price.error()));
            if (!*ds_price)
                return tl::unexpected(refused("No datasetorder published for dataset " + r->dataset.to_checksum()));
            if (r->datasetmaxprice < **ds_price)
                return tl::unexpected(refused("datasetmaxprice for dataset " + r->dataset.to_checksum() +
                                              " is too low, actual best price is " + (*ds_price)->to_dec() + " nRLC"));
        }
    }

    // 8. the seed's workerpool rules
    if (const auto* w = std::get_if<WorkerpoolOrder>(&order); w != nullptr && options.seed_rules) {
        // validate_workerpool_offer counts trust 0 as 1, as PoCo does (the SDK's default order: tee,tdx, trust 0).
        if (auto offer = validate_workerpool_offer(w->tag, w->trust); !offer)
            return tl::unexpected(refused(offer.error().message));
        auto exists = facts.category_exists(w->category);
        if (!exists) return tl::unexpected(exists.error());
        if (!*exists) return tl::unexpected(refused("category " + w->category.to_dec() + " does not exist"));
    }
    return Checked{signer, remaining};
}

template <class T>
PublishResult<T> from_store(Result<PublishResult<T>>&& r) {
    if (!r) return tl::unexpected(internal(r.error()));
    return std::move(*r);
}

}  // namespace

unsigned PublishError::http_status() const {
    switch (kind) {
        case Kind::kRefused: return 403;
        case Kind::kInvalid: return 400;
        case Kind::kInternal: return 500;
    }
    return 500;
}

PreparedPublish Publisher::prepare(const ChainContext& chain, Order order, const Address& caller) const {
    PreparedPublish p;
    p.chain = &chain;
    // 1. the hash on the chain's domain; the signer the signature gives (pure, outside any transaction).
    p.hash = order_hash(chain.domain, order);
    if (auto sig = Signature::parse(order_sign(order), Signature::Format::kStrict))
        if (auto a = recover_address(p.hash, *sig)) p.recovered = *a;
    p.order = std::move(order);
    p.caller = caller;
    return p;
}

namespace {

// The accepted orders of a batch not written yet: the rows and their events go in multi-row statements.
struct PendingWrites {
    std::vector<OrderRecord> orders;
    std::vector<MarketEvent> events;
    std::vector<std::size_t> items;  // the batch index of each order

    // Writes them (a dead row of the same hash is replaced: re-publication). Fewer rows inserted than orders
    // means another writer inserted one of the hashes since the batch read them: the transaction fails (and the
    // items are run again one by one, where that order is refused as already published).
    Result<void> flush(store::Tx& tx, const std::vector<Bytes32>& dead_rows, std::int64_t now) {
        if (orders.empty()) return {};
        for (const auto& h : dead_rows)
            WP_TRY_VOID(tx.exec("DELETE FROM market_orders WHERE chain_id = $1 AND order_hash = $2",
                                orders.front().chain_id, h));
        WP_TRY(std::int64_t inserted, insert_new_orders(tx, orders, now, events));
        if (inserted != static_cast<std::int64_t>(orders.size()))
            return make_error(Errc::kIo, "publish batch: an order of the batch was inserted by another writer");
        orders.clear();
        events.clear();
        items.clear();
        return {};
    }
};

// The reply document {"ok":true,"published":<document with chainId>} from the event's payload (the same document
// without chainId, which order_document writes right after "order"): no second document build.
std::string published_reply(const std::string& payload, std::uint64_t chain_id) {
    // Appended piecewise: gcc 12 reports a false -Wrestrict on `"\"" + std::to_string(...)`.
    std::string out = "{\"ok\":true,\"published\":";
    const auto at = payload.find(",\"remaining\":");
    if (at == std::string::npos) {  // not reached: every order document has "remaining"
        out += payload;
        out += '}';
        return out;
    }
    out.reserve(out.size() + payload.size() + 40);
    out.append(payload, 0, at);
    out += ",\"chainId\":";
    const bool as_number = chain_id <= 9007199254740991ULL;  // the documents' number rule (documents.hpp)
    if (!as_number) out += '"';
    out += std::to_string(chain_id);
    if (!as_number) out += '"';
    out.append(payload, at, std::string::npos);
    out += '}';
    return out;
}

}  // namespace

std::vector<BatchItemOutcome> Publisher::write_batch(std::span<PreparedPublish> batch) {
    std::vector<BatchItemOutcome> out(batch.size());
    if (batch.empty()) return out;
    const std::int64_t now = clock_.unix_ms();
    auto written = db_.write([&](store::Tx& tx) -> Result<int> {
        // Each attempt starts over (the store may run this function again after a retryable failure).
        for (std::size_t i = 0; i < batch.size(); ++i) {
            out[i] = BatchItemOutcome{};
            batch[i].missing = MissingFact{};
            if (batch[i].chain == nullptr || batch[i].chain->state == nullptr)
                out[i].result =
                    tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: chain state missing"});
        }
        // The batch's chains, in order of appearance (one in practice); each chain's items run in batch order.
        std::vector<std::uint64_t> chains;
        for (const auto& item : batch)
            if (item.chain != nullptr && item.chain->state != nullptr &&
                std::find(chains.begin(), chains.end(), item.chain->chain_id) == chains.end())
                chains.push_back(item.chain->chain_id);
        for (std::uint64_t chain_id : chains) {
            std::vector<PreparedPublish*> items;
            std::vector<std::size_t> index;
            for (std::size_t i = 0; i < batch.size(); ++i)
                if (batch[i].chain != nullptr && batch[i].chain->state != nullptr &&
                    batch[i].chain->chain_id == chain_id) {
                    items.push_back(&batch[i]);
                    index.push_back(i);
                }
            BatchFacts facts(chain_id);
            WP_TRY_VOID(facts.load(tx, items));
            PendingWrites pending;
            std::vector<Bytes32> dead_rows;
            for (std::size_t k = 0; k < items.size(); ++k) {
                PreparedPublish& item = *items[k];
                BatchItemOutcome& result = out[index[k]];
                // A request order's rules search the book (matching app / dataset orders): it must hold the
                // orders accepted so far.
                if (std::holds_alternative<RequestOrder>(item.order)) {
                    WP_TRY_VOID(pending.flush(tx, dead_rows, now));
                    dead_rows.clear();
                }
                TxFacts tx_facts(facts, item.fetched, item.missing);
                auto checked = check_rules(tx, *item.chain, options_, item.order, item.hash, item.caller, tx_facts,
                                           item.recovered);
                if (!checked) {
                    if (is_cold(checked.error())) {
                        result.needs_fact = true;
                        continue;
                    }
                    if (checked.error().kind == PublishError::Kind::kInternal)
                        return make_error(Errc::kIo, checked.error().message);
                    result.result = tl::unexpected(checked.error());
                    continue;
                }
                OrderRecord record;
                record.chain_id = chain_id;
                record.order_hash = item.hash;
                record.order = item.order;
                record.status = OrderStatus::kOpen;
                record.remaining = checked->remaining;
                record.signer = checked->signer;
                record.published_ms = now;
                if (auto existing = facts.existing(item.hash)) {
                    // A dead order published again keeps its first publication time (order_book.hpp insert_order).
                    record.published_ms = existing->published_ms;
                    dead_rows.push_back(item.hash);
                }
                std::string payload =
                    boost::json::serialize(order_document(record, DocumentOptions{.with_chain_id = false}));
                result.reply_json = published_reply(payload, chain_id);
                pending.events.push_back(MarketEvent{0, chain_id, std::string(kTopicOrders),
                                                     kind_name(kind_of(item.order)) + "_published", std::move(payload),
                                                     now});
                facts.accepted(record);
                pending.items.push_back(index[k]);
                pending.orders.push_back(record);
                result.result = std::move(record);
            }
            WP_TRY_VOID(pending.flush(tx, dead_rows, now));
        }
        return 0;
    });
    if (written) return out;
    if (batch.size() == 1) {
        out[0] = BatchItemOutcome{};
        out[0].result = tl::unexpected(internal(written.error()));
        return out;
    }
    // The batch's transaction failed: each item alone, so that one failing item does not fail the others.
    for (std::size_t i = 0; i < batch.size(); ++i) out[i] = write_batch(batch.subspan(i, 1)).front();
    return out;
}

PublishResult<void> Publisher::fetch_missing_fact(PreparedPublish& item) const {
    if (item.chain == nullptr || item.chain->state == nullptr)
        return tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: chain state missing"});
    return fetch_cold(*item.chain, item.order, item.hash, item.missing, item.fetched);
}

PublishResult<OrderRecord> Publisher::publish(const ChainContext& chain, const Order& order, const Address& caller) {
    if (chain.state == nullptr)
        return tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: chain state missing"});
    // One write transaction: the rules on the stored facts, the order and its event. A fact the tables lack (cold
    // entry, or a signature only the hub can judge) ends the attempt: it is fetched outside, and the transaction
    // runs again (at most once per fact).
    PreparedPublish item = prepare(chain, order, caller);
    for (int attempt = 0; attempt < 8; ++attempt) {
        auto outcome = std::move(write_batch(std::span<PreparedPublish>(&item, 1)).front());
        if (!outcome.needs_fact) return std::move(outcome.result);
        if (auto fetched = fetch_missing_fact(item); !fetched) return tl::unexpected(fetched.error());
    }
    return tl::unexpected(PublishError{PublishError::Kind::kInternal, "publish: chain facts kept changing"});
}

PublishResult<std::vector<Bytes32>> Publisher::unpublish(const ChainContext& chain, OrderKind kind,
                                                         const UnpublishRequest& request, const Address& caller) {
    const std::int64_t now = clock_.unix_ms();
    auto written = db_.write([&](store::Tx& tx) -> Result<PublishResult<std::vector<Bytes32>>> {
        using R = PublishResult<std::vector<Bytes32>>;
        std::vector<Bytes32> hashes;
        std::vector<Address> removed_resources;
        if (request.target == UnpublishTarget::kOrderHash) {
            WP_TRY(auto found, find_order(tx, chain.chain_id, request.order_hash, kind));
            if (!found || found->status != OrderStatus::kOpen)
                return R(tl::unexpected(
                    refused(kind_name(kind) + " with orderHash " + to_hex(request.order_hash) + " is not published")));
            if (found->signer != caller)
                return R(tl::unexpected(
                    refused("only order signer " + found->signer.to_checksum() + " can unpublish an order")));
            hashes.push_back(found->order_hash);
            if (auto res = registered_resource(found->order)) removed_resources.push_back(res->second);
        } else {
            OrderSelection selection;
            selection.kind = kind;
            selection.status = OrderStatus::kOpen;
            selection.signer = caller;
            selection.resource = request.resource;
            if (request.target == UnpublishTarget::kLast) selection.limit = 1;
            WP_TRY(auto orders, select_orders(tx, chain.chain_id, selection));
            if (orders.empty())
                return R(tl::unexpected(
                    refused("no open " + kind_name(kind) + " published by signer " + caller.to_checksum() + " for " +
                            std::string(unpublish_resource_key(kind)) + " " + request.resource.to_checksum())));
            for (const auto& o : orders) hashes.push_back(o.order_hash);
            removed_resources.push_back(request.resource);
        }
        WP_TRY_VOID(delete_orders(tx, chain.chain_id, hashes));
        const std::string event = kind_name(kind) + "_unpublished";
        for (const auto& h : hashes)
            WP_TRY_VOID(append_event(tx, chain.chain_id, kTopicOrders, event, net::json_quote(to_hex(h)), now));
        if (kind == OrderKind::kApp || kind == OrderKind::kDataset) {
            std::vector<Address> resources;
            for (const auto& r : removed_resources)
                if (std::find(resources.begin(), resources.end(), r) == resources.end()) resources.push_back(r);
            WP_TRY_VOID(clean_dependent_requests(tx, chain.chain_id, kind, resources, now));
        }
        return R(std::move(hashes));
    });
    return from_store(std::move(written));
}

}  // namespace wp::market
