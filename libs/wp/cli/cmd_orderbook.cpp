// `iexec orderbook workerpool [address] | app <address> | dataset <address> | requester [address]`, as the iExec SDK
// 9.0.1 CLI (sdk-cli-and-market.md §4.3): the same options, the same GET query (market_client.hpp), the same raw
// output ({count, <kind>Orders:[…]}, values as the market returned them, auto-paginated up to about 100 results) and
// human output (`ℹ Workerpoolorders details (1 to N of TOTAL):` pages, `Show more?` while there is a next page and a
// terminal, `✔ No more results` / `✔ Empty orderbook`).
#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

#include "cmd_order.hpp"
#include "command.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

constexpr std::string_view kZeroAddress = "0x0000000000000000000000000000000000000000";
constexpr std::string_view kZeroTag = "0x0000000000000000000000000000000000000000000000000000000000000000";

struct BookOptions {
    std::string address;
    std::optional<std::string> category, tag, require_tag, max_tag, min_volume, min_trust, max_trust;
    std::optional<std::string> app, dataset, workerpool, requester, beneficiary;
    bool app_strict{false}, dataset_strict{false}, workerpool_strict{false}, requester_strict{false};
};

Result<std::optional<Bytes32>> tag_option(const std::optional<std::string>& text, std::string_view name) {
    if (!text) return std::optional<Bytes32>{};
    auto tag = parse_tag(std::string_view(*text));
    if (!tag) return make_error(Errc::kInvalidArgument, std::string(name) + ": " + tag.error().message);
    auto ok = validate_tag(*tag, TagRules{.allow_agnostic_tee = true});
    if (!ok) return make_error(Errc::kInvalidArgument, std::string(name) + ": " + ok.error().message);
    return std::optional<Bytes32>(*tag);
}

Result<std::optional<U256>> uint_option(const std::optional<std::string>& text, std::string_view name) {
    if (!text) return std::optional<U256>{};
    auto v = U256::from_dec(*text);
    if (!v)
        return make_error(Errc::kInvalidArgument,
                          std::string(name) + " must be a non-negative integer (got \"" + *text + "\")");
    return std::optional<U256>(*v);
}

Result<std::optional<AddressOrAny>> address_option(const std::optional<std::string>& text, std::string_view name) {
    if (!text) return std::optional<AddressOrAny>{};
    WP_TRY(AddressOrAny a, parse_address_or_any(name, *text));
    return std::optional<AddressOrAny>(a);
}

Result<RestrictQuery> restrict_option(const std::optional<std::string>& text, bool strict, std::string_view name) {
    RestrictQuery r;
    WP_TRY(r.value, address_option(text, name));
    r.strict = strict;
    return r;
}

//! minTag / maxTag from --tag (exact) or --require-tag / --max-tag.
Result<void> tags(const BookOptions& o, std::optional<Bytes32>& min_tag, std::optional<Bytes32>& max_tag) {
    WP_TRY(std::optional<Bytes32> exact, tag_option(o.tag, "--tag"));
    if (exact) {
        min_tag = exact;
        max_tag = exact;
        return {};
    }
    WP_TRY(min_tag, tag_option(o.require_tag, "--require-tag"));
    WP_TRY(max_tag, tag_option(o.max_tag, "--max-tag"));
    return {};
}

const json::value& member(const json::object& doc, std::string_view key) {
    static const json::value kNull;
    const auto* v = doc.if_contains(key);
    return v == nullptr ? kNull : *v;
}
const json::value& order_member(const PublishedOrder& p, std::string_view key) {
    const auto* order = p.document.if_contains("order");
    if (order == nullptr || !order->is_object()) return member(p.document, "__none__");
    return member(order->as_object(), key);
}

