#include "dashboard_chain.hpp"

#include <array>
#include <variant>

#include <wp/chain/poco_events.hpp>

namespace wp::scheduler {
using store::Row;
using store::Tx;

namespace {

constexpr const char* kV1 =
    "CREATE TABLE dash_account_snapshots ("
    "  at_ms BIGINT NOT NULL PRIMARY KEY,"
    "  stake ${blob} NOT NULL, locked ${blob} NOT NULL);"
    "CREATE TABLE dash_order_fills ("
    "  deal_id ${blob} NOT NULL PRIMARY KEY,"
    "  order_hash ${blob}, volume BIGINT NOT NULL, block_number BIGINT NOT NULL, chain_time BIGINT NOT NULL,"
    "  seen_ms BIGINT NOT NULL);"
    "CREATE INDEX dash_order_fills_time ON dash_order_fills (chain_time);"
    "CREATE INDEX dash_task_events_status_at ON sched_task_events (status, at_ms);";

const std::array<store::Migration, 1> kMigrations = {
    store::Migration{1, "account snapshots, order fills, task events by status and time", kV1},
};

constexpr std::int64_t kSnapshotRetentionMs = 30LL * 24 * 3600 * 1000;

const Bytes32& orders_matched_topic() {
    static const Bytes32 topic = [] {
        for (const auto& spec : chain::poco_event_specs())
            if (spec.name == "OrdersMatched") return spec.topic0;
        return Bytes32{};
    }();
    return topic;
}

Result<AccountSnapshot> snapshot_from_row(const Row& row) {
    AccountSnapshot s;
    WP_TRY(s.at_ms, row.get<std::int64_t>(0));
    WP_TRY(s.stake, row.get<U256>(1));
    WP_TRY(s.locked, row.get<U256>(2));
    return s;
}

}  // namespace

std::span<const store::Migration> dashboard_migrations() { return kMigrations; }

Result<std::int64_t> migrate_dashboard(store::Database& db) {
    return store::migrate(db, kDashboardSchemaComponent, dashboard_migrations());
}

Result<std::vector<DealToFill>> deals_without_fill(SchedulerStore& store, std::size_t limit) {
    return store.database().read([&](Tx& tx) -> Result<std::vector<DealToFill>> {
        WP_TRY(auto rows, tx.query("SELECT d.deal_id, d.block_number, d.start_time, d.bot_size FROM sched_deals d"
                                   " LEFT JOIN dash_order_fills f ON f.deal_id = d.deal_id WHERE f.deal_id IS NULL"
                                   " ORDER BY d.received_ms, d.deal_id LIMIT $1",
                                   static_cast<std::int64_t>(limit)));
        std::vector<DealToFill> out;
        for (const Row& row : rows) {
            DealToFill d;
            WP_TRY(d.deal_id, row.get<Bytes32>(0));
            WP_TRY(d.block_number, row.get<std::uint64_t>(1));
            WP_TRY(d.start_time, row.get<std::int64_t>(2));
            WP_TRY(d.bot_size, row.get<std::uint64_t>(3));
            out.push_back(d);
        }
        return out;
    });
}

Result<void> record_fill(SchedulerStore& store, const OrderFill& f) {
    return store.database().write([&](Tx& tx) -> Result<void> {
        WP_TRY(auto existing, tx.query_opt("SELECT 1 FROM dash_order_fills WHERE deal_id = $1", f.deal_id));
        if (existing) return {};
        WP_TRY_VOID(
            tx.exec("INSERT INTO dash_order_fills (deal_id, order_hash, volume, block_number, chain_time,"
                    " seen_ms) VALUES ($1, $2, $3, $4, $5, $6)",
                    f.deal_id, f.order_hash, f.volume, f.block_number, f.timestamp, f.seen_ms));
        return {};
    });
}

Result<bool> record_account_snapshot(SchedulerStore& store, const AccountSnapshot& s, std::int64_t every_ms) {
    return store.database().write([&](Tx& tx) -> Result<bool> {
        WP_TRY(auto last, tx.query_opt("SELECT at_ms, stake, locked FROM dash_account_snapshots ORDER BY at_ms DESC"
                                       " LIMIT 1"));
        if (last) {
            WP_TRY(AccountSnapshot prev, snapshot_from_row(*last));
            if (s.at_ms <= prev.at_ms) return false;
            if (prev.stake == s.stake && prev.locked == s.locked && s.at_ms - prev.at_ms < every_ms) return false;
        }
        WP_TRY_VOID(tx.exec("INSERT INTO dash_account_snapshots (at_ms, stake, locked) VALUES ($1, $2, $3)", s.at_ms,
                            s.stake, s.locked));
        WP_TRY_VOID(tx.exec("DELETE FROM dash_account_snapshots WHERE at_ms < $1", s.at_ms - kSnapshotRetentionMs));
        return true;
    });
}

Result<std::vector<AccountSnapshot>> account_snapshots(SchedulerStore& store, std::int64_t since_ms,
                                                       std::size_t max_points) {
    WP_TRY(auto all, store.database().read([&](Tx& tx) -> Result<std::vector<AccountSnapshot>> {
        WP_TRY(auto rows, tx.query("SELECT at_ms, stake, locked FROM dash_account_snapshots WHERE at_ms >= $1 ORDER BY"
                                   " at_ms",
                                   since_ms));
        std::vector<AccountSnapshot> out;
        out.reserve(rows.size());
        for (const Row& row : rows) {
            WP_TRY(auto s, snapshot_from_row(row));
            out.push_back(s);
        }
        return out;
    }));
    if (max_points == 0) return std::vector<AccountSnapshot>{};
    if (all.size() <= max_points) return all;
    std::vector<AccountSnapshot> thinned;
    thinned.reserve(max_points);
    for (std::size_t i = 0; i < max_points; ++i) thinned.push_back(all[i * (all.size() - 1) / (max_points - 1)]);
    return thinned;
}

Result<std::optional<AccountSnapshot>> latest_account_snapshot(SchedulerStore& store) {
    return store.database().read([&](Tx& tx) -> Result<std::optional<AccountSnapshot>> {
        WP_TRY(auto row, tx.query_opt("SELECT at_ms, stake, locked FROM dash_account_snapshots ORDER BY at_ms DESC"
                                      " LIMIT 1"));
        if (!row) return std::optional<AccountSnapshot>{};
        WP_TRY(auto s, snapshot_from_row(*row));
        return std::optional<AccountSnapshot>(s);
    });
}

DashboardChain::DashboardChain(chain::EthClient& eth, chain::Hub& hub, SchedulerStore& store, Clock& clock,
                               DashboardChainOptions options)
    : eth_(eth), hub_(hub), store_(store), clock_(clock), options_(options) {
    view_.owner = options_.owner;
}

AccountView DashboardChain::account() const {
    std::lock_guard lock(mutex_);
    return view_;
}

Result<DashboardChain::Round> DashboardChain::refresh() {
    Round round;
    const std::int64_t now = clock_.unix_ms();
    if (!loaded_) {
        // After a restart the page shows the last stored value until the first read.
        WP_TRY(auto last, latest_account_snapshot(store_));
        std::lock_guard lock(mutex_);
        if (!view_.latest && last) view_.latest = *last;
        loaded_ = true;
    }
    if (!checked_ms_ || now - *checked_ms_ >= options_.account_ttl.count()) {
        checked_ms_ = now;
        auto stake = hub_.balance_of(options_.owner);
        auto locked = stake ? hub_.frozen_of(options_.owner) : chain::HubResult<U256>(U256(0));
        if (!stake || !locked) {
            std::lock_guard lock(mutex_);
            view_.error = !stake ? stake.error().message : locked.error().message;
        } else {
            const AccountSnapshot s{now, *stake, *locked};
            round.account_read = true;
            {
                std::lock_guard lock(mutex_);
                round.account_changed = !view_.latest || view_.latest->stake != s.stake ||
                                        view_.latest->locked != s.locked || view_.error.has_value();
                view_.latest = s;
                view_.error.reset();
            }
            WP_TRY_VOID(record_account_snapshot(store_, s, options_.snapshot_every.count()));
        }
    }
    WP_TRY(auto deals, deals_without_fill(store_, options_.fills_per_round));
    for (const auto& d : deals) {
        chain::LogFilter filter;
        filter.from_block = chain::BlockTag::number(d.block_number);
        filter.to_block = chain::BlockTag::number(d.block_number);
        filter.addresses = {options_.hub};
        filter.topics = {std::optional<std::vector<Bytes32>>(std::vector<Bytes32>{orders_matched_topic()})};
        auto logs = eth_.get_logs(filter);
        if (!logs) break;  // the RPC is failing: next round
        OrderFill fill;
        fill.deal_id = d.deal_id;
        fill.volume = d.bot_size;
        fill.block_number = d.block_number;
        fill.timestamp = d.start_time;
        fill.seen_ms = now;
        for (const auto& log : *logs) {
            auto event = chain::decode_poco_event(log);
            if (!event) continue;
            const auto* matched = std::get_if<chain::events::OrdersMatched>(&*event);
            if (matched == nullptr || matched->deal_id != d.deal_id) continue;
            fill.order_hash = matched->workerpool_hash;
            if (matched->volume.fits_u64()) fill.volume = matched->volume.low_u64();
            break;
        }
        WP_TRY_VOID(record_fill(store_, fill));
        if (fill.order_hash) ++round.new_fills;
    }
    return round;
}

}  // namespace wp::scheduler
