#include "order_book.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <tuple>
#include <utility>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>

#include "documents.hpp"
#include "schema.hpp"

namespace wp::market {
namespace json = boost::json;

namespace {

constexpr std::uint64_t kInt64Max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// ---- SQL building ------------------------------------------------------------------------------------------------

//! A WHERE clause and its parameters ($1, $2, ... in order of use).
class Where {
  public:
    //! Adds a parameter; returns its placeholder.
    std::string bind(store::Param p) {
        params_.push_back(std::move(p));
        return "$" + std::to_string(params_.size());
    }
    void add(std::string condition) {
        if (!sql_.empty()) sql_ += " AND ";
        sql_ += condition;
    }
    void equals(std::string_view column, store::Param p) { add(std::string(column) + " = " + bind(std::move(p))); }

    const std::string& sql() const { return sql_; }
    std::vector<store::Param>& params() { return params_; }

  private:
    std::string sql_;
    std::vector<store::Param> params_;
};

//! The filter of an order search, rendered twice: on market_orders (count without the summary, and the page) and on
//! market_order_counts (the count from the summary), whose filter columns have the same names.
class OrderQuery {
  public:
    OrderQuery(std::uint64_t chain_id, OrderKind kind) : chain_id_(chain_id), kind_(kind) {}

    //! restrict semantics (order_book.hpp) on `column`.
    void restrict_filter(std::string_view column, const RestrictFilter& f) {
        if (!f.value) {
            add(column, "{c} = {1}", {Address{}}, true);
        } else if (f.value->any) {
            return;
        } else if (f.strict) {
            add(column, "{c} = {1}", {f.value->address}, true);
        } else {
            add(column, "{c} IN ({1}, {2})", {Address{}, f.value->address}, true);
        }
    }
    //! column = address unless absent or any. `counted`: a column of market_order_counts.
    void exact(std::string_view column, const std::optional<AddressOrAny>& f, bool counted) {
        if (f && !f->any) add(column, "{c} = {1}", {f->address}, counted);
    }
    void equals(std::string_view column, store::Param p, bool counted) {
        add(column, "{c} = {1}", {std::move(p)}, counted);
    }
    //! resource / signer = address: a selective term with an index of its own (market_orders_resource / _signer).
    void key(std::string_view column, const std::optional<AddressOrAny>& f) {
        if (f && !f->any) key(column, f->address);
    }
    void key(std::string_view column, const Address& a) {
        add(column, "{c} = {1}", {a}, false);
        has_key_ = true;
    }
    bool has_key() const { return has_key_; }
    void compare(std::string_view column, std::string_view op, const U256& v, bool counted) {
        add(column, "{c} " + std::string(op) + " {1}", {v}, counted);
    }
    void tags(const std::optional<Bytes32>& min_tag, const std::optional<Bytes32>& max_tag) {
        if (min_tag && !min_tag->is_zero()) {
            const TagWords words = tag_words(*min_tag);
            for (int i = 0; i < 4; ++i)
                if (words.w[i] != 0) add("tag_w" + std::to_string(i), "({c} & {1}) = {1}", {words.w[i]}, true);
        }
        if (max_tag) {
            const TagWords words = tag_words(*max_tag);
            for (int i = 0; i < 4; ++i)
                if (~words.w[i] != 0) add("tag_w" + std::to_string(i), "({c} & {1}) = 0", {~words.w[i]}, true);
        }
    }
    void min_volume(const std::optional<U256>& v) {
        if (v && !v->is_zero()) compare("remaining", ">=", *v, false);
    }
    void bulk_only() { add("bulk", "{c} = 1", {}, true); }

    OrderKind kind() const { return kind_; }
    //! Every filter is a column of market_order_counts.
    bool countable() const {
        return std::all_of(terms_.begin(), terms_.end(), [](const Term& t) { return t.counted; });
    }

    //! "chain_id = $1 AND kind = <k> [AND status = 0] AND <terms>". `plus`: the filter columns are written `+col`
    //! (SQLite: the term cannot use an index, so the planner walks the book in sort order).
    std::string render(std::vector<store::Param>& params, bool counts_table, bool plus) const {
        // Built piecewise (append, no `"x" + std::string`): gcc 12 -O3 reports false -Wrestrict on the latter.
        params.clear();
        params.emplace_back(chain_id_);
        std::string sql = "chain_id = $1 AND kind = ";
        sql += std::to_string(kind_code(kind_));
        if (!counts_table) {
            sql += " AND status = ";
            sql += std::to_string(static_cast<int>(OrderStatus::kOpen));
        }
        for (const Term& t : terms_) {
            if (counts_table && !t.counted) continue;
            sql += " AND ";
            // {c} is the column, {k} the k-th parameter of the term.
            for (std::size_t i = 0; i < t.text.size(); ++i) {
                if (t.text[i] == '{' && i + 2 < t.text.size() && t.text[i + 2] == '}') {
                    const char key = t.text[i + 1];
                    if (key == 'c') {
                        if (plus && t.counted) sql += '+';
                        sql += t.column;
                    } else {
                        sql += '$';
                        sql += std::to_string(params.size() + static_cast<std::size_t>(key - '0'));
                    }
                    i += 2;
                } else {
                    sql += t.text[i];
                }
            }
            for (const auto& p : t.params) params.push_back(p);
        }
        return sql;
    }

  private:
    struct Term {
        std::string column;
        std::string text;  //!< {c}: the column; {1}, {2}: its parameters
        std::vector<store::Param> params;
        bool counted{true};
    };

    void add(std::string_view column, std::string text, std::vector<store::Param> params, bool counted) {
        terms_.push_back(Term{std::string(column), std::move(text), std::move(params), counted});
    }