bool is_zero_address(const json::value& v) {
    const auto* s = v.if_string();
    return s == nullptr || s->empty() || std::string_view(*s) == kZeroAddress;
}
bool is_zero_tag(const json::value& v) {
    const auto* s = v.if_string();
    return s == nullptr || std::string_view(*s) == kZeroTag;
}
bool trust_above_one(const json::value& v) {
    if (v.is_int64()) return v.get_int64() > 1;
    if (v.is_uint64()) return v.get_uint64() > 1;
    if (const auto* s = v.if_string()) {
        auto u = U256::from_dec(std::string_view(*s));
        return u && *u > U256(1);
    }
    return false;
}

//! One kind's view of the results: the raw item and the human item.
struct BookKind {
    std::string title;    //!< "Workerpoolorders"
    std::string raw_key;  //!< "workerpoolOrders"
    std::function<json::object(const PublishedOrder&)> raw_item;
    std::function<json::object(const json::object&)> human_item;
    std::function<Result<OrderbookPage>(std::uint64_t page_index)> fetch;
};

Result<Reply> run_book(Context& ctx, const BookKind& kind) {
    const bool raw = ctx.options().raw;
    json::array results;
    std::optional<std::uint64_t> total;
    for (std::uint64_t page_index = 0;; ++page_index) {
        ctx.printer().start_spinner("Showing orderbook...");
        WP_TRY(OrderbookPage page, kind.fetch(page_index));
        ctx.printer().stop_spinner();
        if (!total) total = page.count;
        if (page.orders.empty()) break;
        json::array human;
        for (const auto& p : page.orders) {
            json::object item = kind.raw_item(p);
            human.emplace_back(kind.human_item(item));
            results.emplace_back(std::move(item));
        }
        const std::size_t first = results.size() - page.orders.size() + 1;
        ctx.printer().info(kind.title + " details (" + std::to_string(first) + " to " + std::to_string(results.size()) +
                           (*total > 0 ? " of " + std::to_string(*total) : std::string()) + "):" + pretty(human));
        if (!page.next_page) break;
        bool more = false;
        if (raw) {
            more = results.size() <= 80;  // the SDK's auto-pagination: about 100 results
        } else if (ctx.env().ask) {
            auto answer = ctx.env().ask("Show more? [y/N]", false);
            more = answer && !answer->empty() && (answer->front() == 'y' || answer->front() == 'Y');
        }
        if (!more) break;
    }
    Reply reply;
    reply.payload["count"] = total.value_or(0);
    const bool empty = results.empty();
    reply.payload[kind.raw_key] = std::move(results);
    reply.human = ctx.printer().ok_line(empty ? "Empty orderbook" : "No more results");
    return reply;
}

void copy_if(json::object& out, const json::object& in, std::string_view key, bool keep) {
    if (keep) out[key] = member(in, key);
}

