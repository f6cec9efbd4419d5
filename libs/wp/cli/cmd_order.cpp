// `iexec order init|sign|publish|unpublish|cancel|show|fill` (`<resource> publish|unpublish`: resource.hpp), as the
// iExec SDK 9.0.1 CLI (sdk-cli-and-market.md §2.1, §2.5, §3.3, §4.1, §4.2), with the seed's preflight (preflight.hpp).
//
// Deliberate differences from the SDK (docs/cli.md):
//  - `order init` writes `"tag": []` (standard, 0x0) for every kind; the SDK 9.0.1 writes ["tee","tdx"] and forces
//    tee+tdx into every order it signs: we sign the tag as written.
//  - workerpool orders are checked before signing and publishing with the seed's rules (supported tags, TEE trust,
//    category, volume, stake warning); the SDK checks only deployment and ownership.
//  - `order unpublish` also takes `--all` (every open order of the resource); without a hash and without a signed
//    order in orders.json it unpublishes the last published order of the deployed resource.
//  - `order cancel` also takes a hash: the order is found in orders.json, else fetched from the market.
#include "cmd_order.hpp"

#include <algorithm>
#include <memory>
#include <variant>
#include <vector>

#include <boost/json.hpp>

#include <wp/chain/hub.hpp>
#include <wp/chain/poco_events.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>
#include <wp/protocol/tag.hpp>

#include "amount.hpp"
#include "command.hpp"
#include "preflight.hpp"

namespace wp::cli {

namespace json = boost::json;

namespace {

constexpr std::string_view kZeroAddress = "0x0000000000000000000000000000000000000000";
constexpr std::string_view kZeroTag = "0x0000000000000000000000000000000000000000000000000000000000000000";

std::string_view resource_name(OrderKind kind) {
    switch (kind) {
        case OrderKind::kApp: return "app";
        case OrderKind::kDataset: return "dataset";
        case OrderKind::kWorkerpool: return "workerpool";
        case OrderKind::kRequest: return "request";
    }
    return "app";
}

//! The `order init` templates: the SDK's (templates.js), with the tag standard ([]).
json::object order_template(OrderKind kind) {
    const json::string_view z = kZeroAddress;
    switch (kind) {
        case OrderKind::kApp:
            return {{"app", z},
                    {"appprice", "0"},
                    {"volume", "1000000"},
                    {"tag", json::array{}},
                    {"datasetrestrict", z},
                    {"workerpoolrestrict", z},
                    {"requesterrestrict", z}};
        case OrderKind::kDataset:
            return {{"dataset", z},     {"datasetprice", "0"},     {"volume", "1000000"},   {"tag", json::array{}},
                    {"apprestrict", z}, {"workerpoolrestrict", z}, {"requesterrestrict", z}};
        case OrderKind::kWorkerpool:
            return {{"workerpool", z},  {"workerpoolprice", "0"}, {"volume", "1"},
                    {"category", "0"},  {"trust", "0"},           {"tag", json::array{}},
                    {"apprestrict", z}, {"datasetrestrict", z},   {"requesterrestrict", z}};
        case OrderKind::kRequest:
            return {{"app", z},
                    {"appmaxprice", "0"},
                    {"dataset", z},
                    {"datasetmaxprice", "0"},
                    {"workerpool", z},
                    {"workerpoolmaxprice", "0"},
                    {"volume", "1"},
                    {"category", "0"},
                    {"trust", "0"},
                    {"tag", json::array{}},
                    {"beneficiary", z},
                    {"callback", z},
                    {"params", json::object{{"iexec_args", ""},
                                            {"iexec_input_files", json::array{}},
                                            {"iexec_result_encryption", false}}}};
    }
    return {};
}

//! Optional fields and their create*order defaults.
json::object order_defaults(OrderKind kind) {
    const json::string_view z = kZeroAddress;
    switch (kind) {
        case OrderKind::kApp:
            return {{"appprice", "0"},      {"volume", "1"},           {"tag", std::string(kZeroTag)},
                    {"datasetrestrict", z}, {"workerpoolrestrict", z}, {"requesterrestrict", z}};
        case OrderKind::kDataset:
            return {{"datasetprice", "0"}, {"volume", "1"},           {"tag", std::string(kZeroTag)},
                    {"apprestrict", z},    {"workerpoolrestrict", z}, {"requesterrestrict", z}};
        case OrderKind::kWorkerpool:
            return {{"workerpoolprice", "0"},       {"volume", "1"},    {"trust", "0"},
                    {"tag", std::string(kZeroTag)}, {"apprestrict", z}, {"datasetrestrict", z},
                    {"requesterrestrict", z}};
        case OrderKind::kRequest:
            return {{"appmaxprice", "0"},
                    {"dataset", z},
                    {"datasetmaxprice", "0"},
                    {"workerpool", z},
                    {"workerpoolmaxprice", "0"},
                    {"volume", "1"},
                    {"trust", "0"},
                    {"tag", std::string(kZeroTag)},
                    {"callback", z},
                    {"params", ""}};
    }
    return {};
}

bool is_price_field(std::string_view key) {
    return key == "appprice" || key == "datasetprice" || key == "workerpoolprice" || key == "appmaxprice" ||
           key == "datasetmaxprice" || key == "workerpoolmaxprice";
}

Result<Bytes32> parse_hash_arg(std::string_view text, std::string_view what) {
    auto h = bytes32_from_hex(text);
    if (!h) return make_error(Errc::kInvalidArgument, "Invalid " + std::string(what) + " hash: " + std::string(text));
    return *h;
}

std::string missing_order_message(OrderKind kind) {
    return "Missing " + std::string(order_key(kind)) + ". You probably forgot to run \"iexec order init --" +
           std::string(resource_name(kind)) + "\"";
}

// ---- options shared by the multi-order commands -----------------------------------------------------------------

//! `--app [hash] --dataset [hash] --workerpool [hash] --request [hash]` (value optional) or plain flags.
struct KindOptions {
    CLI::Option* opt[4]{};
    std::string value[4];