    std::uint64_t chain_id_;
    OrderKind kind_;
    std::vector<Term> terms_;
    bool has_key_{false};
};

// ---- rows ----------------------------------------------------------------------------------------------------------

constexpr std::string_view kOrderColumns = "order_hash, kind, status, remaining, signer, published_ms, order_json";

Result<OrderStatus> status_from_code(std::int64_t code) {
    if (code < 0 || code > 3)
        return make_error(Errc::kDecoding, "market_orders: unknown status " + std::to_string(code));
    return static_cast<OrderStatus>(code);
}

Result<OrderKind> kind_from_code(std::int64_t code) {
    if (code < 0 || code > 3) return make_error(Errc::kDecoding, "market_orders: unknown kind " + std::to_string(code));
    return static_cast<OrderKind>(code);
}

Result<OrderRecord> order_from_row(std::uint64_t chain_id, const store::Row& row) {
    OrderRecord r;
    r.chain_id = chain_id;
    WP_TRY(r.order_hash, row.get<Bytes32>(0));
    WP_TRY(std::int64_t kind_code_value, row.get<std::int64_t>(1));
    WP_TRY(OrderKind kind, kind_from_code(kind_code_value));
    WP_TRY(std::int64_t status_code, row.get<std::int64_t>(2));
    WP_TRY(r.status, status_from_code(status_code));
    WP_TRY(r.remaining, row.get<U256>(3));
    WP_TRY(r.signer, row.get<Address>(4));
    WP_TRY(r.published_ms, row.get<std::int64_t>(5));
    WP_TRY(std::string text, row.get<std::string>(6));
    boost::system::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (ec)
        return make_error(Errc::kDecoding, "market_orders " + to_hex(r.order_hash.view()) +
                                               ": order_json does not parse: " + ec.message());
    auto order = order_from_json(kind, parsed);
    if (!order)
        return make_error(Errc::kDecoding,
                          "market_orders " + to_hex(r.order_hash.view()) + ": order_json: " + order.error().message);
    r.order = std::move(*order);
    return r;
}

Result<std::vector<OrderRecord>> orders_from_rows(std::uint64_t chain_id, const store::Rows& rows) {
    std::vector<OrderRecord> out;
    out.reserve(rows.size());
    for (const store::Row& row : rows) {
        WP_TRY(auto r, order_from_row(chain_id, row));
        out.push_back(std::move(r));
    }
    return out;
}

Result<std::uint64_t> count_value(const store::Row& row, std::size_t column = 0) {
    WP_TRY(std::int64_t n, row.get<std::int64_t>(column));
    if (n < 0) return make_error(Errc::kDecoding, "market_order_counts: negative count " + std::to_string(n));
    return static_cast<std::uint64_t>(n);
}

//! Runs the count and the page of a search. The count comes from market_order_counts (kept by triggers, schema.cpp)
//! when every filter is one of its
//! columns, else from COUNT(*). SQLite plans without statistics (the market never runs ANALYZE) and prefers the index
//! with the most equality terms, so the plan is steered by writing the counted filter columns `+col` (no index use):
//!  - with a resource / signer term: always, so that its own index is used for the count and the page;
//!  - otherwise when walking the book in sort order is expected to read fewer rows than the matches
//!    (total × (skip + limit) / count ≤ count): market_orders_book is walked, the filters evaluated on the index and
//!    the table read only for the rows of the page; else market_orders_restricts may select and the page is sorted
//!    (ORDER BY +price: SQLite would otherwise walk the book index to avoid the sort, reading every row).
//! PostgreSQL has statistics and plans alone, with custom plans (SET LOCAL plan_cache_mode = force_custom_plan).
Result<OrderPage> run_order_search(store::Tx& tx, std::uint64_t chain_id, const OrderQuery& q, const Paging& paging) {
    const PageWindow window = resolve_page(paging);
    const bool sqlite = tx.backend() == store::Backend::kSqlite;
    if (!sqlite) {
        // The statements are prepared (store's statement cache): a generic plan, made without the parameter values,
        // misjudges the restrict filters (most orders are public) and may read the whole book; plan each run.
        WP_TRY_VOID(tx.exec("SET LOCAL plan_cache_mode = force_custom_plan"));
    }
    std::vector<store::Param> params;
    OrderPage page;
    if (q.countable()) {
        const std::string where = q.render(params, true, false);
        WP_TRY(store::Row row,
               tx.query_row_params("SELECT COALESCE(SUM(n), 0) FROM market_order_counts WHERE " + where, params));
        WP_TRY(page.count, count_value(row));
    } else {
        const std::string where = q.render(params, false, sqlite && q.has_key());
        WP_TRY(store::Row row, tx.query_row_params("SELECT COUNT(*) FROM market_orders WHERE " + where, params));
        WP_TRY(page.count, count_value(row));
    }
    if (window.skip < page.count) {
        bool plus = false;       // the counted filter columns are written +col
        bool sort_plus = false;  // ORDER BY +price: the planner cannot walk an index in order, so it selects and sorts
        if (sqlite && q.has_key()) {
            plus = true;
            sort_plus = true;
        } else if (sqlite) {
            WP_TRY(store::Row row, tx.query_row("SELECT COALESCE(SUM(n), 0) FROM market_order_counts WHERE chain_id = "
                                                "$1 AND kind = $2",
                                                chain_id, kind_code(q.kind())));
            WP_TRY(std::uint64_t total, count_value(row));
            const long double walk = static_cast<long double>(total) *
                                     static_cast<long double>(window.skip + std::min(window.limit, page.count)) /
                                     static_cast<long double>(page.count);
            plus = walk <= static_cast<long double>(page.count);
            sort_plus = !plus;
        }
        const bool descending = q.kind() == OrderKind::kRequest;
        std::string sql = "SELECT ";
        sql += kOrderColumns;
        sql += " FROM market_orders WHERE ";
        sql += q.render(params, false, plus);
        sql += sort_plus ? " ORDER BY +price" : " ORDER BY price";
        sql += descending ? " DESC" : " ASC";
        sql += ", published_ms ASC, order_hash ASC LIMIT $";
        sql += std::to_string(params.size() + 1);
        sql += " OFFSET $";
        sql += std::to_string(params.size() + 2);
        params.emplace_back(window.limit);
        params.emplace_back(window.skip);
        WP_TRY(store::Rows rows, tx.query_params(sql, params));
        WP_TRY(page.orders, orders_from_rows(chain_id, rows));
    }
    page.next_page = next_page(window, page.orders.size());
    return page;
}

// ---- the indexed columns of an order ------------------------------------------------------------------------------

struct OrderColumns {
    Address resource;
    U256 price;
    std::optional<U256> category, trust;
    std::optional<Address> app, dataset, workerpool, requester, beneficiary;
    std::optional<Address> app_restrict, dataset_restrict, workerpool_restrict, requester_restrict;
    bool bulk{false};
};

OrderColumns columns_of(const Order& order) {
    OrderColumns c;
    std::visit(
        [&](const auto& o) {
            using T = std::decay_t<decltype(o)>;
            if constexpr (std::is_same_v<T, AppOrder>) {
                c.resource = o.app;
                c.price = o.appprice;
                c.app = o.app;
                c.dataset_restrict = o.datasetrestrict;
                c.workerpool_restrict = o.workerpoolrestrict;
                c.requester_restrict = o.requesterrestrict;
            } else if constexpr (std::is_same_v<T, DatasetOrder>) {
                c.resource = o.dataset;
                c.price = o.datasetprice;
                c.dataset = o.dataset;
                c.app_restrict = o.apprestrict;
                c.workerpool_restrict = o.workerpoolrestrict;
                c.requester_restrict = o.requesterrestrict;
                c.bulk = is_bulk_datasetorder(o);
            } else if constexpr (std::is_same_v<T, WorkerpoolOrder>) {
                c.resource = o.workerpool;
                c.price = o.workerpoolprice;
                c.category = o.category;
                c.trust = o.trust;
                c.workerpool = o.workerpool;
                c.app_restrict = o.apprestrict;
                c.dataset_restrict = o.datasetrestrict;
                c.requester_restrict = o.requesterrestrict;
            } else {
                c.resource = o.app;
                c.price = o.workerpoolmaxprice;
                c.category = o.category;
                c.trust = o.trust;
                c.app = o.app;
                c.dataset = o.dataset;
                c.workerpool = o.workerpool;
                c.requester = o.requester;
                c.beneficiary = o.beneficiary;
            }
        },
        order);
    return c;
}

Result<std::optional<OrderState>> update_state(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                               const std::optional<OrderStatus>& status,
                                               const std::optional<U256>& remaining, std::int64_t now_ms,
                                               std::optional<OrderStatus> only_if) {
    WP_TRY(auto row, tx.query_opt("SELECT status, remaining FROM market_orders WHERE chain_id = $1 AND order_hash = $2",
                                  chain_id, order_hash));
    if (!row) return std::optional<OrderState>{};
    OrderState previous;
    WP_TRY(std::int64_t code, row->get<std::int64_t>(0));
    WP_TRY(previous.status, status_from_code(code));
    WP_TRY(previous.remaining, row->get<U256>(1));
    if (only_if && previous.status != *only_if) return std::optional<OrderState>{};
    const OrderStatus next_status = status.value_or(previous.status);
    const U256 next_remaining = remaining.value_or(previous.remaining);
    WP_TRY_VOID(tx.exec(
        "UPDATE market_orders SET status = $1, remaining = $2, updated_ms = $3 WHERE chain_id = $4 AND order_hash = $5",
        static_cast<std::int64_t>(next_status), next_remaining, now_ms, chain_id, order_hash));
    return std::optional<OrderState>(previous);
}

// ---- deals and categories rows ------------------------------------------------------------------------------------

Result<DealRecord> deal_from_row(std::uint64_t chain_id, const store::Row& row, std::size_t column) {
    WP_TRY(std::string text, row.get<std::string>(column));
    boost::system::error_code ec;
    const json::value parsed = json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, "market_deals: document does not parse: " + ec.message());
    return deal_from_document(chain_id, parsed);
}

constexpr std::string_view kCategoryColumns =
    "catid, name, description, work_clock_time_ref, transaction_hash, block_number, block_timestamp_ms";

Result<CategoryRecord> category_from_row(std::uint64_t chain_id, const store::Row& row) {
    CategoryRecord c;
    c.chain_id = chain_id;
    WP_TRY(c.catid, row.get<std::uint64_t>(0));
    WP_TRY(c.name, row.get<std::string>(1));
    WP_TRY(c.description, row.get<std::string>(2));
    WP_TRY(c.work_clock_time_ref, row.get<U256>(3));
    WP_TRY(c.transaction_hash, row.get<Bytes32>(4));
    WP_TRY(c.block_number, row.get<std::uint64_t>(5));
    WP_TRY(c.block_timestamp_ms, row.get<std::int64_t>(6));
    return c;
}

}  // namespace

