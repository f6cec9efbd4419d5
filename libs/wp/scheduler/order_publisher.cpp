#include "order_publisher.hpp"

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <utility>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>
#include <wp/marketclient/market_client.hpp>
#include <wp/protocol/order.hpp>
#include <wp/service/logging.hpp>

#include "scheduler_store.hpp"

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using store::Row;
using store::Tx;

constexpr const char* kV1 =
    "CREATE TABLE core_policy_orders ("
    "  order_hash ${blob} NOT NULL PRIMARY KEY,"
    "  offer TEXT NOT NULL,"
    "  volume BIGINT NOT NULL, remaining BIGINT NOT NULL,"
    "  state SMALLINT NOT NULL,"
    "  order_json TEXT NOT NULL,"
    "  publication_timestamp TEXT NOT NULL,"
    "  note TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL, updated_ms BIGINT NOT NULL);"
    "CREATE INDEX core_policy_orders_state ON core_policy_orders (state);";

const std::array<store::Migration, 1> kMigrations = {
    store::Migration{1, "the order publishing policy's orders", kV1},
};

// Statuses whose tasks still need computing (the backlog of order_policy.hpp).
constexpr const char* kBacklogStatuses = "(0, 1, 2, 4, 8, 9)";

std::int64_t clamp_i64(std::uint64_t v) {
    return static_cast<std::int64_t>(std::min<std::uint64_t>(v, std::uint64_t{1} << 62));
}

// A refusal by the market (a JSON 4xx: "API error: …") is definitive; anything else (transport, timeout, 5xx) is
// retried.
bool refused(const Error& e) { return e.code == Errc::kRemote && e.message.rfind("API error: ", 0) == 0; }

Offer offer_of(const WorkerpoolOrder& w) {
    Offer o;
    o.category = w.category.fits_u64() ? w.category.low_u64() : ~std::uint64_t{0};
    o.tag = w.tag;
    o.price = w.workerpoolprice;
    o.trust = w.trust.fits_u64() ? w.trust.low_u64() : ~std::uint64_t{0};
    return o;
}

std::uint64_t u64_or_max(const U256& v) { return v.fits_u64() ? v.low_u64() : ~std::uint64_t{0}; }

}  // namespace

std::span<const store::Migration> order_policy_migrations() { return kMigrations; }

Result<std::int64_t> migrate_order_policy(store::Database& db) {
    return store::migrate(db, "core_orders", order_policy_migrations());
}

struct OrderPublisher::Impl {
    store::Database& db;
    SchedulerStore& store;
    Clock& clock;
    PrivateKey owner;
    CategoryTimeSource category_time;
    OrderPublisherOptions options;
    Domain domain;
    std::unique_ptr<marketclient::MarketClient> market;
    std::map<std::uint64_t, std::uint64_t> category_seconds;  // cache (categories never change)

    std::string last_signature;
    std::optional<std::int64_t> last_round_ms;
    bool pending{false};

    mutable std::mutex view_mutex;
    json::object view;

    Impl(store::Database& d, SchedulerStore& s, Clock& c, const PrivateKey& k, CategoryTimeSource t,
         OrderPublisherOptions o)
        : db(d),
          store(s),
          clock(c),
          owner(k),
          category_time(std::move(t)),
          options(std::move(o)),
          domain(Domain::iexec(U256(options.chain_id), options.hub)) {}

    // ---- rows ----

    static Result<PolicyOrderRecord> record_from_row(const Row& row) {
        PolicyOrderRecord r;
        WP_TRY(r.row.order_hash, row.get<Bytes32>("order_hash"));
        WP_TRY(r.row.offer, row.get<std::string>("offer"));
        WP_TRY(std::int64_t volume, row.get<std::int64_t>("volume"));
        WP_TRY(std::int64_t remaining, row.get<std::int64_t>("remaining"));
        r.row.volume = static_cast<std::uint64_t>(std::max<std::int64_t>(volume, 0));
        r.row.remaining = static_cast<std::uint64_t>(std::max<std::int64_t>(remaining, 0));
        WP_TRY(std::int64_t state, row.get<std::int64_t>("state"));
        WP_TRY(r.row.state, policy_order_state_from_int(state));
        WP_TRY(std::string order_text, row.get<std::string>("order_json"));
        WP_TRY(r.publication_timestamp, row.get<std::string>("publication_timestamp"));
        WP_TRY(r.note, row.get<std::string>("note"));
        WP_TRY(r.updated_ms, row.get<std::int64_t>("updated_ms"));
        json::error_code ec;
        const json::value parsed = json::parse(order_text, ec);
        if (ec) return make_error(Errc::kDecoding, "core_policy_orders.order_json: not JSON");
        WP_TRY(Order order, order_from_json(OrderKind::kWorkerpool, parsed));
        r.offer = offer_of(std::get<WorkerpoolOrder>(order));
        return r;
    }