    static int index(OrderKind k) { return static_cast<int>(k); }
    bool selected(OrderKind k) const { return opt[index(k)] != nullptr && opt[index(k)]->count() > 0; }
    bool any() const {
        return selected(OrderKind::kApp) || selected(OrderKind::kDataset) || selected(OrderKind::kWorkerpool) ||
               selected(OrderKind::kRequest);
    }
    std::optional<std::string> argument(OrderKind k) const {
        if (!selected(k) || value[index(k)].empty()) return std::nullopt;
        return value[index(k)];
    }
};

constexpr OrderKind kKinds[] = {OrderKind::kApp, OrderKind::kDataset, OrderKind::kWorkerpool, OrderKind::kRequest};

void add_kind_flags(CLI::App* cmd, KindOptions& k, std::string_view verb, bool with_value) {
    for (OrderKind kind : kKinds) {
        const int i = KindOptions::index(kind);
        const std::string name = "--" + std::string(resource_name(kind));
        const std::string what = std::string(verb) + " the " + std::string(order_key(kind));
        if (with_value)
            k.opt[i] = cmd->add_option(name, k.value[i], what + " (optional: its orderHash)")->expected(0, 1);
        else k.opt[i] = cmd->add_flag(name, what);
    }
}

const char* kNoKind = "No option specified, you should choose one (--app | --dataset | --workerpool | --request)";

//! Per-order results of a multi-order command, printed like the SDK (exit 0 even when some failed).
struct MultiResult {
    json::object success;
    std::vector<std::string> failed;
    std::string human;  //!< the successful parts (info lines are printed as they happen)

    //! The kind-selection loop of the multi-order commands: `fn(kind, key)` for each kind selected in `kinds`
    //! (every kind when none is and `all_when_none`), in the SDK's order (app, dataset, workerpool, request); an
    //! error is recorded in `failed` as "<key>: <message>", a value goes to `ok(kind, key, value)`.
    template <class Fn, class Ok>
    void each(const KindOptions& kinds, bool all_when_none, Fn fn, Ok ok) {
        const bool all = all_when_none && !kinds.any();
        for (OrderKind kind : kKinds) {
            if (!all && !kinds.selected(kind)) continue;
            const std::string key(order_key(kind));
            auto value = fn(kind, key);
            if (!value) {
                failed.push_back(key + ": " + value.error().message);
                continue;
            }
            ok(kind, key, std::move(*value));
        }
    }

