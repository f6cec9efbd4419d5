#include "schema.hpp"

#include <algorithm>
#include <bit>
#include <span>
#include <string>

namespace wp::market {
namespace {

// Version 1, common to both backends (the count triggers below differ).
constexpr const char* kTablesV1 =
    "CREATE TABLE market_orders ("
    "  chain_id BIGINT NOT NULL,"
    "  order_hash ${blob} NOT NULL,"
    "  kind SMALLINT NOT NULL,"
    "  status SMALLINT NOT NULL,"
    "  signer ${blob} NOT NULL,"
    "  resource ${blob} NOT NULL,"
    "  price ${blob} NOT NULL,"
    "  volume ${blob} NOT NULL,"
    "  remaining ${blob} NOT NULL,"
    "  tag ${blob} NOT NULL,"
    "  tag_w0 BIGINT NOT NULL, tag_w1 BIGINT NOT NULL, tag_w2 BIGINT NOT NULL, tag_w3 BIGINT NOT NULL,"
    "  category ${blob}, trust ${blob},"
    "  app ${blob}, dataset ${blob}, workerpool ${blob}, requester ${blob}, beneficiary ${blob},"
    "  app_restrict ${blob}, dataset_restrict ${blob}, workerpool_restrict ${blob}, requester_restrict ${blob},"
    "  bulk SMALLINT NOT NULL DEFAULT 0,"
    "  order_json TEXT NOT NULL,"
    "  published_ms BIGINT NOT NULL,"
    "  updated_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, order_hash));"
    // The book in sort order, with the filter columns of the searches (restricts, category, tag words): an ordered
    // scan evaluates the filters on the index and reads the table only for the rows of the page.
    "CREATE INDEX market_orders_book ON market_orders (chain_id, kind, status, price, published_ms, order_hash,"
    "  app_restrict, dataset_restrict, requester_restrict, workerpool_restrict, category, tag_w0, tag_w1, tag_w2,"
    "  tag_w3);"
    // Request orders sort by workerpoolmaxprice descending (the kind is written as a literal in their searches).
    "CREATE INDEX market_orders_request_book ON market_orders (chain_id, status, price DESC, published_ms,"
    "  order_hash, workerpool, category, tag_w0, tag_w1, tag_w2, tag_w3) WHERE kind = 3;"
    "CREATE INDEX market_orders_resource ON market_orders (chain_id, kind, resource, status);"
    "CREATE INDEX market_orders_signer ON market_orders (chain_id, kind, signer, status, published_ms);"
    // Open orders counted per combination of the searchable columns (kept by the triggers below, in the
    // transaction of every change): a search's `count` sums a few rows instead of counting up to every open order.
    // Absent columns are the empty blob; `workerpool` is the request order's workerpool (empty for other kinds);
    // rows are split over `shard` so that concurrent PostgreSQL writers do not all update one row.
    "CREATE TABLE market_order_counts ("
    "  chain_id BIGINT NOT NULL, kind SMALLINT NOT NULL, category ${blob} NOT NULL,"
    "  app_restrict ${blob} NOT NULL, dataset_restrict ${blob} NOT NULL, workerpool_restrict ${blob} NOT NULL,"
    "  requester_restrict ${blob} NOT NULL, workerpool ${blob} NOT NULL,"
    "  tag_w0 BIGINT NOT NULL, tag_w1 BIGINT NOT NULL, tag_w2 BIGINT NOT NULL, tag_w3 BIGINT NOT NULL,"
    "  bulk SMALLINT NOT NULL, shard SMALLINT NOT NULL, n BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, kind, app_restrict, dataset_restrict, requester_restrict, workerpool_restrict,"
    "    workerpool, category, tag_w0, tag_w1, tag_w2, tag_w3, bulk, shard));"
    "CREATE TABLE market_deals ("
    "  chain_id BIGINT NOT NULL,"
    "  deal_id ${blob} NOT NULL,"
    "  category ${blob} NOT NULL,"
    "  requester ${blob} NOT NULL, beneficiary ${blob} NOT NULL,"
    "  app ${blob} NOT NULL, dataset ${blob} NOT NULL, workerpool ${blob} NOT NULL,"
    "  app_owner ${blob} NOT NULL, dataset_owner ${blob} NOT NULL, workerpool_owner ${blob} NOT NULL,"
    "  apporder_hash ${blob} NOT NULL, datasetorder_hash ${blob} NOT NULL,"
    "  workerpoolorder_hash ${blob} NOT NULL, requestorder_hash ${blob} NOT NULL,"
    "  block_number BIGINT NOT NULL, log_index BIGINT NOT NULL, block_timestamp_ms BIGINT NOT NULL,"
    "  transaction_hash ${blob} NOT NULL,"
    "  document TEXT NOT NULL,"
    "  PRIMARY KEY (chain_id, deal_id));"
    "CREATE INDEX market_deals_block ON market_deals (chain_id, block_number, log_index);"
    "CREATE TABLE market_categories ("
    "  chain_id BIGINT NOT NULL,"
    "  catid BIGINT NOT NULL,"
    "  name TEXT NOT NULL, description TEXT NOT NULL,"
    "  work_clock_time_ref ${blob} NOT NULL,"
    "  transaction_hash ${blob} NOT NULL,"
    "  block_number BIGINT NOT NULL, block_timestamp_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, catid));"
    "CREATE TABLE market_owners ("
    "  chain_id BIGINT NOT NULL, entry ${blob} NOT NULL, registry SMALLINT NOT NULL,"
    "  owner ${blob} NOT NULL, block_number BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, entry));"
    "CREATE TABLE market_accounts ("
    "  chain_id BIGINT NOT NULL, account ${blob} NOT NULL, stake ${blob} NOT NULL, block_number BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, account));"
    "CREATE TABLE market_consumed ("
    "  chain_id BIGINT NOT NULL, order_hash ${blob} NOT NULL, consumed ${blob} NOT NULL,"
    "  block_number BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, order_hash));"
    "CREATE TABLE market_sync ("
    "  chain_id BIGINT NOT NULL PRIMARY KEY, hub ${blob} NOT NULL, start_block BIGINT NOT NULL,"
    "  complete SMALLINT NOT NULL, last_block BIGINT NOT NULL, last_block_ms BIGINT NOT NULL);"
    "CREATE TABLE market_events ("
    "  seq ${id},"
    "  chain_id BIGINT NOT NULL, topic TEXT NOT NULL, event TEXT NOT NULL, payload TEXT NOT NULL,"
    "  created_ms BIGINT NOT NULL);"
    "CREATE TABLE market_challenges ("
    "  chain_id BIGINT NOT NULL, address ${blob} NOT NULL, hash ${blob} NOT NULL, challenge TEXT NOT NULL,"
    "  expires_ms BIGINT NOT NULL,"
    "  PRIMARY KEY (chain_id, address));"
    "CREATE UNIQUE INDEX market_challenges_hash ON market_challenges (hash);";

// market_order_counts follows every change of market_orders that makes a row enter or leave `open` (insert, delete,
// status update), whoever runs it (order_book.cpp, an undo statement of the chain mirror): the count of a search is
// only exact if no change bypasses it. The counted columns of a row never change after its insert (re-publication
// deletes and inserts).
// clang-format off
#define WP_MARKET_COUNT_COLUMNS \
    "chain_id, kind, app_restrict, dataset_restrict, requester_restrict, workerpool_restrict, workerpool, category, " \
    "tag_w0, tag_w1, tag_w2, tag_w3, bulk, shard"

// One count change for the row `row` (new / old): absent values are `empty`, the shard is `shard`.
#define WP_MARKET_COUNT_UPSERT(row, delta, empty, shard) \
    "INSERT INTO market_order_counts (" WP_MARKET_COUNT_COLUMNS ", n) VALUES (" \
    row ".chain_id, " row ".kind, " \
    "COALESCE(" row ".app_restrict, " empty "), COALESCE(" row ".dataset_restrict, " empty "), " \
    "COALESCE(" row ".requester_restrict, " empty "), COALESCE(" row ".workerpool_restrict, " empty "), " \
    "CASE WHEN " row ".kind = 3 THEN " row ".workerpool ELSE " empty " END, COALESCE(" row ".category, " empty "), " \
    row ".tag_w0, " row ".tag_w1, " row ".tag_w2, " row ".tag_w3, " row ".bulk, " shard ", " delta ") " \
    "ON CONFLICT (" WP_MARKET_COUNT_COLUMNS ") DO UPDATE SET n = market_order_counts.n + excluded.n;"

// SQLite: one writer, one row per combination (shard 0). Plus an index for selective restrict filters (isXStrict, a
// rare restrict address) — SQLite only: PostgreSQL's generic plans (prepared statements) would take it for any restrict
// filter and read most of the book.
constexpr const char* kSqliteCountTriggers =
    "CREATE TRIGGER market_orders_count_insert AFTER INSERT ON market_orders WHEN new.status = 0 BEGIN "
    WP_MARKET_COUNT_UPSERT("new", "1", "x''", "0") " END;"
    "CREATE TRIGGER market_orders_count_delete AFTER DELETE ON market_orders WHEN old.status = 0 BEGIN "
    WP_MARKET_COUNT_UPSERT("old", "-1", "x''", "0") " END;"
    "CREATE TRIGGER market_orders_count_close AFTER UPDATE OF status ON market_orders "
    "WHEN old.status = 0 AND new.status <> 0 BEGIN " WP_MARKET_COUNT_UPSERT("old", "-1", "x''", "0") " END;"
    "CREATE TRIGGER market_orders_count_open AFTER UPDATE OF status ON market_orders "
    "WHEN old.status <> 0 AND new.status = 0 BEGIN " WP_MARKET_COUNT_UPSERT("new", "1", "x''", "0") " END;"
    "CREATE INDEX market_orders_restricts ON market_orders (chain_id, kind, status, app_restrict, dataset_restrict,"
    "  requester_restrict, workerpool_restrict);";

// PostgreSQL: concurrent writers; each change goes to one of 4 shard rows picked at random, so that publishers of
// similar orders do not all update one row (a serialization failure each).
constexpr const char* kPostgresCountTriggers =
    "CREATE FUNCTION market_orders_count() RETURNS trigger LANGUAGE plpgsql AS $fn$ "
    "DECLARE e BYTEA := decode('', 'hex'); "
    "BEGIN "
    "  IF TG_OP = 'DELETE' OR TG_OP = 'UPDATE' THEN "
    "    IF OLD.status = 0 AND (TG_OP = 'DELETE' OR NEW.status <> 0) THEN "
    WP_MARKET_COUNT_UPSERT("OLD", "-1", "e", "floor(random() * 4)::smallint")
    "    END IF; "
    "  END IF; "
    "  IF TG_OP = 'INSERT' OR TG_OP = 'UPDATE' THEN "
    "    IF NEW.status = 0 AND (TG_OP = 'INSERT' OR OLD.status <> 0) THEN "
    WP_MARKET_COUNT_UPSERT("NEW", "1", "e", "floor(random() * 4)::smallint")
    "    END IF; "
    "  END IF; "
    "  RETURN NULL; "
    "END $fn$;"
    "CREATE TRIGGER market_orders_count AFTER INSERT OR DELETE OR UPDATE OF status ON market_orders "
    "FOR EACH ROW EXECUTE FUNCTION market_orders_count();"
    // Most combinations carry one restrict address and few are public on every restrict: without the joint
    // frequencies the planner takes a search's count (public on all three) for a quarter of the table and scans it.
    "CREATE STATISTICS market_order_counts_restricts (mcv) ON kind, app_restrict, dataset_restrict, "
    "requester_restrict FROM market_order_counts;";

#undef WP_MARKET_COUNT_UPSERT
#undef WP_MARKET_COUNT_COLUMNS
// clang-format on

// Version 2: inserts no longer run a count trigger. The two insert paths (order_book.cpp insert_order,
// insert_new_orders) add their open orders to market_order_counts themselves, one upsert per combination and
// statement instead of one trigger run per row (a publish batch of one workerpool offer type: one upsert). Deletes and
// status changes keep their triggers: the chain mirror's undo statements run raw SQL on market_orders.
constexpr const char* kSqliteV2 = "DROP TRIGGER market_orders_count_insert;";
constexpr const char* kPostgresV2 =
    "DROP TRIGGER market_orders_count ON market_orders;"
    "CREATE TRIGGER market_orders_count AFTER DELETE OR UPDATE OF status ON market_orders "
    "FOR EACH ROW EXECUTE FUNCTION market_orders_count();";

const store::Migration kMigrations[] = {
    {1, "orders, deals, categories, chain state, events outbox, challenges",
     std::string(kTablesV1) + kSqliteCountTriggers, std::string(kTablesV1) + kPostgresCountTriggers},
    {2, "order counts of inserts kept by the inserting statement (no insert trigger)", kSqliteV2, kPostgresV2},
};

}  // namespace

Result<std::int64_t> migrate_market_schema(store::Database& db) { return store::migrate(db, "market", kMigrations); }

Result<std::int64_t> migrate_market_schema(store::Database& db, std::int64_t up_to) {
    const std::span<const store::Migration> all(kMigrations);
    const auto n = static_cast<std::size_t>(std::clamp<std::int64_t>(up_to, 0, static_cast<std::int64_t>(all.size())));
    if (n == 0) return make_error(Errc::kInvalidArgument, "migrate_market_schema: up_to must be at least 1");
    return store::migrate(db, "market", all.first(n));
}

TagWords tag_words(const Bytes32& tag) noexcept {
    TagWords words;
    for (int w = 0; w < 4; ++w) {
        std::uint64_t v = 0;
        // Word w covers bytes [32 - 8(w+1), 32 - 8w) of the big-endian tag.
        for (int i = 0; i < 8; ++i) v = (v << 8) | tag[static_cast<std::size_t>(32 - 8 * (w + 1) + i)];
        words.w[w] = std::bit_cast<std::int64_t>(v);
    }
    return words;
}

}  // namespace wp::market