    Result<std::vector<PolicyOrderRecord>> load(bool with_closed) {
        return db.read([&](Tx& tx) -> Result<std::vector<PolicyOrderRecord>> {
            WP_TRY(auto rows, tx.query(with_closed ? "SELECT * FROM core_policy_orders ORDER BY created_ms, order_hash"
                                                   : "SELECT * FROM core_policy_orders WHERE state <> 3 "
                                                     "ORDER BY created_ms, order_hash"));
            std::vector<PolicyOrderRecord> out;
            for (const Row& row : rows) {
                WP_TRY(auto r, record_from_row(row));
                out.push_back(std::move(r));
            }
            return out;
        });
    }

    Result<std::optional<std::string>> order_json_of(const Bytes32& hash) {
        return db.read([&](Tx& tx) -> Result<std::optional<std::string>> {
            WP_TRY(auto row, tx.query_opt("SELECT order_json FROM core_policy_orders WHERE order_hash = $1", hash));
            if (!row) return std::optional<std::string>{};
            WP_TRY(std::string text, row->get<std::string>("order_json"));
            return std::optional<std::string>(std::move(text));
        });
    }

    Result<void> set_state(const Bytes32& hash, PolicyOrderState state, std::optional<std::uint64_t> remaining,
                           const std::string* timestamp, const std::string* note) {
        const std::int64_t now = clock.unix_ms();
        return db.write([&](Tx& tx) -> Result<void> {
            WP_TRY_VOID(tx.exec("UPDATE core_policy_orders SET state = $1, updated_ms = $2 WHERE order_hash = $3",
                                static_cast<std::int64_t>(state), now, hash));
            if (remaining)
                WP_TRY_VOID(tx.exec("UPDATE core_policy_orders SET remaining = $1 WHERE order_hash = $2",
                                    clamp_i64(*remaining), hash));
            if (timestamp != nullptr)
                WP_TRY_VOID(tx.exec("UPDATE core_policy_orders SET publication_timestamp = $1 WHERE order_hash = $2",
                                    *timestamp, hash));
            if (note != nullptr)
                WP_TRY_VOID(tx.exec("UPDATE core_policy_orders SET note = $1 WHERE order_hash = $2", *note, hash));
            return {};
        });
    }

    static Result<void> insert(Tx& tx, const Bytes32& hash, const std::string& offer, std::uint64_t volume,
                               std::uint64_t remaining, PolicyOrderState state, const Order& order,
                               const std::string& timestamp, std::int64_t now) {
        WP_TRY_VOID(tx.exec(
            "INSERT INTO core_policy_orders (order_hash, offer, volume, remaining, state, order_json, "
            "publication_timestamp, note, created_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, '', $8, $9) "
            "ON CONFLICT (order_hash) DO NOTHING",
            hash, offer, clamp_i64(volume), clamp_i64(remaining), static_cast<std::int64_t>(state),
            json::serialize(order_to_json(order, OrderJsonFields::kSigned)), timestamp, now, now));
        return {};
    }

    // ---- inputs of the plan ----

    Result<std::vector<BacklogEntry>> backlog() {
        return db.read([&](Tx& tx) -> Result<std::vector<BacklogEntry>> {
            WP_TRY(auto rows, tx.query(std::string("SELECT d.category_seconds AS t, d.trust AS trust, COUNT(*) AS n "
                                                   "FROM sched_tasks k JOIN sched_deals d ON d.deal_id = k.deal_id "
                                                   "WHERE k.status IN ") +
                                       kBacklogStatuses +
                                       " GROUP BY d.category_seconds, d.trust ORDER BY d.category_seconds, d.trust"));
            std::vector<BacklogEntry> out;
            for (const Row& row : rows) {
                BacklogEntry b;
                WP_TRY(b.category_seconds, row.get<std::uint64_t>("t"));
                WP_TRY(b.trust, row.get<std::uint64_t>("trust"));
                WP_TRY(b.tasks, row.get<std::uint64_t>("n"));
                out.push_back(b);
            }
            return out;
        });
    }