    Result<int> finish(Context& ctx, std::string_view ok_message, std::string_view fail_title) const {
        if (failed.empty()) {
            Reply reply;
            reply.payload = success;
            reply.human = ctx.printer().ok_line(ok_message);
            return ctx.printer().success(reply);
        }
        return ctx.printer().partial_failure(success, failed, "", fail_title);
    }
};

// ---- the order sources ----------------------------------------------------------------------------------------

Result<std::uint64_t> chain_id(Context& ctx) {
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    return c->id;
}

Result<Order> signed_order_from_file(Context& ctx, OrderKind kind) {
    WP_TRY(OrdersFile file, ctx.orders());
    WP_TRY(std::uint64_t id, chain_id(ctx));
    WP_TRY(std::optional<Order> found, file.find(kind, id));
    if (!found)
        return make_error(Errc::kInvalidArgument, "Missing signed " + std::string(order_key(kind)) + " for chain " +
                                                      std::to_string(id) + " in \"orders.json\"");
    return std::move(*found);
}

Result<Address> deployed_resource(Context& ctx, ResourceKind kind) {
    WP_TRY(DeployedFile deployed, ctx.deployed());
    WP_TRY(std::uint64_t id, chain_id(ctx));
    auto found = deployed.find(kind, id);
    if (!found) {
        const std::string name(resource_key(kind));
        return make_error(Errc::kInvalidArgument, "Missing " + name + "Address and no " + name +
                                                      " found in \"deployed.json\" for chain " + std::to_string(id));
    }
    return *found;
}

Address order_resource(const Order& order) {
    switch (kind_of(order)) {
        case OrderKind::kApp: return std::get<AppOrder>(order).app;
        case OrderKind::kDataset: return std::get<DatasetOrder>(order).dataset;
        case OrderKind::kWorkerpool: return std::get<WorkerpoolOrder>(order).workerpool;
        case OrderKind::kRequest: return std::get<RequestOrder>(order).requester;
    }
    return {};
}

void print_warnings(Context& ctx, const PreflightReport& report) {
    for (const auto& w : report.warnings) ctx.printer().warn(w);
}

//! The seed's preflight of an order about to be signed or published (workerpool orders always; the others unless
//! --skip-preflight-check).
// The SDK's check before signing an app or request order (even with --skip-preflight-check): the app is deployed.
Result<void> check_app_deployed(Context& ctx, const Order& order) {
    const Address* app = nullptr;
    if (const auto* a = std::get_if<AppOrder>(&order)) app = &a->app;
    if (const auto* r = std::get_if<RequestOrder>(&order)) app = &r->app;
    if (app == nullptr) return {};
    WP_TRY(chain::Hub * hub, ctx.hub());
    auto registered = hub->is_registered(chain::RegistryKind::kApp, *app);
    if (!registered) return make_error(registered.error().to_error());
    if (!*registered) return make_error(Errc::kInvalidArgument, "No app deployed at address " + app->to_checksum());
    return {};
}

Result<void> run_preflight(Context& ctx, const Order& order, bool skip) {
    if (skip && kind_of(order) != OrderKind::kWorkerpool) return {};
    WP_TRY(chain::Hub * hub, ctx.hub());
    WP_TRY(Address signer, ctx.wallet_address());
    WP_TRY(PreflightReport report, preflight_order(*hub, order, signer));
    print_warnings(ctx, report);
    return {};
}

// ---- order init -------------------------------------------------------------------------------------------------

void add_init(Registry& r, Groups& g) {
    auto& k = r.keep<KindOptions>();
    CLI::App* cmd = r.leaf(g.order, "init", "init a new order in iexec.json", kChainOption | kWalletOptions);
    add_kind_flags(cmd, k, "init", false);
    r.action_with_exit(cmd, [&k](Context& ctx) -> Result<int> {
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(json::object conf, ctx.iexec_json());
        MultiResult res;
        const bool all = !k.any();
        bool changed = false;
        for (OrderKind kind : kKinds) {
            if (!all && !k.selected(kind)) continue;
            const std::string key(order_key(kind));
            auto made = [&]() -> Result<json::object> {
                json::object order = order_template(kind);
                if (kind == OrderKind::kRequest) {
                    WP_TRY(Address me, ctx.wallet_address());
                    order["requester"] = me.to_checksum();
                    order["beneficiary"] = me.to_checksum();
                } else {
                    WP_TRY(DeployedFile deployed, ctx.deployed());
                    const ResourceKind rk = kind == OrderKind::kApp       ? ResourceKind::kApp
                                            : kind == OrderKind::kDataset ? ResourceKind::kDataset
                                                                          : ResourceKind::kWorkerpool;
                    if (auto a = deployed.find(rk, id)) order[resource_name(kind)] = a->to_checksum();
                }
                return order;
            }();
            if (!made) {
                res.failed.push_back(key + ": " + made.error().message);
                continue;
            }
            if (!conf["order"].is_object()) conf["order"] = json::object{};
            conf["order"].as_object()[key] = *made;
            changed = true;
            ctx.printer().info("Saved default " + key + " in \"iexec.json\", you can edit it:" + pretty(*made));
            res.success[key] = *made;
        }
        if (changed) {
            WP_TRY_VOID(ctx.save_iexec_json(conf));
        }
        return res.finish(ctx, "Successfully initialized, you can edit in \"iexec.json\"", "Failed to init:");
    });
}

// ---- order sign -------------------------------------------------------------------------------------------------

struct SignOptions {
    KindOptions kinds;
    bool skip_preflight{false};
};

void add_sign(Registry& r, Groups& g) {
    auto& o = r.keep<SignOptions>();
    CLI::App* cmd = r.leaf(g.order, "sign", "sign orders from iexec.json and store them into orders.json",
                           kChainOption | kWalletOptions | kForceOption);
    add_kind_flags(cmd, o.kinds, "sign", false);
    cmd->add_flag(
        "--skip-preflight-check", o.skip_preflight,
        "skip the preflight checks of app, dataset and request orders (workerpool orders are always checked)");
    r.action_with_exit(cmd, [&o](Context& ctx) -> Result<int> {
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(json::object conf, ctx.iexec_json());
        WP_TRY(OrdersFile file, ctx.orders_or_empty());
        MultiResult res;
        bool changed = false;
        res.each(
            o.kinds, true,
            [&](OrderKind kind, const std::string& key) -> Result<Order> {
                const json::value* section = nullptr;
                if (const auto* orders = conf.if_contains("order"); orders != nullptr && orders->is_object())
                    section = orders->as_object().if_contains(key);
                if (section == nullptr) return make_error(Errc::kInvalidArgument, missing_order_message(kind));
                WP_TRY(Order order, unsigned_order_from_json(kind, *section));
                WP_TRY_VOID(check_app_deployed(ctx, order));
                WP_TRY_VOID(run_preflight(ctx, order, o.skip_preflight));
                return sign_with_wallet(ctx, std::move(order));
            },
            [&](OrderKind, const std::string& key, Order signed_order) {
                file.set(id, signed_order);
                changed = true;
                json::object shown = order_to_json(signed_order, OrderJsonFields::kSigned);
                ctx.printer().info(key + " signed and saved in orders.json, you can share it: " + pretty(shown));
                res.success[key] = std::move(shown);
            });
        if (changed) {
            WP_TRY_VOID(ctx.save_orders(file));
        }
        return res.finish(ctx, "Successfully signed and stored in \"orders.json\"", "Failed to sign:");
    });
}

// ---- order publish ----------------------------------------------------------------------------------------------

struct PublishOptions {
    KindOptions kinds;
    bool skip_preflight{false};
};

void add_publish(Registry& r, Groups& g) {
    auto& o = r.keep<PublishOptions>();
    CLI::App* cmd = r.leaf(g.order, "publish", "publish a signed order on the marketplace",
                           kChainOption | kWalletOptions | kForceOption);
    add_kind_flags(cmd, o.kinds, "publish", false);
    cmd->add_flag(
        "--skip-preflight-check", o.skip_preflight,
        "skip the preflight checks of app, dataset and request orders (workerpool orders are always checked)");
    r.action_with_exit(cmd, [&o](Context& ctx) -> Result<int> {
        if (!o.kinds.any()) return make_error(Errc::kInvalidArgument, kNoKind);
        WP_TRY_VOID(ctx.orders());  // the SDK's "Missing orders.json" before anything else
        WP_TRY(MarketClient market, open_market(ctx));
        MultiResult res;
        res.each(
            o.kinds, false,
            [&](OrderKind kind, const std::string& key) -> Result<Bytes32> {
                WP_TRY(Order order, signed_order_from_file(ctx, kind));
                WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to publish the following " + key + "? " +
                                                      pretty(order_to_json(order, OrderJsonFields::kSigned))));
                WP_TRY_VOID(run_preflight(ctx, order, o.skip_preflight));
                WP_TRY(const PrivateKey* key_ptr, ctx.wallet());
                ctx.printer().start_spinner("Publishing " + key);
                WP_TRY(PublishedOrder p, market.publish(order, *key_ptr));
                return p.order_hash;
            },
            [&](OrderKind, const std::string& key, const Bytes32& published) {
                ctx.printer().info(key + " successfully published with orderHash " + to_hex(published));
                res.success[key] = json::object{{"orderHash", to_hex(published)}};
            });
        return res.finish(ctx, "Successfully published", "Failed to publish:");
    });
}