void add_workerpool_book(Registry& r, Groups& g) {
    auto& o = r.keep<BookOptions>();
    CLI::App* cmd =
        r.leaf(g.orderbook, "workerpool", "show the workerpools orderbook from the marketplace", kChainOption);
    cmd->add_option("address", o.address, "workerpool address (default: any)");
    cmd->add_option("--category", o.category, "specify the work category");
    cmd->add_option("--tag", o.tag, "specify exact tags (usage: --tag tag1,tag2)");
    cmd->add_option("--require-tag", o.require_tag, "specify minimum required tags");
    cmd->add_option("--max-tag", o.max_tag, "specify maximum tags (exclude not listed tags)");
    cmd->add_option("--min-volume", o.min_volume, "specify minimum volume");
    cmd->add_option("--min-trust", o.min_trust, "specify minimum trust");
    cmd->add_option("--app", o.app, "include private orders for specified app");
    cmd->add_option("--dataset", o.dataset, "include private orders for specified dataset");
    cmd->add_option("--requester", o.requester, "include private orders for specified requester");
    cmd->add_flag("--app-strict", o.app_strict, "fetch orders created strictly for the specified app");
    cmd->add_flag("--dataset-strict", o.dataset_strict, "fetch orders created strictly for the specified dataset");
    cmd->add_flag("--requester-strict", o.requester_strict,
                  "fetch orders created strictly for the specified requester");
    r.action(cmd, [&o](Context& ctx) -> Result<Reply> {
        WorkerpoolOrderbookQuery q;
        if (!o.address.empty()) {
            WP_TRY(q.workerpool, address_option(o.address, "workerpool"));
        }
        WP_TRY(q.category, uint_option(o.category, "category"));
        WP_TRY_VOID(tags(o, q.min_tag, q.max_tag));
        WP_TRY(q.min_volume, uint_option(o.min_volume, "minVolume"));
        WP_TRY(q.min_trust, uint_option(o.min_trust, "minTrust"));
        WP_TRY(q.app, restrict_option(o.app, o.app_strict, "app"));
        WP_TRY(q.dataset, restrict_option(o.dataset, o.dataset_strict, "dataset"));
        WP_TRY(q.requester, restrict_option(o.requester, o.requester_strict, "requester"));
        WP_TRY(MarketClient market, open_market(ctx));
        const bool show_pool = o.address.empty();
        BookKind kind;
        kind.title = "Workerpoolorders";
        kind.raw_key = "workerpoolOrders";
        kind.raw_item = [](const PublishedOrder& p) {
            return json::object{{"orderHash", member(p.document, "orderHash")},
                                {"price", order_member(p, "workerpoolprice")},
                                {"remaining", member(p.document, "remaining")},
                                {"category", order_member(p, "category")},
                                {"tag", order_member(p, "tag")},
                                {"trust", order_member(p, "trust")},
                                {"workerpool", order_member(p, "workerpool")},
                                {"apprestrict", order_member(p, "apprestrict")},
                                {"datasetrestrict", order_member(p, "datasetrestrict")},
                                {"requesterrestrict", order_member(p, "requesterrestrict")}};
        };
        kind.human_item = [show_pool](const json::object& e) {
            json::object h{{"orderHash", member(e, "orderHash")},
                           {"price", member(e, "price")},
                           {"remaining", member(e, "remaining")},
                           {"category", member(e, "category")}};
            copy_if(h, e, "workerpool", show_pool);
            copy_if(h, e, "tag", !is_zero_tag(member(e, "tag")));
            copy_if(h, e, "trust", trust_above_one(member(e, "trust")));
            for (const char* k : {"apprestrict", "datasetrestrict", "requesterrestrict"})
                copy_if(h, e, k, !is_zero_address(member(e, k)));
            return h;
        };
        kind.fetch = [&market, q](std::uint64_t page) mutable {
            q.page.index = page;
            return market.workerpool_orders(q);
        };
        return run_book(ctx, kind);
    });
}

// `orderbook app <address>` and `orderbook dataset <address>` differ only by these facts (the SDK's help strings
// and --raw keys are kept byte for byte).
template <class Query>
struct ResourceBook {
    const char* name;         //!< "app": the command, the address field and option names
    const char* other;        //!< the other resource, restricted by its own option: "dataset"
    const char* title;        //!< "Apporders"
    const char* raw_key;      //!< "appOrders"
    const char* price_field;  //!< "appprice"
    std::optional<AddressOrAny> Query::*self;
    RestrictQuery Query::*other_restrict;
    std::optional<std::string> BookOptions::*other_option;
    bool BookOptions::*other_strict;
    Result<OrderbookPage> (MarketClient::*fetch)(const Query&);
};