    Result<std::vector<WorkerSnapshot>> workers() {
        WP_TRY(auto records, store.workers());
        std::vector<WorkerSnapshot> out;
        for (const auto& w : records) {
            if (!w.alive) continue;
            WorkerSnapshot s;
            s.address = w.address;
            s.alive = true;
            s.free_slots = w.registration.cpu_slots;  // capacity, not the free slots of the moment
            s.gpu = w.registration.gpu;
            s.tee_frameworks = w.registration.tee_frameworks;
            s.max_task_seconds = w.registration.max_task_seconds;
            s.score = w.score;
            out.push_back(std::move(s));
        }
        return out;
    }

    static std::string signature_of(const std::vector<WorkerSnapshot>& workers,
                                    const std::vector<BacklogEntry>& backlog) {
        std::string s;
        for (const auto& w : workers) {
            s += w.address.to_checksum() + ":" + std::to_string(w.free_slots) + ":" + (w.gpu ? "g" : "-") + ":" +
                 std::to_string(w.max_task_seconds) + ":";
            for (auto f : w.tee_frameworks) s += std::to_string(static_cast<int>(f));
            s += ";";
        }
        s += "|";
        for (const auto& b : backlog)
            s += std::to_string(b.category_seconds) + "/" + std::to_string(b.trust) + "=" + std::to_string(b.tasks) +
                 ";";
        return s;
    }

    std::vector<std::uint64_t> category_times() {
        std::vector<std::uint64_t> out;
        for (const auto& o : options.offers) {
            auto found = category_seconds.find(o.category);
            if (found == category_seconds.end()) {
                auto t = category_time(o.category);
                if (!t) {
                    service::log_warn("core: orders: category unknown (offer left at volume 0)",
                                      {{"category", std::to_string(o.category)}, {"error", t.error().message}});
                    out.push_back(0);
                    continue;
                }
                found = category_seconds.emplace(o.category, *t).first;
            }
            out.push_back(found->second);
        }
        return out;
    }

    // ---- the market ----

    //! POSTs a stored publishing row; true when the row left the pending state.
    Result<bool> publish_row(const Bytes32& hash, PolicyRoundReport& report) {
        WP_TRY(auto text, order_json_of(hash));
        if (!text) return false;
        json::error_code ec;
        const json::value parsed = json::parse(*text, ec);
        if (ec) return make_error(Errc::kDecoding, "core_policy_orders.order_json: not JSON");
        WP_TRY(Order order, order_from_json(OrderKind::kWorkerpool, parsed));
        auto published = market->publish(order, owner);
        if (published) {
            WP_TRY_VOID(set_state(hash, PolicyOrderState::kOpen, u64_or_max(published->remaining),
                                  &published->publication_timestamp, nullptr));
            ++report.published;
            service::log_info(
                "core: orders: published",
                {{"orderHash", to_hex(hash.view())}, {"volume", std::get<WorkerpoolOrder>(order).volume.to_dec()}});
            return true;
        }
        if (published.error().message.find("already published") != std::string::npos) {
            WP_TRY_VOID(set_state(hash, PolicyOrderState::kOpen, std::nullopt, nullptr, nullptr));
            return true;
        }
        if (refused(published.error())) {
            const std::string note = "publish refused: " + published.error().message;
            WP_TRY_VOID(set_state(hash, PolicyOrderState::kClosed, std::nullopt, nullptr, &note));
            ++report.closed;
            service::log_warn("core: orders: the market refused an order",
                              {{"orderHash", to_hex(hash.view())}, {"error", published.error().message}});
            return true;
        }
        report.market_failed = true;
        service::log_warn("core: orders: market unreachable (publish retried)", {{"error", published.error().message}});
        return false;
    }