// ---- order unpublish --------------------------------------------------------------------------------------------

struct UnpublishOptions {
    KindOptions kinds;
    bool all{false};
};

void add_unpublish(Registry& r, Groups& g) {
    auto& o = r.keep<UnpublishOptions>();
    CLI::App* cmd = r.leaf(g.order, "unpublish", "unpublish a signed order from the marketplace",
                           kChainOption | kWalletOptions | kForceOption);
    add_kind_flags(cmd, o.kinds, "unpublish", true);
    cmd->add_flag("--all", o.all, "unpublish all the open orders of the resource (extension of the SDK)");
    r.action_with_exit(cmd, [&o](Context& ctx) -> Result<int> {
        if (!o.kinds.any()) return make_error(Errc::kInvalidArgument, kNoKind);
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(MarketClient market, open_market(ctx));
        WP_TRY(OrdersFile file, ctx.orders_or_empty());
        MultiResult res;
        res.each(
            o.kinds, false,
            [&](OrderKind kind, const std::string& key) -> Result<json::object> {
                WP_TRY(const PrivateKey* wallet, ctx.wallet());
                if (auto arg = o.kinds.argument(kind)) {
                    if (o.all) return make_error(Errc::kInvalidArgument, "--all takes no orderHash (got " + *arg + ")");
                    WP_TRY(Bytes32 h, parse_hash_arg(*arg, key));
                    ctx.printer().start_spinner("Unpublishing " + key);
                    WP_TRY(std::vector<Bytes32> gone, market.unpublish_hash(kind, h, *wallet));
                    return json::object{{"orderHash", gone.empty() ? to_hex(h) : to_hex(gone.front())}};
                }
                WP_TRY(std::optional<Order> local, file.find(kind, id));
                // The resource of --all / last: the signed order's, else the deployed one (request orders: the
                // wallet, their signer).
                auto resource = [&]() -> Result<Address> {
                    if (local) return order_resource(*local);
                    if (kind == OrderKind::kRequest) return ctx.wallet_address();
                    const ResourceKind rk = kind == OrderKind::kApp       ? ResourceKind::kApp
                                            : kind == OrderKind::kDataset ? ResourceKind::kDataset
                                                                          : ResourceKind::kWorkerpool;
                    return deployed_resource(ctx, rk);
                };
                if (o.all) {
                    WP_TRY(Address a, resource());
                    WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to unpublish all your " + key + "s for " +
                                                          std::string(resource_name(kind)) + " " + a.to_checksum() +
                                                          "?"));
                    ctx.printer().start_spinner("Unpublishing " + key + "s");
                    WP_TRY(std::vector<Bytes32> gone, market.unpublish_all(kind, a, *wallet));
                    json::array hashes;
                    for (const auto& h : gone) hashes.emplace_back(to_hex(h));
                    return json::object{{"orderHashes", std::move(hashes)}};
                }
                if (local) {
                    ctx.printer().info("No orderHash specified for unpublish " + key + ", using orders.json");
                    WP_TRY(Bytes32 h, hash_on_chain(ctx, *local));
                    WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to unpublish the following " + key + "? " +
                                                          pretty(order_to_json(*local, OrderJsonFields::kSigned))));
                    ctx.printer().start_spinner("Unpublishing " + key);
                    WP_TRY(std::vector<Bytes32> gone, market.unpublish_hash(kind, h, *wallet));
                    return json::object{{"orderHash", gone.empty() ? to_hex(h) : to_hex(gone.front())}};
                }
                WP_TRY(Address a, resource());
                ctx.printer().info("No orderHash specified and no signed " + key + " in \"orders.json\" for chain " +
                                   std::to_string(id) + ": unpublishing the last " + key + " of " +
                                   std::string(resource_name(kind)) + " " + a.to_checksum());
                WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to unpublish your last " + key + " for " +
                                                      std::string(resource_name(kind)) + " " + a.to_checksum() + "?"));
                ctx.printer().start_spinner("Unpublishing " + key);
                WP_TRY(std::vector<Bytes32> gone, market.unpublish_last(kind, a, *wallet));
                if (gone.empty()) return make_error(Errc::kRemote, "API error: nothing was unpublished");
                return json::object{{"orderHash", to_hex(gone.front())}};
            },
            [&](OrderKind, const std::string& key, json::object done) {
                if (const auto* h = done.if_contains("orderHash"))
                    ctx.printer().info(key + " with orderHash " + std::string(h->as_string()) +
                                       " successfully unpublished");
                else
                    ctx.printer().info(std::to_string(done.at("orderHashes").as_array().size()) + " " + key +
                                       "s successfully unpublished");
                res.success[key] = std::move(done);
            });
        return res.finish(ctx, "Successfully unpublished", "Failed to unpublish:");
    });
}

