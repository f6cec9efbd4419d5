#include "chain_state.hpp"

#include <functional>
#include <limits>
#include <string>

namespace wp::market {
namespace {

Result<std::int64_t> db_int(std::uint64_t v, std::string_view what) {
    if (v > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return make_error(Errc::kOverflow, std::string(what) + " " + std::to_string(v) + " exceeds the int64 range");
    return static_cast<std::int64_t>(v);
}

Error hub_error(const chain::HubError& e) { return e.to_error(); }

//! One attempt of a cold lookup: the stored answers, the indexes of the cold keys, the block the facts are true at.
template <class V>
struct Stored {
    std::vector<std::optional<V>> values;
    std::vector<std::size_t> cold;
    std::uint64_t block{0};
};

struct Counters {
    std::atomic<std::uint64_t>& local;
    std::atomic<std::uint64_t>& cold_fetches;
    std::atomic<std::uint64_t>& cold_entries;
    std::atomic<std::uint64_t>& stored;
    std::atomic<std::uint64_t>& raced;
};

// The cold-entry protocol of the header: read the stored facts; fetch the cold ones at the facts' block; store them
// only if the mirror is still at that block (else try again, at most 3 attempts; the last attempt's values are
// returned even when they could not be stored).
template <class K, class V>
Result<std::vector<V>> resolve(store::Database& db, std::uint64_t chain_id, std::span<const K> keys, Counters counters,
                               const std::function<Result<std::optional<V>>(const StoredFacts&, const K&)>& lookup,
                               const std::function<Result<std::vector<V>>(std::span<const K>, std::uint64_t)>& fetch,
                               const std::function<Result<void>(store::Tx&, const K&, const V&, std::int64_t)>& put) {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        WP_TRY(auto stored, db.read([&](store::Tx& tx) -> Result<Stored<V>> {
            WP_TRY(auto facts, StoredFacts::open(tx, chain_id));
            Stored<V> s;
            s.block = facts.sync().fact_block();
            s.values.reserve(keys.size());
            for (std::size_t i = 0; i < keys.size(); ++i) {
                WP_TRY(auto v, lookup(facts, keys[i]));
                if (!v) s.cold.push_back(i);
                s.values.push_back(std::move(v));
            }
            return s;
        }));
        if (stored.cold.empty()) {
            counters.local.fetch_add(1, std::memory_order_relaxed);
            std::vector<V> out;
            out.reserve(keys.size());
            for (auto& v : stored.values) out.push_back(std::move(*v));
            return out;
        }
        std::vector<K> cold_keys;
        cold_keys.reserve(stored.cold.size());
        for (auto i : stored.cold) cold_keys.push_back(keys[i]);
        counters.cold_fetches.fetch_add(1, std::memory_order_relaxed);
        counters.cold_entries.fetch_add(cold_keys.size(), std::memory_order_relaxed);
        WP_TRY(auto fetched, fetch(cold_keys, stored.block));
        WP_TRY(const std::int64_t block, db_int(stored.block, "block"));
        WP_TRY(bool kept, db.write([&](store::Tx& tx) -> Result<bool> {
            WP_TRY(auto sync, load_sync_state(tx, chain_id));
            if (!sync || sync->fact_block() != stored.block) return false;
            for (std::size_t k = 0; k < cold_keys.size(); ++k) WP_TRY_VOID(put(tx, cold_keys[k], fetched[k], block));
            return true;
        }));
        if (kept) {
            counters.stored.fetch_add(cold_keys.size(), std::memory_order_relaxed);
        } else {
            counters.raced.fetch_add(1, std::memory_order_relaxed);
            if (attempt < kAttempts) continue;
        }
        std::vector<V> out;
        out.reserve(keys.size());
        std::size_t k = 0;
        for (std::size_t i = 0; i < keys.size(); ++i) {
            if (k < stored.cold.size() && stored.cold[k] == i) out.push_back(std::move(fetched[k++]));
            else out.push_back(std::move(*stored.values[i]));
        }
        return out;
    }
}

}  // namespace

std::string_view to_string(Registry registry) noexcept {
    switch (registry) {
        case Registry::kApp: return "app";
        case Registry::kDataset: return "dataset";
        case Registry::kWorkerpool: return "workerpool";
    }
    return "?";
}

chain::RegistryKind registry_kind(Registry registry) noexcept {
    switch (registry) {
        case Registry::kApp: return chain::RegistryKind::kApp;
        case Registry::kDataset: return chain::RegistryKind::kDataset;
        case Registry::kWorkerpool: return chain::RegistryKind::kWorkerpool;
    }
    return chain::RegistryKind::kApp;
}

std::uint64_t SyncState::fact_block() const {
    if (last_block) return *last_block;
    return start_block > 0 ? start_block - 1 : 0;
}

Result<store::Statement> sync_state_statement(std::uint64_t chain_id) {
    WP_TRY(const std::int64_t chain, db_int(chain_id, "chain id"));
    return store::Statement{
        "SELECT hub, start_block, complete, last_block, last_block_ms FROM market_sync WHERE chain_id = $1", {chain}};
}

Result<std::optional<SyncState>> sync_state_from(const store::Rows& rows, std::uint64_t chain_id) {
    if (rows.empty()) return std::optional<SyncState>{};
    const store::Row row = rows[0];
    SyncState s;
    s.chain_id = chain_id;
    WP_TRY(s.hub, row.get<Address>(0));
    WP_TRY(s.start_block, row.get<std::uint64_t>(1));
    WP_TRY(const std::int64_t complete, row.get<std::int64_t>(2));
    s.complete = complete != 0;
    WP_TRY(const std::int64_t last, row.get<std::int64_t>(3));
    if (last >= 0 && static_cast<std::uint64_t>(last) + 1 > s.start_block)
        s.last_block = static_cast<std::uint64_t>(last);
    WP_TRY(s.last_block_ms, row.get<std::int64_t>(4));
    return std::optional<SyncState>(std::move(s));
}

Result<std::optional<SyncState>> load_sync_state(store::Tx& tx, std::uint64_t chain_id) {
    WP_TRY(store::Statement st, sync_state_statement(chain_id));
    WP_TRY(store::Rows rows, tx.query_params(st.sql, st.params));
    return sync_state_from(rows, chain_id);
}

// ---- StoredFacts ----

Result<StoredFacts> StoredFacts::open(store::Tx& tx, std::uint64_t chain_id) {
    WP_TRY(auto sync, load_sync_state(tx, chain_id));
    if (!sync)
        return make_error(Errc::kInvalidArgument, "market sync for chain " + std::to_string(chain_id) +
                                                      " is not initialised (market_sync has no row: the chain "
                                                      "mirror's handler creates it)");
    return StoredFacts(tx, std::move(*sync));
}

Result<std::optional<Address>> StoredFacts::owner(Registry registry, const Address& entry) const {
    WP_TRY(auto row, tx_->query_opt("SELECT registry, owner FROM market_owners WHERE chain_id = $1 AND entry = $2",
                                    sync_.chain_id, entry));
    if (!row) {
        if (sync_.complete) return std::optional<Address>(Address{});
        return std::optional<Address>{};
    }
    WP_TRY(const std::int64_t stored_registry, row->get<std::int64_t>(0));
    WP_TRY(Address owner, row->get<Address>(1));
    if (stored_registry == static_cast<std::int64_t>(registry)) return std::optional<Address>(owner);
    // Registered in another registry: not in this one. A negative row of another registry says nothing here.
    if (!owner.is_zero() || sync_.complete) return std::optional<Address>(Address{});
    return std::optional<Address>{};
}

Result<std::optional<U256>> StoredFacts::stake(const Address& account) const {
    WP_TRY(auto row, tx_->query_opt("SELECT stake FROM market_accounts WHERE chain_id = $1 AND account = $2",
                                    sync_.chain_id, account));
    if (row) {
        WP_TRY(U256 stake, row->get<U256>(0));
        return std::optional<U256>(stake);
    }
    if (sync_.complete) return std::optional<U256>(U256(0));
    return std::optional<U256>{};
}

Result<std::optional<U256>> StoredFacts::consumed(const Bytes32& order_hash) const {
    WP_TRY(auto row, tx_->query_opt("SELECT consumed FROM market_consumed WHERE chain_id = $1 AND order_hash = $2",
                                    sync_.chain_id, order_hash));
    if (row) {
        WP_TRY(U256 consumed, row->get<U256>(0));
        return std::optional<U256>(consumed);
    }
    if (sync_.complete) return std::optional<U256>(U256(0));
    return std::optional<U256>{};
}

Result<std::optional<bool>> StoredFacts::category_exists(const U256& catid) const {
    // PoCo creates categories one by one from 0: an id beyond int64 cannot exist.
    if (!catid.fits_u64() || catid.low_u64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return std::optional<bool>(false);
    WP_TRY(auto row, tx_->query_opt("SELECT 1 FROM market_categories WHERE chain_id = $1 AND catid = $2",
                                    sync_.chain_id, catid.low_u64()));
    if (row) return std::optional<bool>(true);
    if (sync_.complete) return std::optional<bool>(false);
    return std::optional<bool>{};
}

// ---- ChainState ----

ChainStateStats ChainState::stats() const {
    ChainStateStats s;
    s.local = local_.load(std::memory_order_relaxed);
    s.cold_fetches = cold_fetches_.load(std::memory_order_relaxed);
    s.cold_entries = cold_entries_.load(std::memory_order_relaxed);
    s.stored = stored_.load(std::memory_order_relaxed);
    s.raced = raced_.load(std::memory_order_relaxed);
    return s;
}

Result<std::optional<Address>> ChainState::owner(Registry registry, const Address& entry) {
    WP_TRY(auto v, owners(registry, std::span<const Address>(&entry, 1)));
    return v.at(0);
}

Result<std::vector<std::optional<Address>>> ChainState::owners(Registry registry, std::span<const Address> entries) {
    using V = Address;  // zero = not registered
    const std::function<Result<std::optional<V>>(const StoredFacts&, const Address&)> lookup =
        [registry](const StoredFacts& f, const Address& e) { return f.owner(registry, e); };
    const std::function<Result<std::vector<V>>(std::span<const Address>, std::uint64_t)> fetch =
        [&](std::span<const Address> keys, std::uint64_t block) -> Result<std::vector<V>> {
        auto to = hub_.registry_address(chain::HubFn::kRegistryOwnerOf, registry_kind(registry));
        if (!to) return make_error(hub_error(to.error()));
        std::vector<chain::ContractCall> calls;
        calls.reserve(keys.size());
        for (const auto& e : keys) {
            auto call =
                hub_.build(chain::HubFn::kRegistryOwnerOf, *to, {AbiValue::uint_(U256::from_be32(e.to_word()))});
            if (!call) return make_error(hub_error(call.error()));
            calls.push_back(std::move(*call));
        }
        auto answers = hub_.simulate_batch(calls, chain::BlockTag::number(block));
        std::vector<V> out;
        out.reserve(keys.size());
        for (auto& a : answers) {
            if (!a) {
                if (a.error().reverted()) {  // ownerOf of a token that does not exist: not registered
                    out.emplace_back();
                    continue;
                }
                return make_error(hub_error(a.error()));
            }
            auto values = chain::decode_outputs(chain::HubFn::kRegistryOwnerOf, ByteView(*a));
            if (!values) return make_error(hub_error(values.error()));
            const Address* owner = values->at(0).as_address();
            if (owner == nullptr) return make_error(Errc::kDecoding, "ownerOf: expected an address");
            out.push_back(*owner);
        }
        return out;
    };
    const std::function<Result<void>(store::Tx&, const Address&, const V&, std::int64_t)> put =
        [&](store::Tx& tx, const Address& e, const V& owner, std::int64_t block) -> Result<void> {
        WP_TRY(auto n, tx.exec("INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) "
                               "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain_id, entry) DO NOTHING",
                               chain_id_, e, static_cast<std::int64_t>(registry), owner, block));
        (void)n;
        return {};
    };
    WP_TRY(auto raw,
           (resolve<Address, V>(db_, chain_id_, entries,
                                Counters{local_, cold_fetches_, cold_entries_, stored_, raced_}, lookup, fetch, put)));
    std::vector<std::optional<Address>> out;
    out.reserve(raw.size());
    for (const auto& a : raw) out.push_back(a.is_zero() ? std::optional<Address>{} : std::optional<Address>(a));
    return out;
}

Result<U256> ChainState::stake(const Address& account) {
    WP_TRY(auto v, stakes(std::span<const Address>(&account, 1)));
    return v.at(0);
}

Result<std::vector<U256>> ChainState::stakes(std::span<const Address> accounts) {
    const std::function<Result<std::optional<U256>>(const StoredFacts&, const Address&)> lookup =
        [](const StoredFacts& f, const Address& a) { return f.stake(a); };
    const std::function<Result<std::vector<U256>>(std::span<const Address>, std::uint64_t)> fetch =
        [&](std::span<const Address> keys, std::uint64_t block) -> Result<std::vector<U256>> {
        auto answers = hub_.view_accounts(keys, chain::BlockTag::number(block));
        std::vector<U256> out;
        out.reserve(keys.size());
        for (auto& a : answers) {
            if (!a) return make_error(hub_error(a.error()));
            out.push_back(a->stake);
        }
        return out;
    };
    const std::function<Result<void>(store::Tx&, const Address&, const U256&, std::int64_t)> put =
        [&](store::Tx& tx, const Address& a, const U256& stake, std::int64_t block) -> Result<void> {
        WP_TRY(auto n, tx.exec("INSERT INTO market_accounts (chain_id, account, stake, block_number) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (chain_id, account) DO NOTHING",
                               chain_id_, a, stake, block));
        (void)n;
        return {};
    };
    return resolve<Address, U256>(db_, chain_id_, accounts,
                                  Counters{local_, cold_fetches_, cold_entries_, stored_, raced_}, lookup, fetch, put);
}

Result<U256> ChainState::consumed(const Bytes32& order_hash) {
    WP_TRY(auto v, consumed_volumes(std::span<const Bytes32>(&order_hash, 1)));
    return v.at(0);
}

Result<std::vector<U256>> ChainState::consumed_volumes(std::span<const Bytes32> order_hashes) {
    const std::function<Result<std::optional<U256>>(const StoredFacts&, const Bytes32&)> lookup =
        [](const StoredFacts& f, const Bytes32& h) { return f.consumed(h); };
    const std::function<Result<std::vector<U256>>(std::span<const Bytes32>, std::uint64_t)> fetch =
        [&](std::span<const Bytes32> keys, std::uint64_t block) -> Result<std::vector<U256>> {
        std::vector<chain::ContractCall> calls;
        calls.reserve(keys.size());
        for (const auto& h : keys) {
            auto call = hub_.build(chain::HubFn::kViewConsumed, hub_.address(), {AbiValue::fixed_bytes(h.view())});
            if (!call) return make_error(hub_error(call.error()));
            calls.push_back(std::move(*call));
        }
        auto answers = hub_.simulate_batch(calls, chain::BlockTag::number(block));
        std::vector<U256> out;
        out.reserve(keys.size());
        for (auto& a : answers) {
            if (!a) return make_error(hub_error(a.error()));
            auto values = chain::decode_outputs(chain::HubFn::kViewConsumed, ByteView(*a));
            if (!values) return make_error(hub_error(values.error()));
            const U256* consumed = values->at(0).as_uint();
            if (consumed == nullptr) return make_error(Errc::kDecoding, "viewConsumed: expected a uint256");
            out.push_back(*consumed);
        }
        return out;
    };
    const std::function<Result<void>(store::Tx&, const Bytes32&, const U256&, std::int64_t)> put =
        [&](store::Tx& tx, const Bytes32& h, const U256& consumed, std::int64_t block) -> Result<void> {
        WP_TRY(auto n, tx.exec("INSERT INTO market_consumed (chain_id, order_hash, consumed, block_number) "
                               "VALUES ($1, $2, $3, $4) ON CONFLICT (chain_id, order_hash) DO NOTHING",
                               chain_id_, h, consumed, block));
        (void)n;
        return {};
    };
    return resolve<Bytes32, U256>(db_, chain_id_, order_hashes,
                                  Counters{local_, cold_fetches_, cold_entries_, stored_, raced_}, lookup, fetch, put);
}

Result<bool> ChainState::category_exists(const U256& catid) {
    auto stored = db_.read([&](store::Tx& tx) -> Result<std::optional<bool>> {
        WP_TRY(auto facts, StoredFacts::open(tx, chain_id_));
        return facts.category_exists(catid);
    });
    if (!stored) return make_error(stored.error());
    if (*stored) {
        local_.fetch_add(1, std::memory_order_relaxed);
        return **stored;
    }
    WP_TRY(auto n, load_categories());
    (void)n;
    auto again = db_.read([&](store::Tx& tx) -> Result<std::optional<bool>> {
        WP_TRY(auto facts, StoredFacts::open(tx, chain_id_));
        return facts.category_exists(catid);
    });
    if (!again) return make_error(again.error());
    // Still no row: the category does not exist at the mirror's block (or the mirror moved while loading: then the
    // next call loads again).
    return again->value_or(false);
}

Result<std::size_t> ChainState::load_categories() {
    constexpr int kAttempts = 3;
    for (int attempt = 1;; ++attempt) {
        struct Plan {
            std::uint64_t block{0};
            bool complete{false};
            std::vector<std::int64_t> have;
        };
        WP_TRY(auto plan, db_.read([&](store::Tx& tx) -> Result<Plan> {
            WP_TRY(auto facts, StoredFacts::open(tx, chain_id_));
            Plan p;
            p.block = facts.sync().fact_block();
            p.complete = facts.sync().complete;
            if (p.complete) return p;
            WP_TRY(auto rows, tx.query("SELECT catid FROM market_categories WHERE chain_id = $1", chain_id_));
            for (const auto& row : rows) {
                WP_TRY(std::int64_t id, row.get<std::int64_t>(0));
                p.have.push_back(id);
            }
            return p;
        }));
        if (plan.complete) return std::size_t{0};
        cold_fetches_.fetch_add(1, std::memory_order_relaxed);
        auto count = hub_.count_category(chain::BlockTag::number(plan.block));
        if (!count) return make_error(hub_error(count.error()));
        if (!count->fits_u64() || count->low_u64() > 1'000'000)
            return make_error(Errc::kInvalidArgument, "countCategory: " + count->to_dec() +
                                                          " categories is more than "
                                                          "the market loads (1000000)");
        std::vector<std::uint64_t> missing;
        std::vector<bool> present(count->low_u64(), false);
        for (auto id : plan.have)
            if (id >= 0 && static_cast<std::uint64_t>(id) < present.size())
                present[static_cast<std::size_t>(id)] = true;
        for (std::size_t i = 0; i < present.size(); ++i)
            if (!present[i]) missing.push_back(i);
        if (missing.empty()) return std::size_t{0};
        cold_entries_.fetch_add(missing.size(), std::memory_order_relaxed);
        std::vector<chain::ContractCall> calls;
        calls.reserve(missing.size());
        for (auto id : missing) {
            auto call = hub_.build(chain::HubFn::kViewCategory, hub_.address(), {AbiValue::uint_(U256(id))});
            if (!call) return make_error(hub_error(call.error()));
            calls.push_back(std::move(*call));
        }
        auto answers = hub_.simulate_batch(calls, chain::BlockTag::number(plan.block));
        std::vector<Category> categories;
        categories.reserve(answers.size());
        for (auto& a : answers) {
            if (!a) return make_error(hub_error(a.error()));
            auto c = chain::decode_category(ByteView(*a));
            if (!c) return make_error(hub_error(c.error()));
            categories.push_back(std::move(*c));
        }
        WP_TRY(const std::int64_t block, db_int(plan.block, "block"));
        WP_TRY(auto kept, db_.write([&](store::Tx& tx) -> Result<std::optional<std::size_t>> {
            WP_TRY(auto sync, load_sync_state(tx, chain_id_));
            if (!sync || sync->fact_block() != plan.block) return std::optional<std::size_t>{};
            std::size_t n = 0;
            for (std::size_t k = 0; k < missing.size(); ++k) {
                WP_TRY(auto inserted,
                       tx.exec("INSERT INTO market_categories (chain_id, catid, name, description, "
                               "work_clock_time_ref, transaction_hash, block_number, block_timestamp_ms) "
                               "VALUES ($1, $2, $3, $4, $5, $6, $7, 0) ON CONFLICT (chain_id, catid) DO NOTHING",
                               chain_id_, missing[k], categories[k].name, categories[k].description,
                               categories[k].work_clock_time_ref, Bytes32{}, block));
                n += static_cast<std::size_t>(inserted);
            }
            return std::optional<std::size_t>(n);
        }));
        if (kept) {
            stored_.fetch_add(*kept, std::memory_order_relaxed);
            return *kept;
        }
        raced_.fetch_add(1, std::memory_order_relaxed);
        if (attempt >= kAttempts) return std::size_t{0};
    }
}

}  // namespace wp::market