// ---- paging ---------------------------------------------------------------------------------------------------------

PageWindow resolve_page(const Paging& paging) noexcept {
    PageWindow w;
    if (paging.page_index || paging.page_size) {
        w.limit = paging.page_size.value_or(kDefaultPageSize);
        const std::uint64_t index = paging.page_index.value_or(0);
        if (w.limit != 0 && index > kInt64Max / w.limit) w.skip = kInt64Max;
        else w.skip = w.limit * index;
    } else {
        w.limit = kDefaultPageSize;
        w.skip = paging.page.value_or(0);
    }
    w.skip = std::min(w.skip, kInt64Max);
    w.limit = std::min(w.limit, kInt64Max);
    return w;
}

std::optional<std::uint64_t> next_page(const PageWindow& window, std::size_t returned) noexcept {
    if (returned != window.limit) return std::nullopt;
    if (window.skip > std::numeric_limits<std::uint64_t>::max() - window.limit) return std::nullopt;
    return window.skip + window.limit;
}

// ---- orders -------------------------------------------------------------------------------------------------------

bool is_bulk_datasetorder(const DatasetOrder& order) noexcept {
    return order.datasetprice.is_zero() && order.volume == U256(kDatasetInfiniteVolume);
}

namespace {

// The INSERT columns of market_orders and one row's values (published_ms: the stored publication time).
const std::vector<std::string>& order_insert_columns() {
    static const std::vector<std::string> columns{"chain_id",
                                                  "order_hash",
                                                  "kind",
                                                  "status",
                                                  "signer",
                                                  "resource",
                                                  "price",
                                                  "volume",
                                                  "remaining",
                                                  "tag",
                                                  "tag_w0",
                                                  "tag_w1",
                                                  "tag_w2",
                                                  "tag_w3",
                                                  "category",
                                                  "trust",
                                                  "app",
                                                  "dataset",
                                                  "workerpool",
                                                  "requester",
                                                  "beneficiary",
                                                  "app_restrict",
                                                  "dataset_restrict",
                                                  "workerpool_restrict",
                                                  "requester_restrict",
                                                  "bulk",
                                                  "order_json",
                                                  "published_ms",
                                                  "updated_ms"};
    return columns;
}

std::vector<store::Param> order_insert_row(const OrderRecord& record, std::int64_t published_ms,
                                           std::int64_t updated_ms) {
    const OrderColumns c = columns_of(record.order);
    const Bytes32& tag = order_tag(record.order);
    const TagWords words = tag_words(tag);
    std::vector<store::Param> row;
    row.reserve(29);
    row.emplace_back(record.chain_id);
    row.emplace_back(record.order_hash);
    row.emplace_back(kind_code(kind_of(record.order)));
    row.emplace_back(static_cast<std::int64_t>(record.status));
    row.emplace_back(record.signer);
    row.emplace_back(c.resource);
    row.emplace_back(c.price);
    row.emplace_back(order_volume(record.order));
    row.emplace_back(record.remaining);
    row.emplace_back(tag);
    for (int w = 0; w < 4; ++w) row.emplace_back(words.w[w]);
    row.emplace_back(c.category);
    row.emplace_back(c.trust);
    row.emplace_back(c.app);
    row.emplace_back(c.dataset);
    row.emplace_back(c.workerpool);
    row.emplace_back(c.requester);
    row.emplace_back(c.beneficiary);
    row.emplace_back(c.app_restrict);
    row.emplace_back(c.dataset_restrict);
    row.emplace_back(c.workerpool_restrict);
    row.emplace_back(c.requester_restrict);
    row.emplace_back(std::int64_t{c.bulk ? 1 : 0});
    row.emplace_back(json::serialize(order_to_json(record.order, OrderJsonFields::kSigned)));
    row.emplace_back(published_ms);
    row.emplace_back(updated_ms);
    return row;
}

// One multi-row INSERT statement (Tx::insert_many's text), for a query_batch.
store::Statement multi_row_insert(std::string_view table, const std::vector<std::string>& columns,
                                  std::span<const std::vector<store::Param>> rows, std::string_view suffix) {
    store::Statement st;
    st.sql = "INSERT INTO ";
    st.sql += table;
    st.sql += " (";
    for (std::size_t c = 0; c < columns.size(); ++c) {
        if (c != 0) st.sql += ", ";
        st.sql += columns[c];
    }
    st.sql += ") VALUES ";
    st.params.reserve(rows.size() * columns.size());
    for (std::size_t r = 0; r < rows.size(); ++r) {
        st.sql += r != 0 ? ", (" : "(";
        for (std::size_t c = 0; c < columns.size(); ++c) {
            st.sql += c != 0 ? ", $" : "$";
            st.sql += std::to_string(st.params.size() + 1);
            st.params.push_back(rows[r][c]);
        }
        st.sql += ")";
    }
    if (!suffix.empty()) {
        st.sql += " ";
        st.sql += suffix;
    }
    return st;
}

// Multi-row INSERTs in chunks of power-of-two sizes (13 rows = 8 + 4 + 1): a handful of statement texts, each
// prepared once per connection, whatever the batch sizes.
void add_pow2_inserts(std::vector<store::Statement>& out, std::string_view table,
                      const std::vector<std::string>& columns, std::span<const std::vector<store::Param>> rows,
                      std::string_view suffix) {
    std::size_t start = 0;
    while (start < rows.size()) {
        std::size_t chunk = 256;
        while (chunk > rows.size() - start) chunk /= 2;
        out.push_back(multi_row_insert(table, columns, rows.subspan(start, chunk), suffix));
        start += chunk;
    }
}

const std::vector<std::string>& event_columns() {
    static const std::vector<std::string> columns{"chain_id", "topic", "event", "payload", "created_ms"};
    return columns;
}

Result<std::vector<std::vector<store::Param>>> event_insert_rows(std::span<const MarketEvent> events) {
    std::vector<std::vector<store::Param>> rows;
    rows.reserve(events.size());
    for (const auto& e : events) {
        if (e.topic.empty()) return make_error(Errc::kInvalidArgument, "append_events: topic is empty");
        if (e.event.empty()) return make_error(Errc::kInvalidArgument, "append_events: event is empty");
        rows.push_back({e.chain_id, e.topic, e.event, e.payload, e.created_ms});
    }
    return rows;
}

// market_order_counts for inserted rows (schema version 2 has no insert trigger, schema.cpp): +k per combination of
// the counted columns, one upsert per combination, with the values the delete / status triggers read back from the
// row (absent = the empty blob; workerpool for request orders only). Records that are not open count nothing.
std::vector<store::Statement> count_statements(std::span<const OrderRecord> records, bool sharded) {
    struct Group {
        std::vector<store::Param> key;
        std::int64_t n{0};
    };
    std::map<std::string, Group> groups;
    const auto blob = [](const std::optional<Address>& a) { return a ? store::Param(*a) : store::Param(ByteView{}); };
    for (const auto& r : records) {
        if (r.status != OrderStatus::kOpen) continue;
        const OrderColumns c = columns_of(r.order);
        const TagWords words = tag_words(order_tag(r.order));
        const OrderKind kind = kind_of(r.order);
        std::vector<store::Param> key;
        key.reserve(13);
        key.emplace_back(r.chain_id);
        key.emplace_back(kind_code(kind));
        key.push_back(blob(c.app_restrict));
        key.push_back(blob(c.dataset_restrict));
        key.push_back(blob(c.requester_restrict));
        key.push_back(blob(c.workerpool_restrict));
        key.push_back(kind == OrderKind::kRequest ? blob(c.workerpool) : store::Param(ByteView{}));
        key.push_back(c.category ? store::Param(*c.category) : store::Param(ByteView{}));
        for (int w = 0; w < 4; ++w) key.emplace_back(words.w[w]);
        key.emplace_back(std::int64_t{c.bulk ? 1 : 0});
        std::string id;
        for (const auto& p : key) {
            id += p.kind() == store::Param::Kind::kBytes ? 'b' : 'i';
            id += std::to_string(p.kind() == store::Param::Kind::kBytes ? static_cast<std::int64_t>(p.data().size())
                                                                        : p.int_value());
            id += ':';
            id += p.data();
        }
        Group& g = groups[id];
        if (g.n == 0) g.key = std::move(key);
        g.n += 1;
    }
    // PostgreSQL: a random shard of the combination (schema.cpp), as the status triggers do.
    thread_local std::minstd_rand shard_source{std::random_device{}()};
    std::vector<store::Statement> out;
    for (auto& [id, g] : groups) {
        std::vector<store::Param> params = std::move(g.key);
        params.emplace_back(sharded ? static_cast<std::int64_t>(shard_source() % 4) : std::int64_t{0});
        params.emplace_back(g.n);
        out.push_back(store::Statement{
            "INSERT INTO market_order_counts (chain_id, kind, app_restrict, dataset_restrict, requester_restrict, "
            "workerpool_restrict, workerpool, category, tag_w0, tag_w1, tag_w2, tag_w3, bulk, shard, n) VALUES ($1, "
            "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) ON CONFLICT (chain_id, kind, app_restrict, "
            "dataset_restrict, requester_restrict, workerpool_restrict, workerpool, category, tag_w0, tag_w1, tag_w2, "
            "tag_w3, bulk, shard) DO UPDATE SET n = market_order_counts.n + excluded.n",
            std::move(params)});
    }
    return out;
}

Result<void> count_inserted_orders(store::Tx& tx, std::span<const OrderRecord> records) {
    for (const auto& st : count_statements(records, tx.backend() == store::Backend::kPostgres))
        WP_TRY_VOID(tx.exec_params(st.sql, st.params));
    return {};
}

}  // namespace