// ---- order cancel -----------------------------------------------------------------------------------------------

void add_cancel(Registry& r, Groups& g) {
    auto& k = r.keep<KindOptions>();
    CLI::App* cmd =
        r.leaf(g.order, "cancel", "cancel a signed order on chain (manage<X>Order CLOSE)", kTransaction | kForceOption);
    add_kind_flags(cmd, k, "cancel", true);
    r.action_with_exit(cmd, [&k](Context& ctx) -> Result<int> {
        if (!k.any()) return make_error(Errc::kInvalidArgument, kNoKind);
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(OrdersFile file, ctx.orders_or_empty());
        MultiResult res;
        for (OrderKind kind : kKinds) {
            if (!k.selected(kind)) continue;
            const std::string key(order_key(kind));
            auto done = [&]() -> Result<Bytes32> {
                WP_TRY(std::optional<Order> local, file.find(kind, id));
                std::optional<Order> order;
                Bytes32 hash;
                if (auto arg = k.argument(kind)) {
                    WP_TRY(hash, parse_hash_arg(*arg, key));
                    if (local) {
                        WP_TRY(Bytes32 local_hash, hash_on_chain(ctx, *local));
                        if (local_hash == hash) order = *local;
                    }
                    if (!order) {
                        ctx.printer().info("Fetching " + key + " " + to_hex(hash) + " from the marketplace");
                        WP_TRY(MarketClient market, open_market(ctx));
                        auto published = market.order(kind, hash);
                        if (!published)
                            return make_error(Errc::kInvalidArgument,
                                              key + " " + to_hex(hash) +
                                                  " is neither in \"orders.json\" nor on the marketplace (" +
                                                  published.error().message + ")");
                        order = published->order;
                    }
                } else {
                    if (!local)
                        return make_error(Errc::kInvalidArgument, "Missing signed " + key + " for chain " +
                                                                      std::to_string(id) + " in \"orders.json\"");
                    order = *local;
                    WP_TRY(hash, hash_on_chain(ctx, *order));
                }
                WP_TRY(chain::Hub * hub, ctx.hub());
                auto consumed = hub->view_consumed(hash);
                if (!consumed) return make_error(consumed.error().to_error());
                if (!(*consumed < order_volume(*order)))
                    return make_error(Errc::kInvalidArgument, key + " already canceled");
                WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to cancel the following " + key + "? " +
                                                      pretty(order_to_json(*order, OrderJsonFields::kSigned))));
                auto call = hub->manage_order(*order, OrderOperation::kClose, ByteView{});
                if (!call) return make_error(call.error().to_error());
                ctx.printer().start_spinner("Canceling " + key);
                WP_TRY(SentTx tx, ctx.send(*call));
                return tx.hash;
            }();
            if (!done) {
                res.failed.push_back(key + ": " + done.error().message);
                continue;
            }
            ctx.printer().info(key + " successfully canceled (" + to_hex(*done) + ")");
            res.success[key] = json::object{{"txHash", to_hex(*done)}};
        }
        return res.finish(ctx, "Successfully canceled", "Failed to cancel:");
    });
}