template <class Query>
void add_resource_book(Registry& r, Groups& g, const ResourceBook<Query>& spec) {
    auto& o = r.keep<BookOptions>();
    const std::string name = spec.name;
    const std::string other = spec.other;
    CLI::App* cmd = r.leaf(g.orderbook, name, "show the " + name + " orderbook from the marketplace", kChainOption);
    cmd->add_option("address", o.address, name + " address (or any)")->required();
    cmd->add_option("--tag", o.tag, "specify exact tags (usage: --tag tag1,tag2)");
    cmd->add_option("--require-tag", o.require_tag, "specify minimum required tags");
    cmd->add_option("--max-tag", o.max_tag, "specify maximum tags (exclude not listed tags)");
    cmd->add_option("--min-volume", o.min_volume, "specify minimum volume");
    cmd->add_option("--" + other, o.*spec.other_option, "include private orders for specified " + other);
    cmd->add_option("--workerpool", o.workerpool, "include private orders for specified workerpool");
    cmd->add_option("--requester", o.requester, "include private orders for specified requester");
    cmd->add_flag("--" + other + "-strict", o.*spec.other_strict,
                  "fetch orders created strictly for the specified " + other);
    cmd->add_flag("--workerpool-strict", o.workerpool_strict,
                  "fetch orders created strictly for the specified workerpool");
    cmd->add_flag("--requester-strict", o.requester_strict,
                  "fetch orders created strictly for the specified requester");
    r.action(cmd, [&o, spec, name, other](Context& ctx) -> Result<Reply> {
        const std::string other_restrict = other + "restrict";
        Query q;
        WP_TRY(q.*spec.self, address_option(o.address, name));
        WP_TRY_VOID(tags(o, q.min_tag, q.max_tag));
        WP_TRY(q.min_volume, uint_option(o.min_volume, "minVolume"));
        WP_TRY(q.*spec.other_restrict, restrict_option(o.*spec.other_option, o.*spec.other_strict, other));
        WP_TRY(q.workerpool, restrict_option(o.workerpool, o.workerpool_strict, "workerpool"));
        WP_TRY(q.requester, restrict_option(o.requester, o.requester_strict, "requester"));
        WP_TRY(MarketClient market, open_market(ctx));
        BookKind kind;
        kind.title = spec.title;
        kind.raw_key = spec.raw_key;
        kind.raw_item = [name, other_restrict, price = std::string(spec.price_field)](const PublishedOrder& p) {
            return json::object{{"orderHash", member(p.document, "orderHash")},
                                {"price", order_member(p, price)},
                                {"remaining", member(p.document, "remaining")},
                                {name, order_member(p, name)},
                                {"tag", order_member(p, "tag")},
                                {other_restrict, order_member(p, other_restrict)},
                                {"workerpoolrestrict", order_member(p, "workerpoolrestrict")},
                                {"requesterrestrict", order_member(p, "requesterrestrict")}};
        };
        kind.human_item = [other_restrict](const json::object& e) {
            json::object h{{"orderHash", member(e, "orderHash")},
                           {"price", member(e, "price")},
                           {"remaining", member(e, "remaining")}};
            copy_if(h, e, "tag", !is_zero_tag(member(e, "tag")));
            for (const std::string& k :
                 {other_restrict, std::string("workerpoolrestrict"), std::string("requesterrestrict")})
                copy_if(h, e, std::string_view(k), !is_zero_address(member(e, k)));
            return h;
        };
        kind.fetch = [&market, q, fetch = spec.fetch](std::uint64_t page) mutable {
            q.page.index = page;
            return (market.*fetch)(q);
        };
        return run_book(ctx, kind);
    });
}

void add_app_book(Registry& r, Groups& g) {
    add_resource_book(
        r, g,
        ResourceBook<AppOrderbookQuery>{"app", "dataset", "Apporders", "appOrders", "appprice", &AppOrderbookQuery::app,
                                        &AppOrderbookQuery::dataset, &BookOptions::dataset,
                                        &BookOptions::dataset_strict, &MarketClient::app_orders});
}

void add_dataset_book(Registry& r, Groups& g) {
    add_resource_book(r, g,
                      ResourceBook<DatasetOrderbookQuery>{"dataset", "app", "Datasetorders", "datasetOrders",
                                                          "datasetprice", &DatasetOrderbookQuery::dataset,
                                                          &DatasetOrderbookQuery::app, &BookOptions::app,
                                                          &BookOptions::app_strict, &MarketClient::dataset_orders});
}