Result<OrderRecord> insert_order(store::Tx& tx, const OrderRecord& record) {
    OrderRecord stored = record;
    WP_TRY(auto existing, tx.query_opt("SELECT status, published_ms FROM market_orders WHERE chain_id = $1 AND "
                                       "order_hash = $2",
                                       record.chain_id, record.order_hash));
    if (existing) {
        WP_TRY(std::int64_t code, existing->get<std::int64_t>(0));
        WP_TRY(OrderStatus status, status_from_code(code));
        if (status != OrderStatus::kDead) return make_error(Errc::kInvalidArgument, "order already published");
        WP_TRY(stored.published_ms, existing->get<std::int64_t>(1));
        WP_TRY_VOID(tx.exec("DELETE FROM market_orders WHERE chain_id = $1 AND order_hash = $2", record.chain_id,
                            record.order_hash));
    }
    const std::vector<store::Param> params = order_insert_row(record, stored.published_ms, record.published_ms);
    // ON CONFLICT DO NOTHING: a concurrent publication of the same hash that committed after this transaction's
    // SELECT above (PostgreSQL answers its INSERT with a unique violation, not a serialization failure) is the same
    // refusal as one found by the SELECT.
    WP_TRY(
        std::int64_t inserted,
        tx.exec_params(
            "INSERT INTO market_orders (chain_id, order_hash, kind, status, signer, resource, price, volume, "
            "remaining, tag, tag_w0, tag_w1, tag_w2, tag_w3, category, trust, app, dataset, workerpool, requester, "
            "beneficiary, app_restrict, dataset_restrict, workerpool_restrict, requester_restrict, bulk, order_json, "
            "published_ms, updated_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, "
            "$16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, $27, $28, $29) "
            "ON CONFLICT (chain_id, order_hash) DO NOTHING",
            params));
    if (inserted == 0) return make_error(Errc::kInvalidArgument, "order already published");
    WP_TRY_VOID(count_inserted_orders(tx, std::span<const OrderRecord>(&record, 1)));
    return stored;
}