// ---- order show -------------------------------------------------------------------------------------------------

struct ShowOptions {
    KindOptions kinds;
    bool deals{false};
};

void add_show(Registry& r, Groups& g) {
    auto& o = r.keep<ShowOptions>();
    CLI::App* cmd = r.leaf(g.order, "show", "show an order published on the marketplace", kChainOption);
    add_kind_flags(cmd, o.kinds, "show", true);
    cmd->add_flag("--deals", o.deals, "show the deals of the order");
    r.action_with_exit(cmd, [&o](Context& ctx) -> Result<int> {
        if (!o.kinds.any()) return make_error(Errc::kInvalidArgument, kNoKind);
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(MarketClient market, open_market(ctx));
        MultiResult res;
        for (OrderKind kind : kKinds) {
            if (!o.kinds.selected(kind)) continue;
            const std::string key(order_key(kind));
            auto shown = [&]() -> Result<json::object> {
                Bytes32 hash;
                if (auto arg = o.kinds.argument(kind)) {
                    WP_TRY(hash, parse_hash_arg(*arg, key));
                } else {
                    ctx.printer().info("No order hash specified, showing " + key + " from \"orders.json\"");
                    WP_TRY(OrdersFile file, ctx.orders());
                    WP_TRY(std::optional<Order> local, file.find(kind, id));
                    if (!local)
                        return make_error(Errc::kInvalidArgument,
                                          "Missing " + key + " in \"orders.json\" for chain " + std::to_string(id));
                    WP_TRY(hash, hash_on_chain(ctx, *local));
                }
                ctx.printer().start_spinner("Showing " + key + "...");
                WP_TRY(PublishedOrder p, market.order(kind, hash));
                json::object raw = p.document;
                std::string text = key + " with orderHash " + to_hex(hash) + " details:" + pretty(p.document);
                if (o.deals) {
                    DealsQuery q;
                    switch (kind) {
                        case OrderKind::kApp: q.apporder_hash = hash; break;
                        case OrderKind::kDataset: q.datasetorder_hash = hash; break;
                        case OrderKind::kWorkerpool: q.workerpoolorder_hash = hash; break;
                        case OrderKind::kRequest: q.requestorder_hash = hash; break;
                    }
                    WP_TRY(DocumentPage deals, market.deals(q));
                    text += "\nDeals count: " + std::to_string(deals.count);
                    if (deals.count > 0) text += "\nLast deals: " + pretty(deals.items);
                    raw["deals"] = json::object{{"count", deals.count}, {"lastDeals", deals.items}};
                }
                ctx.printer().info(text);
                return raw;
            }();
            if (!shown) {
                res.failed.push_back(key + ": " + shown.error().message);
                continue;
            }
            res.success[key] = std::move(*shown);
        }
        return res.finish(ctx, "Successfully found", "Failed to show:");
    });
}

// ---- order fill -------------------------------------------------------------------------------------------------

struct FillOptions {
    std::string app, dataset, workerpool, request;
    std::optional<std::string> params;
    bool skip_preflight{false};
};