    Result<bool> unpublish_row(const Bytes32& hash, PolicyRoundReport& report) {
        auto done = market->unpublish_hash(OrderKind::kWorkerpool, hash, owner);
        if (done || refused(done.error())) {
            const std::string note = done ? "unpublished" : "unpublish: " + done.error().message;
            WP_TRY_VOID(set_state(hash, PolicyOrderState::kClosed, std::nullopt, nullptr, &note));
            if (done) ++report.unpublished;
            else ++report.closed;
            service::log_info("core: orders: unpublished", {{"orderHash", to_hex(hash.view())}});
            return true;
        }
        report.market_failed = true;
        service::log_warn("core: orders: market unreachable (unpublish retried)", {{"error", done.error().message}});
        return false;
    }

    //! Resumes the pending rows; false when the market failed (the round stops there).
    Result<bool> resume(PolicyRoundReport& report) {
        WP_TRY(auto rows, load(false));
        // Unpublish first: the capacity is never exceeded in between.
        for (const auto& r : rows)
            if (r.row.state == PolicyOrderState::kUnpublishing) {
                WP_TRY(bool ok, unpublish_row(r.row.order_hash, report));
                if (!ok) return false;
            }
        for (const auto& r : rows)
            if (r.row.state == PolicyOrderState::kPublishing) {
                WP_TRY(bool ok, publish_row(r.row.order_hash, report));
                if (!ok) return false;
            }
        return true;
    }

    //! Reads the workerpool's open orders on the market into the table; false when the market failed.
    Result<bool> refresh(PolicyRoundReport& report) {
        std::map<Bytes32, marketclient::PublishedOrder> listed;
        marketclient::WorkerpoolOrderbookQuery q;
        q.workerpool = marketclient::AddressOrAny{false, options.workerpool};
        q.page.size = 1000;
        for (std::uint64_t page = 0; page < 100; ++page) {
            q.page.index = page;
            auto answer = market->workerpool_orders(q);
            if (!answer) {
                report.market_failed = true;
                service::log_warn("core: orders: market unreachable (refresh retried)",
                                  {{"error", answer.error().message}});
                return false;
            }
            for (auto& o : answer->orders) listed.emplace(o.order_hash, std::move(o));
            if (!answer->next_page) break;
        }
        WP_TRY(auto rows, load(false));
        std::set<Bytes32> known;
        for (const auto& r : rows) known.insert(r.row.order_hash);
        {
            // Closed rows too: an order we closed is never adopted again.
            WP_TRY(auto all, load(true));
            for (const auto& r : all) known.insert(r.row.order_hash);
        }
        for (const auto& r : rows) {
            if (r.row.state != PolicyOrderState::kOpen) continue;
            auto found = listed.find(r.row.order_hash);
            if (found != listed.end()) {
                const std::uint64_t remaining = u64_or_max(found->second.remaining);
                if (remaining != r.row.remaining)
                    WP_TRY_VOID(set_state(r.row.order_hash, PolicyOrderState::kOpen, remaining, nullptr, nullptr));
                continue;
            }
            // Not in the open book: filled, canceled or dead (or gone from the market).
            auto one = market->order(OrderKind::kWorkerpool, r.row.order_hash);
            if (!one && !refused(one.error())) {
                report.market_failed = true;
                return false;
            }
            if (one && one->status == "open") continue;  // a race with the listing: next round
            const std::string note = one ? one->status : "not on the market";
            WP_TRY_VOID(set_state(r.row.order_hash, PolicyOrderState::kClosed,
                                  one ? std::optional<std::uint64_t>(u64_or_max(one->remaining)) : std::nullopt,
                                  nullptr, &note));
            ++report.closed;
        }
        // Adoption of the owner's open orders we do not know.
        const std::int64_t now = clock.unix_ms();
        std::map<std::string, std::size_t> offer_index;
        for (std::size_t i = 0; i < options.offers.size(); ++i) offer_index.emplace(options.offers[i].key(), i);
        for (const auto& entry : listed) {
            // Named references, not a structured binding: clang < 16 cannot capture a binding in the lambda below.
            const auto& hash = entry.first;
            const auto& published = entry.second;
            if (known.contains(hash)) continue;
            if (published.signer && *published.signer != owner.address()) continue;
            const auto& w = std::get<WorkerpoolOrder>(published.order);
            if (w.workerpool != options.workerpool) continue;
            const std::string key = offer_of(w).key();
            const bool ours = offer_index.contains(key);
            auto adopted = db.write([&](Tx& tx) -> Result<void> {
                return insert(tx, hash, ours ? key : std::string(), u64_or_max(w.volume),
                              u64_or_max(published.remaining), PolicyOrderState::kOpen, published.order,
                              published.publication_timestamp, now);
            });
            if (!adopted) return tl::unexpected(adopted.error());
            ++report.adopted;
            service::log_info("core: orders: adopted an open order of the workerpool",
                              {{"orderHash", to_hex(hash.view())}, {"offer", ours ? key : "none"}});
        }
        return true;
    }