Result<std::int64_t> insert_new_orders(store::Tx& tx, std::span<const OrderRecord> records, std::int64_t updated_ms,
                                       std::span<const MarketEvent> events) {
    WP_TRY(auto event_rows, event_insert_rows(events));
    std::vector<std::vector<store::Param>> rows;
    rows.reserve(records.size());
    for (const auto& r : records) rows.push_back(order_insert_row(r, r.published_ms, updated_ms));
    // PostgreSQL: the orders (RETURNING: the inserted ones come back), their counts and the events in one
    // query_batch. SQLite has no round trip to save: the same statements one by one, without RETURNING, the counts
    // only when every order was inserted.
    const bool postgres = tx.backend() == store::Backend::kPostgres;
    std::vector<store::Statement> statements;
    add_pow2_inserts(statements, "market_orders", order_insert_columns(), rows,
                     postgres ? "ON CONFLICT (chain_id, order_hash) DO NOTHING RETURNING order_hash"
                              : "ON CONFLICT (chain_id, order_hash) DO NOTHING");
    const std::size_t order_statements = statements.size();
    for (auto& st : count_statements(records, postgres)) statements.push_back(std::move(st));
    add_pow2_inserts(statements, "market_events", event_columns(), event_rows, {});
    if (!postgres) {
        std::int64_t inserted = 0;
        for (std::size_t i = 0; i < statements.size(); ++i) {
            WP_TRY(std::int64_t n, tx.exec_params(statements[i].sql, statements[i].params));
            if (i >= order_statements) continue;
            inserted += n;
            if (i + 1 == order_statements && inserted != static_cast<std::int64_t>(records.size())) return inserted;
        }
        return inserted;
    }
    WP_TRY(const auto results, tx.query_batch(statements));
    std::int64_t inserted = 0;
    for (std::size_t i = 0; i < order_statements; ++i) inserted += static_cast<std::int64_t>(results[i].size());
    return inserted;
}

Result<void> append_events(store::Tx& tx, std::span<const MarketEvent> events) {
    WP_TRY(auto rows, event_insert_rows(events));
    std::vector<store::Statement> statements;
    add_pow2_inserts(statements, "market_events", event_columns(), rows, {});
    WP_TRY_VOID(tx.query_batch(statements));
    return {};
}