void add_fill(Registry& r, Groups& g) {
    auto& o = r.keep<FillOptions>();
    CLI::App* cmd = r.leaf(g.order, "fill", "fill orders from orders.json or from the marketplace (matchOrders)",
                           kTransaction | kForceOption);
    cmd->add_option("--app", o.app, "orderHash of an apporder on the marketplace");
    cmd->add_option("--dataset", o.dataset, "orderHash of a datasetorder on the marketplace");
    cmd->add_option("--workerpool", o.workerpool, "orderHash of a workerpoolorder on the marketplace");
    cmd->add_option("--request", o.request, "orderHash of a requestorder on the marketplace");
    cmd->add_option("--params", o.params, "build and sign a requestorder with these params (JSON)");
    cmd->add_flag("--skip-preflight-check", o.skip_preflight, "do not pre-check the match");
    r.action(cmd, [&o](Context& ctx) -> Result<Reply> {
        WP_TRY(std::uint64_t id, chain_id(ctx));
        WP_TRY(OrdersFile file, ctx.orders_or_empty());
        std::optional<MarketClient> market;
        auto fetch = [&](OrderKind kind, const std::string& hash_text) -> Result<std::optional<Order>> {
            const std::string key(order_key(kind));
            if (hash_text.empty()) return file.find(kind, id);
            WP_TRY(Bytes32 h, parse_hash_arg(hash_text, key));
            if (!market) {
                WP_TRY(MarketClient m, open_market(ctx));
                market.emplace(std::move(m));
            }
            ctx.printer().info("Fetching " + key + " " + hash_text + " from iexec marketplace");
            auto p = market->order(kind, h);
            if (!p)
                return make_error(
                    Errc::kInvalidArgument,
                    key + " " + hash_text + " is not published on iexec marketplace (" + p.error().message + ")");
            return std::optional<Order>(p->order);
        };
        WP_TRY(std::optional<Order> app, fetch(OrderKind::kApp, o.app));
        WP_TRY(std::optional<Order> dataset, fetch(OrderKind::kDataset, o.dataset));
        WP_TRY(std::optional<Order> pool, fetch(OrderKind::kWorkerpool, o.workerpool));
        std::optional<Order> request;
        if (!o.params) {
            WP_TRY(request, fetch(OrderKind::kRequest, o.request));
        }
        const bool use_dataset =
            request ? !(std::get<RequestOrder>(*request).dataset == Address{}) : dataset.has_value();
        if (!app) return make_error(Errc::kInvalidArgument, "Missing apporder");
        if (!dataset && use_dataset) return make_error(Errc::kInvalidArgument, "Missing datasetorder");
        if (!pool) return make_error(Errc::kInvalidArgument, "Missing workerpoolorder");
        const auto& A = std::get<AppOrder>(*app);
        const auto& W = std::get<WorkerpoolOrder>(*pool);
        const DatasetOrder D = use_dataset ? std::get<DatasetOrder>(*dataset) : DatasetOrder{};
        if (!request) {
            if (!o.params && !o.request.empty()) return make_error(Errc::kInvalidArgument, "Missing requestorder");
            WP_TRY(Address me, ctx.wallet_address());
            json::object req{{"app", A.app.to_checksum()},
                             {"appmaxprice", A.appprice.to_dec()},
                             {"workerpool", W.workerpool.to_checksum()},
                             {"workerpoolmaxprice", W.workerpoolprice.to_dec()},
                             {"requester", me.to_checksum()},
                             {"beneficiary", me.to_checksum()},
                             {"category", W.category.to_dec()}};
            if (use_dataset) {
                req["dataset"] = D.dataset.to_checksum();
                req["datasetmaxprice"] = D.datasetprice.to_dec();
            }
            if (o.params) {
                json::error_code ec;
                json::value p = json::parse(*o.params, ec);
                req["params"] = (!ec && p.is_object()) ? p : json::value(json::string(*o.params));
            }
            WP_TRY(Order unsigned_request, unsigned_order_from_json(OrderKind::kRequest, req));
            WP_TRY_VOID(confirm_or_abort(
                ctx,
                "the following requestorder has been created, do you want to sign it and complete your purchase? " +
                    pretty(order_to_json(unsigned_request, OrderJsonFields::kUnsigned))));
            WP_TRY(request, sign_with_wallet(ctx, std::move(unsigned_request)));
        }
        const auto& R = std::get<RequestOrder>(*request);
        WP_TRY(chain::Hub * hub, ctx.hub());
        if (!o.skip_preflight) {
            WP_TRY(MatchedDeal predicted, preflight_match(*hub, A, D, W, R, {.version = PocoVersion::kV6_1}));
            ctx.printer().info("Match pre-checked: a deal of " + predicted.volume.to_dec() + " task(s)");
        }
        auto call = hub->match_orders(A, D, W, R);
        if (!call) return make_error(call.error().to_error());
        ctx.printer().start_spinner("Filling order...");
        WP_TRY(SentTx tx, ctx.send(*call));
        for (const auto& log : tx.receipt.logs) {
            auto ev = chain::decode_poco_event(log);
            if (!ev) continue;
            if (const auto* m = std::get_if<chain::events::OrdersMatched>(&*ev)) {
                Reply reply;
                reply.payload = {
                    {"dealid", to_hex(m->deal_id)}, {"volume", m->volume.to_dec()}, {"txHash", to_hex(tx.hash)}};
                reply.human = ctx.printer().ok_line(m->volume.to_dec() + " task successfully purchased with dealid " +
                                                    to_hex(m->deal_id));
                return reply;
            }
        }
        return make_error(Errc::kRemote, "matchOrders transaction " + to_hex(tx.hash) + " has no OrdersMatched event");
    });
}

}  // namespace

// ---- shared helpers ---------------------------------------------------------------------------------------------

Result<MarketClient> open_market(Context& ctx) {
    WP_TRY(std::string url, ctx.market_url());
    WP_TRY(std::uint64_t id, chain_id(ctx));
    MarketClientOptions options;
    options.url = url;
    options.chain_id = id;
    options.request_timeout = std::max(ctx.env().rpc_timeout, std::chrono::milliseconds(1000));
    return MarketClient::create(std::move(options));
}