    Result<PolicyRoundReport> round() {
        PolicyRoundReport report;
        WP_TRY(auto workers_now, workers());
        WP_TRY(auto backlog_now, backlog());
        const std::string signature = signature_of(workers_now, backlog_now);
        auto finish = [&](std::optional<std::string> error) -> Result<PolicyRoundReport> {
            last_round_ms = clock.unix_ms();
            WP_TRY(auto rows, load(false));
            pending = std::any_of(rows.begin(), rows.end(),
                                  [](const auto& r) { return r.row.state != PolicyOrderState::kOpen; });
            if (!error && !report.market_failed) last_signature = signature;
            publish_view(rows, report.plans, error);
            return report;
        };
        WP_TRY(bool ok, resume(report));
        if (!ok) return finish("market unreachable");
        WP_TRY(ok, refresh(report));
        if (!ok) return finish("market unreachable");

        const auto times = category_times();
        WP_TRY(report.plans, plan_volumes(options.offers, times, workers_now, backlog_now, options.capacity));
        std::vector<std::uint64_t> volumes;
        for (const auto& p : report.plans) volumes.push_back(p.volume);
        WP_TRY(auto rows, load(false));
        std::vector<PolicyOrderRow> plain;
        for (const auto& r : rows) plain.push_back(r.row);
        WP_TRY(PolicyDecision decision, reconcile(options.offers, volumes, plain));
        if (!decision.empty()) {
            // The intents first, in one transaction: the new orders signed and stored before any is POSTed.
            const std::int64_t now = clock.unix_ms();
            std::vector<std::pair<Bytes32, Order>> fresh;
            for (const auto& p : decision.publish) {
                const Offer& offer = options.offers[p.offer];
                WorkerpoolOrder w;
                w.workerpool = options.workerpool;
                w.workerpoolprice = offer.price;
                w.volume = U256(p.volume);
                w.tag = offer.tag;
                w.category = U256(offer.category);
                w.trust = U256(offer.trust);
                w.salt = random_bytes32();
                Order order{w};
                set_order_sign(order, sign_order(domain, order, owner));
                fresh.emplace_back(order_hash(domain, order), std::move(order));
            }
            auto stored = db.write([&](Tx& tx) -> Result<void> {
                for (const auto& h : decision.unpublish)
                    WP_TRY_VOID(
                        tx.exec("UPDATE core_policy_orders SET state = $1, updated_ms = $2 "
                                "WHERE order_hash = $3 AND state = $4",
                                static_cast<std::int64_t>(PolicyOrderState::kUnpublishing), now, h,
                                static_cast<std::int64_t>(PolicyOrderState::kOpen)));
                for (std::size_t i = 0; i < fresh.size(); ++i) {
                    const auto& p = decision.publish[i];
                    WP_TRY_VOID(insert(tx, fresh[i].first, options.offers[p.offer].key(), p.volume, p.volume,
                                       PolicyOrderState::kPublishing, fresh[i].second, "", now));
                }
                return {};
            });
            if (!stored) return tl::unexpected(stored.error());
            if (options.stop_after_store && options.stop_after_store()) return finish("stopped after store");
            WP_TRY(ok, resume(report));
            if (!ok) return finish("market unreachable");
        }
        return finish(std::nullopt);
    }