Result<std::optional<OrderRecord>> find_order(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                              std::optional<OrderKind> kind) {
    WP_TRY(auto row, tx.query_opt("SELECT " + std::string(kOrderColumns) +
                                      " FROM market_orders WHERE chain_id = $1 AND order_hash = $2",
                                  chain_id, order_hash));
    if (!row) return std::optional<OrderRecord>{};
    if (kind) {
        WP_TRY(std::int64_t code, row->get<std::int64_t>(1));
        if (code != kind_code(*kind)) return std::optional<OrderRecord>{};
    }
    WP_TRY(auto record, order_from_row(chain_id, *row));
    return std::optional<OrderRecord>(std::move(record));
}

Result<OrderPage> search_apporders(store::Tx& tx, std::uint64_t chain_id, const ApporderFilters& f) {
    OrderQuery q(chain_id, OrderKind::kApp);
    q.key("resource", f.app);
    if (f.app_owner) q.key("signer", *f.app_owner);
    q.restrict_filter("dataset_restrict", f.dataset);
    q.restrict_filter("workerpool_restrict", f.workerpool);
    q.restrict_filter("requester_restrict", f.requester);
    q.min_volume(f.min_volume);
    q.tags(f.min_tag, f.max_tag);
    return run_order_search(tx, chain_id, q, f.paging);
}

Result<OrderPage> search_datasetorders(store::Tx& tx, std::uint64_t chain_id, const DatasetorderFilters& f) {
    OrderQuery q(chain_id, OrderKind::kDataset);
    q.key("resource", f.dataset);
    if (f.dataset_owner) q.key("signer", *f.dataset_owner);
    q.restrict_filter("app_restrict", f.app);
    q.restrict_filter("workerpool_restrict", f.workerpool);
    q.restrict_filter("requester_restrict", f.requester);
    q.min_volume(f.min_volume);
    q.tags(f.min_tag, f.max_tag);
    if (f.bulk_only) q.bulk_only();
    return run_order_search(tx, chain_id, q, f.paging);
}

Result<OrderPage> search_workerpoolorders(store::Tx& tx, std::uint64_t chain_id, const WorkerpoolorderFilters& f) {
    OrderQuery q(chain_id, OrderKind::kWorkerpool);
    if (f.category) q.equals("category", *f.category, true);
    q.key("resource", f.workerpool);
    if (f.workerpool_owner) q.key("signer", *f.workerpool_owner);
    q.restrict_filter("app_restrict", f.app);
    q.restrict_filter("dataset_restrict", f.dataset);
    q.restrict_filter("requester_restrict", f.requester);
    if (f.min_trust && *f.min_trust > U256(1)) q.compare("trust", ">=", *f.min_trust, false);
    q.min_volume(f.min_volume);
    q.tags(f.min_tag, f.max_tag);
    return run_order_search(tx, chain_id, q, f.paging);
}

Result<OrderPage> search_requestorders(store::Tx& tx, std::uint64_t chain_id, const RequestorderFilters& f) {
    OrderQuery q(chain_id, OrderKind::kRequest);
    if (f.category) q.equals("category", *f.category, true);
    q.key("resource", f.app);  // a request order's resource is its app
    q.exact("dataset", f.dataset, false);
    q.exact("requester", f.requester, false);
    q.exact("beneficiary", f.beneficiary, false);
    q.restrict_filter("workerpool", f.workerpool);
    if (f.max_trust) q.compare("trust", "<=", *f.max_trust, false);
    q.min_volume(f.min_volume);
    q.tags(f.min_tag, f.max_tag);
    return run_order_search(tx, chain_id, q, f.paging);
}

Result<std::uint64_t> count_open_orders(store::Tx& tx, std::uint64_t chain_id, OrderKind kind, const Address& signer) {
    WP_TRY(auto row,
           tx.query_row("SELECT COUNT(*) FROM market_orders WHERE chain_id = $1 AND kind = $2 AND signer = $3 "
                        "AND status = $4",
                        chain_id, kind_code(kind), signer, static_cast<std::int64_t>(OrderStatus::kOpen)));
    WP_TRY(std::int64_t n, row.get<std::int64_t>(0));
    return static_cast<std::uint64_t>(n);
}

Result<OpenOrderCounts> count_open_orders_by_kind(store::Tx& tx, std::uint64_t chain_id) {
    // From the summary (schema.cpp triggers): a few rows instead of every open order.
    WP_TRY(auto rows, tx.query("SELECT kind, COALESCE(SUM(n), 0) FROM market_order_counts WHERE chain_id = $1 GROUP "
                               "BY kind",
                               chain_id));
    OpenOrderCounts counts;
    for (const store::Row& row : rows) {
        WP_TRY(std::int64_t code, row.get<std::int64_t>(0));
        WP_TRY(OrderKind kind, kind_from_code(code));
        WP_TRY(std::uint64_t v, count_value(row, 1));
        switch (kind) {
            case OrderKind::kApp: counts.apporders = v; break;
            case OrderKind::kDataset: counts.datasetorders = v; break;
            case OrderKind::kWorkerpool: counts.workerpoolorders = v; break;
            case OrderKind::kRequest: counts.requestorders = v; break;
        }
    }
    return counts;
}

Result<std::vector<OrderRecord>> select_orders(store::Tx& tx, std::uint64_t chain_id, const OrderSelection& s) {
    if ((s.app || s.dataset) && s.kind != OrderKind::kRequest)
        return make_error(Errc::kInvalidArgument, "select_orders: app / dataset select request orders only");
    Where w;
    w.equals("chain_id", chain_id);
    w.equals("kind", kind_code(s.kind));
    if (s.status) w.equals("status", static_cast<std::int64_t>(*s.status));
    if (s.signer) w.equals("signer", *s.signer);
    if (s.resource) w.equals(s.kind == OrderKind::kRequest ? "requester" : "resource", *s.resource);
    if (s.app) w.equals("app", *s.app);
    if (s.dataset) w.equals("dataset", *s.dataset);
    std::string sql = "SELECT " + std::string(kOrderColumns) + " FROM market_orders WHERE " + w.sql() +
                      " ORDER BY published_ms DESC, order_hash DESC";
    if (s.limit) sql += " LIMIT " + w.bind(std::min(*s.limit, kInt64Max));
    WP_TRY(store::Rows rows, tx.query_params(sql, w.params()));
    return orders_from_rows(chain_id, rows);
}