Result<Order> unsigned_order_from_json(OrderKind kind, const boost::json::value& json_in) {
    const std::string key(order_key(kind));
    const auto* in = json_in.if_object();
    if (in == nullptr) return make_error(Errc::kInvalidArgument, key + ": not a JSON object");
    json::object o = order_defaults(kind);
    if (kind == OrderKind::kRequest) {
        if (const auto* req = in->if_contains("requester")) o["beneficiary"] = *req;
    }
    for (const auto& kv : *in) {
        const std::string field(kv.key());
        json::value v = kv.value();
        if (is_price_field(field)) {
            std::string text = v.is_string() ? std::string(v.get_string()) : json::serialize(v);
            auto amount = parse_nrlc_amount(std::string_view(text));
            if (!amount) return make_error(amount.error().with_context(key + "." + field));
            v = amount->to_dec();
        } else if (field == "tag") {
            auto tag = parse_tag(v);
            if (!tag) return make_error(Errc::kInvalidArgument, key + ".tag: " + tag.error().message);
            v = tag_to_hex(*tag);
        }
        o[field] = std::move(v);
    }
    if (kind == OrderKind::kRequest) {
        const auto* callback = o.if_contains("callback");
        const bool has_callback =
            callback != nullptr && callback->is_string() &&
            Address::parse(callback->get_string()).map([](const Address& a) { return !a.is_zero(); }).value_or(false);
        const json::value params = o.contains("params") ? o["params"] : json::value(json::string());
        auto text = sdk_request_params(params, has_callback);
        if (!text) return make_error(text.error());
        o["params"] = *text;
    }
    return order_from_json(kind, o, OrderJsonOptions{.require_salt = false, .require_sign = false});
}

Result<std::string> sdk_request_params(const boost::json::value& params, bool has_callback) {
    json::object object;
    if (params.is_string()) {
        // A JSON text stored as a string (an order read back) is taken as the object it encodes.
        json::error_code ec;
        json::value parsed = json::parse(params.get_string(), ec);
        if (!ec && parsed.is_object()) object = parsed.as_object();
        else object["iexec_args"] = params.get_string();
    } else if (params.is_object()) {
        object = params.get_object();
    } else {
        return make_error(Errc::kInvalidArgument, "requestorder.params: expected a JSON object or a string");
    }
    if (has_callback || object.contains("iexec_result_storage_provider")) return json::serialize(object);
    json::object rebuilt;
    for (std::string_view key : {"iexec_secrets", "iexec_result_storage_provider", "iexec_result_encryption",
                                 "iexec_bulk_cid", "iexec_input_files", "iexec_args"}) {
        if (key == "iexec_result_storage_provider") rebuilt[key] = "ipfs";
        else if (const auto* v = object.if_contains(key)) rebuilt[key] = *v;
    }
    return json::serialize(rebuilt);
}

Result<Order> sign_with_wallet(Context& ctx, Order order) {
    WP_TRY(Domain domain, ctx.domain());
    WP_TRY(const PrivateKey* key, ctx.wallet());
    set_order_salt(order, random_bytes32());
    set_order_sign(order, sign_order(domain, order, *key));
    return order;
}

Result<Bytes32> hash_on_chain(Context& ctx, const Order& order) {
    WP_TRY(Domain domain, ctx.domain());
    return order_hash(domain, order);
}

std::string pretty(const boost::json::value& value) {
    if (const auto* o = value.if_object()) return "\n" + render_human(*o);
    json::object wrapper;
    if (const auto* a = value.if_array()) {
        std::string out;
        for (const auto& item : *a) {
            if (const auto* io = item.if_object()) {
                std::string body = render_human(*io);
                std::string indented = "  ";
                for (char c : body) {
                    indented.push_back(c);
                    if (c == '\n') indented += "  ";
                }
                out += "\n-\n" + indented;
            } else {
                out += "\n- " + (item.is_string() ? std::string(item.get_string()) : json::serialize(item));
            }
        }
        return out;
    }
    return "\n" + (value.is_string() ? std::string(value.get_string()) : json::serialize(value));
}

Result<void> confirm_or_abort(Context& ctx, std::string_view question) {
    auto answer = ctx.confirm(question);
    constexpr std::string_view kNoTerminal = "(no terminal to confirm: use --force)";
    if (!answer && answer.error().message.ends_with(kNoTerminal)) {
        // Without a terminal the Context repeats the whole question; keep its first line only (the order follows).
        std::string_view head = question.substr(0, question.find('\n'));
        while (!head.empty() && head.back() == ' ') head.remove_suffix(1);
        return make_error(answer.error().code, std::string(head) + " " + std::string(kNoTerminal));
    }
    WP_TRY(bool yes, std::move(answer));
    if (!yes) return make_error(Errc::kInvalidArgument, "Operation aborted by user");
    return {};
}

void add_order_commands(Registry& r, Groups& g) {
    add_init(r, g);
    add_sign(r, g);
    add_publish(r, g);
    add_unpublish(r, g);
    add_cancel(r, g);
    add_show(r, g);
    add_fill(r, g);
}

}  // namespace wp::cli
