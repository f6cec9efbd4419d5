#pragma once
// The market's tables (component "market", applied by migrate_market_schema through wp::store::migrate), on
// SQLite and PostgreSQL. Conventions: addresses are 20-byte blobs, hashes 32-byte blobs, every U256 a 32-byte
// big-endian blob (so ORDER BY / <, >= compare numerically on both backends), times Unix milliseconds. Every row
// carries its chain_id: one database may serve several chains (the `chainId` query parameter).
//
// market_orders — one row per published order of any kind (PRIMARY KEY (chain_id, order_hash)).
//   kind SMALLINT (model.hpp kind_code), status SMALLINT (OrderStatus), signer (the resource owner / requester),
//   resource (app / dataset / workerpool address; request orders: the app),
//   price (app: appprice, dataset: datasetprice, workerpool: workerpoolprice, request: workerpoolmaxprice),
//   volume, remaining, tag_w0..tag_w3 (the tag as four 64-bit words, w0 least significant, stored as the int64 with
//   the same bit pattern, for exact bit filters in SQL: minTag → (tag_wK & m) = m, maxTag → (tag_wK & ~m) = 0),
//   tag (the 32-byte tag), category / trust (workerpool and request orders; NULL otherwise),
//   app, dataset, workerpool (the order's own resource or, for request orders, the requested ones; NULL when the
//   kind has no such field), requester / beneficiary (request orders), app_restrict, dataset_restrict,
//   workerpool_restrict, requester_restrict (NULL when the kind has no such field; 0x0…0 = public),
//   bulk SMALLINT (dataset orders: 1 for a bulk order, docs/market.md), order_json TEXT (the signed order in the
//   SDK JSON form, order_to_json kSigned), published_ms, updated_ms.
//   Unpublish DELETES the row (the reference does: a GET afterwards is 404); filled / canceled / dead stay.
//   Indexes: market_orders_book (the sort order + the filter columns), market_orders_request_book (request orders,
//   price descending; partial, WHERE kind = 3), market_orders_resource, market_orders_signer, and on SQLite only
//   market_orders_restricts.
//
// market_order_counts — the number of OPEN orders per combination of (chain_id, kind, category, app_restrict,
//   dataset_restrict, workerpool_restrict, requester_restrict, workerpool (request orders), tag_w0..3, bulk), split
//   over `shard` rows (4 on PostgreSQL); absent values are the empty blob. Kept in the transaction of each change:
//   inserts by the inserting code (order_book.hpp insert_order / insert_new_orders: one upsert per combination and
//   statement, since schema version 2), deletes and status changes by triggers on market_orders (any statement: the
//   chain mirror's undo statements too). Any other INSERT INTO market_orders must add its open rows here itself;
//   a search whose filters are all among these columns takes its count from SUM(n).
//
// market_deals — one row per deal (OrdersMatched), PRIMARY KEY (chain_id, deal_id): the filter columns
//   (category, requester, beneficiary, app, dataset, workerpool, app_owner, dataset_owner, workerpool_owner,
//   apporder_hash, datasetorder_hash, workerpoolorder_hash, requestorder_hash, block_number, block_timestamp_ms,
//   transaction_hash, log_index) and document TEXT (the deal document without chainId, documents.hpp).
//
// market_categories — PRIMARY KEY (chain_id, catid): name, description, work_clock_time_ref, transaction_hash,
//   block_number, block_timestamp_ms.
//
// The chain state the publish checks need without an RPC round trip (kept by the chain mirror's handler,
// sync.hpp; cold entries — older than the mirror's start block — fetched once from the chain and inserted):
//   market_owners(chain_id, entry, registry SMALLINT 0 app / 1 dataset / 2 workerpool, owner, block_number)
//     PRIMARY KEY (chain_id, entry): the registered apps, datasets and workerpools and their current owners;
//   market_accounts(chain_id, account, stake, block_number) PRIMARY KEY (chain_id, account): free SRLC balance;
//   market_consumed(chain_id, order_hash, consumed, block_number) PRIMARY KEY (chain_id, order_hash): m_consumed
//     from OrdersMatched volumes (hashes matched since the mirror's start block, and cold entries);
//   block_number (owners, accounts, consumed): the block the row's value is true at (chain_state.hpp: a reorg
//     back to block R drops the rows still valid at a block >= R after its undo actions ran);
//   market_sync(chain_id PRIMARY KEY, hub, start_block, complete SMALLINT, last_block, last_block_ms):
//     complete = 1 when the mirror started at (or before) the hub's deployment, so that a missing owner / consumed
//     row means "none" and never needs an RPC.
//
// market_events — the live-update outbox (seq ${id}, chain_id, topic 'orders' | 'deals', event TEXT
//   e.g. 'workerpoolorder_published', payload TEXT JSON, created_ms): written in the same transaction as the change
//   that causes it (API handlers and the chain mirror); a pump publishes rows after commit on the WebSocket hub
//   in seq order and deletes old ones. Nothing is published for a rolled-back transaction.
//
// market_challenges — pending login challenges (chain_id, address, hash, challenge TEXT, expires_ms),
//   PRIMARY KEY (chain_id, address), UNIQUE (hash): a ChallengeStore shared by several market instances.

#include <cstdint>

#include <wp/core/result.hpp>
#include <wp/store/store.hpp>

namespace wp::market {

//! Creates or upgrades the market's tables (component "market"); returns the schema version now recorded.
//! Errors as wp::store::migrate (a database written by a newer version is refused with a message).
Result<std::int64_t> migrate_market_schema(store::Database& db);
//! The migrations up to version `up_to` only (upgrade tests: a database as an older binary left it). Errors as above;
//! Errc::kInvalidArgument when up_to < 1.
Result<std::int64_t> migrate_market_schema(store::Database& db, std::int64_t up_to);

//! The tag as the four words stored in tag_w0..tag_w3 (w0 = bits 0..63), each reinterpreted as int64.
struct TagWords {
    std::int64_t w[4]{0, 0, 0, 0};
};
TagWords tag_words(const Bytes32& tag) noexcept;

}  // namespace wp::market