Result<std::uint64_t> delete_orders(store::Tx& tx, std::uint64_t chain_id, std::span<const Bytes32> order_hashes) {
    std::uint64_t deleted = 0;
    for (const Bytes32& h : order_hashes) {
        WP_TRY(std::int64_t n,
               tx.exec("DELETE FROM market_orders WHERE chain_id = $1 AND order_hash = $2", chain_id, h));
        deleted += static_cast<std::uint64_t>(n);
    }
    return deleted;
}

Result<std::optional<OrderState>> set_order_state(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                  const OrderState& state, std::int64_t now_ms,
                                                  std::optional<OrderStatus> only_if) {
    return update_state(tx, chain_id, order_hash, state.status, state.remaining, now_ms, only_if);
}

Result<std::optional<OrderState>> set_order_status(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                   OrderStatus status, std::int64_t now_ms,
                                                   std::optional<OrderStatus> only_if) {
    return update_state(tx, chain_id, order_hash, status, std::nullopt, now_ms, only_if);
}

Result<std::optional<OrderState>> set_order_remaining(store::Tx& tx, std::uint64_t chain_id, const Bytes32& order_hash,
                                                      const U256& remaining, std::int64_t now_ms,
                                                      std::optional<OrderStatus> only_if) {
    return update_state(tx, chain_id, order_hash, std::nullopt, remaining, now_ms, only_if);
}

// ---- events -------------------------------------------------------------------------------------------------------

Result<std::int64_t> append_event(store::Tx& tx, std::uint64_t chain_id, std::string_view topic, std::string_view event,
                                  std::string_view payload_json, std::optional<std::int64_t> created_ms) {
    if (topic.empty()) return make_error(Errc::kInvalidArgument, "append_event: topic is empty");
    if (event.empty()) return make_error(Errc::kInvalidArgument, "append_event: event is empty");
    const std::int64_t now = created_ms ? *created_ms : system_clock().unix_ms();
    WP_TRY(auto row, tx.query_row("INSERT INTO market_events (chain_id, topic, event, payload, created_ms) VALUES ($1, "
                                  "$2, $3, $4, $5) RETURNING seq",
                                  chain_id, topic, event, payload_json, now));
    return row.get<std::int64_t>(0);
}

Result<std::vector<MarketEvent>> events_after(store::Tx& tx, std::int64_t after_seq, std::uint64_t limit) {
    WP_TRY(auto rows, tx.query("SELECT seq, chain_id, topic, event, payload, created_ms FROM market_events WHERE seq > "
                               "$1 ORDER BY seq LIMIT $2",
                               after_seq, std::min(limit, kInt64Max)));
    std::vector<MarketEvent> out;
    out.reserve(rows.size());
    for (const store::Row& row : rows) {
        MarketEvent e;
        WP_TRY(e.seq, row.get<std::int64_t>(0));
        WP_TRY(e.chain_id, row.get<std::uint64_t>(1));
        WP_TRY(e.topic, row.get<std::string>(2));
        WP_TRY(e.event, row.get<std::string>(3));
        WP_TRY(e.payload, row.get<std::string>(4));
        WP_TRY(e.created_ms, row.get<std::int64_t>(5));
        out.push_back(std::move(e));
    }
    return out;
}

Result<std::uint64_t> delete_events_up_to(store::Tx& tx, std::int64_t up_to_seq) {
    WP_TRY(std::int64_t n, tx.exec("DELETE FROM market_events WHERE seq <= $1", up_to_seq));
    return static_cast<std::uint64_t>(n);
}

// ---- deals --------------------------------------------------------------------------------------------------------

Result<bool> insert_deal(store::Tx& tx, const DealRecord& d, std::uint64_t log_index) {
    const std::string document = json::serialize(deal_document(d, DocumentOptions{.with_chain_id = false}));
    const std::array<store::Param, 20> params{
        d.chain_id,         d.deal_id,          d.category,
        d.requester,        d.beneficiary,      d.app,
        d.dataset,          d.workerpool,       d.app_owner,
        d.dataset_owner,    d.workerpool_owner, d.app_hash,
        d.dataset_hash,     d.workerpool_hash,  d.request_hash,
        d.block_number,     log_index,          d.block_timestamp_ms,
        d.transaction_hash, document,
    };
    WP_TRY(
        std::int64_t n,
        tx.exec_params("INSERT INTO market_deals (chain_id, deal_id, category, requester, beneficiary, app, dataset, "
                       "workerpool, app_owner, dataset_owner, workerpool_owner, apporder_hash, datasetorder_hash, "
                       "workerpoolorder_hash, requestorder_hash, block_number, log_index, block_timestamp_ms, "
                       "transaction_hash, document) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, "
                       "$13, $14, $15, $16, $17, $18, $19, $20) ON CONFLICT (chain_id, deal_id) DO NOTHING",
                       params));
    return n > 0;
}

Result<bool> delete_deal(store::Tx& tx, std::uint64_t chain_id, const Bytes32& deal_id) {
    WP_TRY(std::int64_t n, tx.exec("DELETE FROM market_deals WHERE chain_id = $1 AND deal_id = $2", chain_id, deal_id));
    return n > 0;
}

Result<std::optional<DealRecord>> find_deal(store::Tx& tx, std::uint64_t chain_id, const Bytes32& deal_id) {
    WP_TRY(auto row,
           tx.query_opt("SELECT document FROM market_deals WHERE chain_id = $1 AND deal_id = $2", chain_id, deal_id));
    if (!row) return std::optional<DealRecord>{};
    WP_TRY(auto deal, deal_from_row(chain_id, *row, 0));
    return std::optional<DealRecord>(std::move(deal));
}