void add_requester_book(Registry& r, Groups& g) {
    auto& o = r.keep<BookOptions>();
    CLI::App* cmd =
        r.leaf(g.orderbook, "requester", "show the requesters orderbook from the marketplace", kChainOption);
    cmd->add_option("address", o.address, "requester address (default: any)");
    cmd->add_option("--category", o.category, "specify the work category");
    cmd->add_option("--tag", o.tag, "specify exact tags (usage: --tag tag1,tag2)");
    cmd->add_option("--require-tag", o.require_tag, "specify minimum required tags");
    cmd->add_option("--max-tag", o.max_tag, "specify maximum tags (exclude not listed tags)");
    cmd->add_option("--max-trust", o.max_trust, "specify maximum trust");
    cmd->add_option("--min-volume", o.min_volume, "specify minimum volume");
    cmd->add_option("--app", o.app, "filter by app");
    cmd->add_option("--dataset", o.dataset, "filter by dataset");
    cmd->add_option("--beneficiary", o.beneficiary, "filter by beneficiary");
    cmd->add_option("--workerpool", o.workerpool, "include private orders for specified workerpool");
    cmd->add_flag("--workerpool-strict", o.workerpool_strict,
                  "fetch orders created strictly for the specified workerpool");
    r.action(cmd, [&o](Context& ctx) -> Result<Reply> {
        RequestOrderbookQuery q;
        if (!o.address.empty()) {
            WP_TRY(q.requester, address_option(o.address, "requester"));
        }
        WP_TRY(q.category, uint_option(o.category, "category"));
        WP_TRY_VOID(tags(o, q.min_tag, q.max_tag));
        WP_TRY(q.max_trust, uint_option(o.max_trust, "maxTrust"));
        WP_TRY(q.min_volume, uint_option(o.min_volume, "minVolume"));
        WP_TRY(q.app, address_option(o.app, "app"));
        WP_TRY(q.dataset, address_option(o.dataset, "dataset"));
        WP_TRY(q.beneficiary, address_option(o.beneficiary, "beneficiary"));
        WP_TRY(q.workerpool, restrict_option(o.workerpool, o.workerpool_strict, "workerpool"));
        WP_TRY(MarketClient market, open_market(ctx));
        BookKind kind;
        kind.title = "Requestorders";
        kind.raw_key = "requestOrders";
        kind.raw_item = [](const PublishedOrder& p) {
            return json::object{{"orderHash", member(p.document, "orderHash")},
                                {"app", order_member(p, "app")},
                                {"dataset", order_member(p, "dataset")},
                                {"workerpool", order_member(p, "workerpool")},
                                {"requester", order_member(p, "requester")},
                                {"beneficiary", order_member(p, "beneficiary")},
                                {"category", order_member(p, "category")},
                                {"tag", order_member(p, "tag")},
                                {"trust", order_member(p, "trust")},
                                {"price", order_member(p, "workerpoolmaxprice")},
                                {"remaining", member(p.document, "remaining")}};
        };
        kind.human_item = [](const json::object& e) {
            json::object h{{"orderHash", member(e, "orderHash")},
                           {"price", member(e, "price")},
                           {"remaining", member(e, "remaining")},
                           {"category", member(e, "category")},
                           {"app", member(e, "app")}};
            copy_if(h, e, "dataset", !is_zero_address(member(e, "dataset")));
            copy_if(h, e, "tag", !is_zero_tag(member(e, "tag")));
            copy_if(h, e, "trust", trust_above_one(member(e, "trust")));
            copy_if(h, e, "workerpool", !is_zero_address(member(e, "workerpool")));
            return h;
        };
        kind.fetch = [&market, q](std::uint64_t page) mutable {
            q.page.index = page;
            return market.request_orders(q);
        };
        return run_book(ctx, kind);
    });
}

}  // namespace

void add_orderbook_commands(Registry& r, Groups& g) {
    add_workerpool_book(r, g);
    add_app_book(r, g);
    add_dataset_book(r, g);
    add_requester_book(r, g);
}

}  // namespace wp::cli