    void publish_view(const std::vector<PolicyOrderRecord>& rows, const std::vector<OfferPlan>& plans,
                      const std::optional<std::string>& error) {
        json::object v;
        v["market"] = options.market_url;
        v["enabled"] = true;
        v["refreshedMs"] = last_round_ms.value_or(0);
        v["error"] = error ? json::value(*error) : json::value(nullptr);
        json::array offers;
        for (std::size_t i = 0; i < options.offers.size(); ++i) {
            const Offer& o = options.offers[i];
            json::object e{{"category", o.category},
                           {"tag", to_hex(o.tag.view())},
                           {"price", o.price.to_dec()},
                           {"trust", o.trust}};
            if (i < plans.size()) {
                const auto& p = plans[i];
                e["categorySeconds"] = p.category_seconds;
                e["slots"] = p.slots;
                e["replicas"] = p.replicas;
                e["budget"] = p.budget.to_dec();
                e["backlog"] = p.backlog.to_dec();
                e["earlier"] = p.earlier.to_dec();
                e["volume"] = p.volume;
            }
            offers.push_back(std::move(e));
        }
        v["offers"] = std::move(offers);
        json::array orders;
        for (const auto& r : rows) {
            if (r.row.state == PolicyOrderState::kClosed) continue;
            orders.push_back(json::object{{"orderHash", to_hex(r.row.order_hash.view())},
                                          {"remaining", r.row.remaining},
                                          {"volume", r.row.volume},
                                          {"price", r.offer.price.to_dec()},
                                          {"tag", to_hex(r.offer.tag.view())},
                                          {"category", r.offer.category},
                                          {"trust", r.offer.trust},
                                          {"publicationTimestamp", r.publication_timestamp},
                                          {"state", std::string(to_string(r.row.state))}});
        }
        v["orders"] = std::move(orders);
        std::lock_guard lock(view_mutex);
        view = std::move(v);
    }
};

OrderPublisher::OrderPublisher(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OrderPublisher::~OrderPublisher() = default;

Result<std::unique_ptr<OrderPublisher>> OrderPublisher::open(store::Database& db, SchedulerStore& store, Clock& clock,
                                                             const PrivateKey& owner, CategoryTimeSource category_time,
                                                             OrderPublisherOptions options) {
    if (options.market_url.empty())
        return make_error(Errc::kInvalidArgument, "core.market.url: required when core.orders.enabled is true");
    if (options.offers.empty())
        return make_error(Errc::kInvalidArgument,
                          "core.orders.offers: at least one offer when core.orders.enabled is true");
    marketclient::MarketClientOptions m;
    m.url = options.market_url;
    m.chain_id = options.chain_id;
    m.connect_timeout = options.market_timeout;
    m.request_timeout = options.market_timeout;
    m.user_agent = "iexec-pool-core";
    auto client = marketclient::MarketClient::create(m);
    if (!client) return make_error(client.error().code, "core.market.url: " + client.error().message);
    if (auto v = migrate_order_policy(db); !v)
        return make_error(v.error().code, "database: core_orders: " + v.error().message);
    auto impl = std::make_unique<Impl>(db, store, clock, owner, std::move(category_time), std::move(options));
    impl->market = std::make_unique<marketclient::MarketClient>(std::move(*client));
    impl->publish_view({}, {}, std::string("no round yet"));
    return std::unique_ptr<OrderPublisher>(new OrderPublisher(std::move(impl)));
}

Result<bool> OrderPublisher::tick() {
    Impl& s = *impl_;
    WP_TRY(auto workers_now, s.workers());
    WP_TRY(auto backlog_now, s.backlog());
    const bool changed = Impl::signature_of(workers_now, backlog_now) != s.last_signature;
    const bool due = !s.last_round_ms ||
                     s.clock.unix_ms() - *s.last_round_ms >= static_cast<std::int64_t>(s.options.refresh.count());
    if (!changed && !due && !s.pending) return false;
    WP_TRY_VOID(s.round());
    return true;
}

Result<PolicyRoundReport> OrderPublisher::round() { return impl_->round(); }

Result<std::vector<PolicyOrderRecord>> OrderPublisher::rows() { return impl_->load(true); }

boost::json::object OrderPublisher::view() const {
    std::lock_guard lock(impl_->view_mutex);
    return impl_->view;
}

}  // namespace wp::scheduler