Result<DealPage> search_deals(store::Tx& tx, std::uint64_t chain_id, const DealFilters& f) {
    Where w;
    w.equals("chain_id", chain_id);
    if (f.category) w.equals("category", *f.category);
    const std::pair<std::string_view, const std::optional<Address>*> addresses[] = {
        {"requester", &f.requester},
        {"beneficiary", &f.beneficiary},
        {"app", &f.app},
        {"dataset", &f.dataset},
        {"workerpool", &f.workerpool},
        {"app_owner", &f.app_owner},
        {"dataset_owner", &f.dataset_owner},
        {"workerpool_owner", &f.workerpool_owner},
    };
    for (const auto& [column, value] : addresses)
        if (*value) w.equals(column, **value);
    const std::pair<std::string_view, const std::optional<Bytes32>*> hashes[] = {
        {"apporder_hash", &f.apporder_hash},
        {"datasetorder_hash", &f.datasetorder_hash},
        {"workerpoolorder_hash", &f.workerpoolorder_hash},
        {"requestorder_hash", &f.requestorder_hash},
    };
    for (const auto& [column, value] : hashes)
        if (*value) w.equals(column, **value);

    const PageWindow window = resolve_page(f.paging);
    WP_TRY(store::Row count_row, tx.query_row_params("SELECT COUNT(*) FROM market_deals WHERE " + w.sql(), w.params()));
    WP_TRY(std::int64_t count, count_row.get<std::int64_t>(0));
    DealPage page;
    page.count = static_cast<std::uint64_t>(count);
    if (window.skip < page.count) {
        const std::string sql = "SELECT document FROM market_deals WHERE " + w.sql() +
                                " ORDER BY block_number DESC, deal_id ASC LIMIT " + w.bind(window.limit) + " OFFSET " +
                                w.bind(window.skip);
        WP_TRY(store::Rows rows, tx.query_params(sql, w.params()));
        page.deals.reserve(rows.size());
        for (const store::Row& row : rows) {
            WP_TRY(auto deal, deal_from_row(chain_id, row, 0));
            page.deals.push_back(std::move(deal));
        }
    }
    page.next_page = next_page(window, page.deals.size());
    return page;
}

Result<std::vector<OhlcEntry>> deal_ohlc(store::Tx& tx, std::uint64_t chain_id, const U256& category) {
    // The workerpool price is only in the document: take every deal at or above the block of the 100th most recent
    // one (ties on that block included), then sort as the reference and keep 100.
    WP_TRY(auto cutoff, tx.query_opt("SELECT block_number FROM market_deals WHERE chain_id = $1 AND category = $2 "
                                     "ORDER BY block_number DESC LIMIT 1 OFFSET $3",
                                     chain_id, category, static_cast<std::int64_t>(kOhlcLimit - 1)));
    std::int64_t min_block = 0;
    if (cutoff) {
        WP_TRY(min_block, cutoff->get<std::int64_t>(0));
    }
    WP_TRY(auto rows, tx.query("SELECT document FROM market_deals WHERE chain_id = $1 AND category = $2 AND "
                               "block_number >= $3",
                               chain_id, category, min_block));
    std::vector<DealRecord> deals;
    deals.reserve(rows.size());
    for (const store::Row& row : rows) {
        WP_TRY(auto deal, deal_from_row(chain_id, row, 0));
        deals.push_back(std::move(deal));
    }
    std::sort(deals.begin(), deals.end(), [](const DealRecord& a, const DealRecord& b) {
        if (a.block_number != b.block_number) return a.block_number > b.block_number;
        if (a.workerpool_price != b.workerpool_price) return a.workerpool_price < b.workerpool_price;
        return a.deal_id < b.deal_id;
    });
    if (deals.size() > kOhlcLimit) deals.resize(kOhlcLimit);
    std::vector<OhlcEntry> out;
    out.reserve(deals.size());
    for (const auto& d : deals) out.push_back(OhlcEntry{d.block_timestamp_ms, d.workerpool_price, d.volume});
    return out;
}

// ---- categories ---------------------------------------------------------------------------------------------------

Result<bool> insert_category(store::Tx& tx, const CategoryRecord& c) {
    WP_TRY(std::int64_t n,
           tx.exec("INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
                   "transaction_hash, block_number, block_timestamp_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
                   "ON CONFLICT (chain_id, catid) DO NOTHING",
                   c.chain_id, c.catid, c.name, c.description, c.work_clock_time_ref, c.transaction_hash,
                   c.block_number, c.block_timestamp_ms));
    return n > 0;
}

Result<bool> delete_category(store::Tx& tx, std::uint64_t chain_id, std::uint64_t catid) {
    WP_TRY(std::int64_t n,
           tx.exec("DELETE FROM market_categories WHERE chain_id = $1 AND catid = $2", chain_id, catid));
    return n > 0;
}

Result<std::optional<CategoryRecord>> find_category(store::Tx& tx, std::uint64_t chain_id, std::uint64_t catid) {
    WP_TRY(auto row, tx.query_opt("SELECT " + std::string(kCategoryColumns) +
                                      " FROM market_categories WHERE chain_id = $1 AND catid = $2",
                                  chain_id, catid));
    if (!row) return std::optional<CategoryRecord>{};
    WP_TRY(auto c, category_from_row(chain_id, *row));
    return std::optional<CategoryRecord>(std::move(c));
}

Result<CategoryPage> search_categories(store::Tx& tx, std::uint64_t chain_id, const CategoryFilters& f) {
    Where w;
    w.equals("chain_id", chain_id);
    if (f.min_work_clock_time_ref) w.add("work_clock_time_ref >= " + w.bind(*f.min_work_clock_time_ref));
    if (f.max_work_clock_time_ref) w.add("work_clock_time_ref <= " + w.bind(*f.max_work_clock_time_ref));
    const PageWindow window = resolve_page(f.paging);
    WP_TRY(store::Row count_row,
           tx.query_row_params("SELECT COUNT(*) FROM market_categories WHERE " + w.sql(), w.params()));
    WP_TRY(std::int64_t count, count_row.get<std::int64_t>(0));
    CategoryPage page;
    page.count = static_cast<std::uint64_t>(count);
    if (window.skip < page.count) {
        const std::string sql = "SELECT " + std::string(kCategoryColumns) + " FROM market_categories WHERE " + w.sql() +
                                " ORDER BY work_clock_time_ref ASC, catid ASC LIMIT " + w.bind(window.limit) +
                                " OFFSET " + w.bind(window.skip);
        WP_TRY(store::Rows rows, tx.query_params(sql, w.params()));
        page.categories.reserve(rows.size());
        for (const store::Row& row : rows) {
            WP_TRY(auto c, category_from_row(chain_id, row));
            page.categories.push_back(std::move(c));
        }
    }
    page.next_page = next_page(window, page.categories.size());
    return page;
}

}  // namespace wp::market
