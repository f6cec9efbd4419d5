// The market API against the real server on 127.0.0.1, on SQLite and PostgreSQL. Chain facts (owners, stakes,
// consumed volumes, categories) are the mirror's tables, written here directly (a complete mirror: no RPC).
// Proves: chainId rules, auth (missing, malformed, wrong signer, replay), every publish refusal (status + message,
// the reference's then ours), every unpublish refusal, the happy paths with their documents, live events after
// POST / PUT, paging / filter errors naming the parameter, the rate limit's 429 shape, the OpenAPI document equal to
// the registered routes, and no 500 for bad input.
#include "api.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/chain/eth.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>
#include <wp/net/websocket.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/service/auth_header.hpp>
#include <wp/store/backend_test.hpp>

#include "chain_state.hpp"
#include "challenge_store.hpp"
#include "live.hpp"
#include "order_book.hpp"
#include "schema.hpp"

namespace wp::market {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kChain = 65535;
const Address kHub = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();
const Address kZero{};

Address addr(std::string_view hex) { return Address::parse(hex).value(); }

struct Answer {
    unsigned status{0};
    json::value body;
    std::string text;
    net::HttpHeaders headers;

    std::string error() const {
        const auto* o = body.if_object();
        if (o == nullptr || !o->contains("error")) return "<no error: " + text + ">";
        return std::string(o->at("error").as_string());
    }
};

class MarketApiTest : public store::testing::BackendTest {
  protected:
    void SetUp() override {
        open_database("market_api", {.pool_size = 8});
        if (HasFatalFailure()) return;
        ASSERT_TRUE(migrate_market_schema(*db_));
        exec(
            "INSERT INTO market_sync (chain_id, hub, start_block, complete, last_block, last_block_ms) "
            "VALUES ($1, $2, 0, 1, 120, 0)",
            kChain, kHub);
        rpc_ = std::make_unique<chain::JsonRpcClient>(chain::JsonRpcOptions{.url = "http://127.0.0.1:1"});
        eth_ = std::make_unique<chain::EthClient>(*rpc_);
        hub_ = std::make_unique<chain::Hub>(*eth_, kHub);
        state_ = std::make_unique<ChainState>(*db_, *hub_, kChain);
        challenges_ = std::make_unique<SqlChallengeStore>(*db_);
        auth_ = std::make_unique<service::ChallengeAuth>(*challenges_, clock_);
    }
    void TearDown() override {
        ws_.reset();
        server_.reset();
        api_.reset();
        db_.reset();
    }

    void start(MarketApiOptions options = {}) {
        MarketApiDeps deps;
        deps.db = db_.get();
        deps.chains.push_back(ChainContext{kChain, Domain::iexec(U256(kChain), kHub), state_.get(), nullptr});
        deps.auth = auth_.get();
        deps.clock = &clock_;
        api_ = std::make_unique<MarketApi>(std::move(deps), options);
        server_ = std::make_unique<net::HttpServer>(MarketApi::server_options({}, options));
        hub_ws_ = api_->install(*server_);
        ASSERT_TRUE(server_->start());
        base_ = server_->base_url();
        pump_ = std::make_unique<LivePump>(*db_, hub_ws_, clock_);
        ASSERT_TRUE(pump_->start());
    }

    template <class... A>
    void exec(std::string_view sql, const A&... args) {
        auto r = db_->write([&](store::Tx& tx) { return tx.exec(sql, args...); });
        ASSERT_TRUE(r) << r.error().message;
    }

    // ---- chain facts (the mirror's tables) ----
    void set_owner(Registry registry, const Address& entry, const Address& owner) {
        exec(
            "INSERT INTO market_owners (chain_id, entry, registry, owner, block_number) VALUES ($1, $2, $3, $4, 1) "
            "ON CONFLICT (chain_id, entry) DO UPDATE SET owner = excluded.owner",
            kChain, entry, static_cast<std::int64_t>(registry), owner);
    }
    void set_stake(const Address& account, const U256& stake) {
        exec(
            "INSERT INTO market_accounts (chain_id, account, stake, block_number) VALUES ($1, $2, $3, 1) "
            "ON CONFLICT (chain_id, account) DO UPDATE SET stake = excluded.stake",
            kChain, account, stake);
    }
    void set_consumed(const Bytes32& hash, const U256& consumed) {
        exec("INSERT INTO market_consumed (chain_id, order_hash, consumed, block_number) VALUES ($1, $2, $3, 1)",
             kChain, hash, consumed);
    }
    void add_category(std::uint64_t catid) {
        exec(
            "INSERT INTO market_categories (chain_id, catid, name, description, work_clock_time_ref, "
            "transaction_hash, block_number, block_timestamp_ms) VALUES ($1, $2, 'S', 'small', $3, $4, 1, 0)",
            kChain, catid, U256(300), Bytes32{});
    }

    // ---- HTTP ----
    Answer call(std::string method, const std::string& target, std::string body = {}, net::HttpHeaders headers = {}) {
        net::HttpRequest req;
        req.method = std::move(method);
        req.url = base_ + target;
        req.body = std::move(body);
        req.headers = std::move(headers);
        if (!req.body.empty()) req.headers.emplace_back("Content-Type", "application/json");
        auto r = client_.request(std::move(req));
        EXPECT_TRUE(r) << r.error().message;
        Answer a;
        if (!r) return a;
        a.status = r->status;
        a.text = r->body;
        a.headers = r->headers;
        boost::system::error_code ec;
        a.body = json::parse(r->body, ec);
        return a;
    }
    Answer get(const std::string& target) { return call("GET", target); }

    std::string auth_header(const PrivateKey& key, std::uint64_t chain = kChain) {
        auto a = get("/challenge?chainId=" + std::to_string(chain) + "&address=" + key.address().to_checksum());
        EXPECT_EQ(a.status, 200u) << a.text;
        auto typed = eip712::parse_typed_data(a.body.at("data")).value();
        service::ChallengeAuthorization h;
        h.challenge_hash = eip712::digest(typed).value();
        h.signature = eip712::sign_typed_data(key, typed).value();
        h.address = key.address();
        return service::format_challenge_authorization(h);
    }

    Answer publish(OrderKind kind, const Order& order, const PrivateKey& as) {
        json::object body{{"order", order_to_json(order, OrderJsonFields::kSigned)}};
        return call("POST", "/" + std::string(order_key(kind)) + "s?chainId=65535", json::serialize(body),
                    {{"Authorization", auth_header(as)}});
    }
    Answer unpublish(OrderKind kind, const json::object& body, const PrivateKey& as) {
        return call("PUT", "/" + std::string(order_key(kind)) + "s?chainId=65535", json::serialize(body),
                    {{"Authorization", auth_header(as)}});
    }

    // ---- orders ----
    Domain domain() const { return Domain::iexec(U256(kChain), kHub); }

    WorkerpoolOrder workerpool_order(const PrivateKey& key, const Address& pool, std::uint64_t price = 10,
                                     std::uint64_t volume = 3, std::uint64_t tag = 0x9, std::uint64_t trust = 0,
                                     std::uint64_t category = 0, std::uint8_t salt = 1) {
        WorkerpoolOrder o;
        o.workerpool = pool;
        o.workerpoolprice = price;
        o.volume = volume;
        o.tag = make_tag(tag);
        o.category = category;
        o.trust = trust;
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), key);
        return o;
    }
    AppOrder app_order(const PrivateKey& key, const Address& app, std::uint64_t price, std::uint64_t tag = 0,
                       std::uint8_t salt = 1) {
        AppOrder o;
        o.app = app;
        o.appprice = price;
        o.volume = 10;
        o.tag = make_tag(tag);
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), key);
        return o;
    }
    DatasetOrder dataset_order(const PrivateKey& key, const Address& dataset, std::uint64_t price) {
        DatasetOrder o;
        o.dataset = dataset;
        o.datasetprice = price;
        o.volume = 10;
        o.salt[31] = 1;
        o.sign = sign_order(domain(), Order(o), key);
        return o;
    }
    RequestOrder request_order(const PrivateKey& key, const Address& app, const Address& dataset, std::uint64_t appmax,
                               std::uint64_t datasetmax, std::uint64_t poolmax, std::uint64_t tag = 0) {
        RequestOrder o;
        o.app = app;
        o.appmaxprice = appmax;
        o.dataset = dataset;
        o.datasetmaxprice = datasetmax;
        o.workerpoolmaxprice = poolmax;
        o.requester = key.address();
        o.beneficiary = key.address();
        o.volume = 2;
        o.tag = make_tag(tag);
        o.params = R"({"iexec_args":"x"})";
        o.salt[31] = 1;
        o.sign = sign_order(domain(), Order(o), key);
        return o;
    }

    //! A workerpool `pool` owned by `owner` with enough stake, and category 0.
    void deploy_pool(const PrivateKey& owner, const Address& pool) {
        set_owner(Registry::kWorkerpool, pool, owner.address());
        set_stake(owner.address(), U256(1'000'000));
        add_category(0);
    }

    ManualClock clock_;
    std::unique_ptr<chain::JsonRpcClient> rpc_;
    std::unique_ptr<chain::EthClient> eth_;
    std::unique_ptr<chain::Hub> hub_;
    std::unique_ptr<ChainState> state_;
    std::unique_ptr<SqlChallengeStore> challenges_;
    std::unique_ptr<service::ChallengeAuth> auth_;
    std::unique_ptr<MarketApi> api_;
    std::unique_ptr<net::HttpServer> server_;
    std::shared_ptr<net::WebSocketHub> hub_ws_;
    std::unique_ptr<LivePump> pump_;
    std::unique_ptr<net::WebSocketClient> ws_;
    net::HttpClient client_;
    std::string base_;

    const PrivateKey owner_ = PrivateKey::generate();
    const PrivateKey other_ = PrivateKey::generate();
    const Address pool_ = addr("0x2222222222222222222222222222222222222222");
};

WP_INSTANTIATE_ON_BOTH_BACKENDS(MarketApiTest);

TEST_P(MarketApiTest, ChainIdIsRequiredAndMustBeServed) {
    start();
    auto v = get("/version");
    EXPECT_EQ(v.status, 200u);
    EXPECT_EQ(v.text, R"({"ok":true,"version":"7.1.2"})");
    auto missing = get("/workerpoolorders");
    EXPECT_EQ(missing.status, 400u);
    EXPECT_EQ(missing.text, R"({"ok":false,"error":"chainId is a required field"})");
    auto other = get("/workerpoolorders?chainId=5");
    EXPECT_EQ(other.status, 400u);
    EXPECT_EQ(other.error(), "chainId 5 is not supported");
    EXPECT_EQ(get("/categories?chainId=065535").error(), "chainId 065535 is not supported");
    EXPECT_EQ(get("/metrics?chainId=1").status, 400u);
    auto post = call("POST", "/workerpoolorders?chainId=7", "{}");
    EXPECT_EQ(post.status, 400u);
    EXPECT_EQ(post.error(), "chainId 7 is not supported");
}

TEST_P(MarketApiTest, AuthenticationMissingMalformedWrongSignerAndReplay) {
    start();
    deploy_pool(owner_, pool_);
    const auto order = workerpool_order(owner_, pool_);
    const std::string body = json::serialize(json::object{{"order", order_to_json(Order(order))}});
    const auto refused = [&](const net::HttpHeaders& headers) {
        auto a = call("POST", "/workerpoolorders?chainId=65535", body, headers);
        EXPECT_EQ(a.status, 403u) << a.text;
        EXPECT_EQ(a.text, R"({"ok":false,"error":"invalid authorization"})");
    };
    refused({});
    refused({{"Authorization", "nonsense"}});
    // A header signed by another key than the address it names.
    {
        auto c = get("/challenge?chainId=65535&address=" + owner_.address().to_checksum());
        auto typed = eip712::parse_typed_data(c.body.at("data")).value();
        service::ChallengeAuthorization h;
        h.challenge_hash = eip712::digest(typed).value();
        h.signature = eip712::sign_typed_data(other_, typed).value();
        h.address = owner_.address();
        refused({{"Authorization", service::format_challenge_authorization(h)}});
    }
    // A challenge of another chain is not found on this one.
    const std::string header = auth_header(owner_);
    auto ok = call("POST", "/workerpoolorders?chainId=65535", body, {{"Authorization", header}});
    EXPECT_EQ(ok.status, 200u) << ok.text;
    refused({{"Authorization", header}});  // replay of a used challenge
    // The challenge route validates its parameters.
    EXPECT_EQ(get("/challenge?chainId=65535").error(), "address is a required field");
    EXPECT_EQ(get("/challenge?chainId=65535&address=0x12").error(), "address is not a valid ethereum address");
}

// MarketApiOptions::inline_auth_routes: GET /challenge and the POST on the I/O threads answer as on the pool.
TEST_P(MarketApiTest, InlineAuthRoutesAnswerAsThePool) {
    MarketApiOptions options;
    options.inline_auth_routes = true;
    start(options);
    deploy_pool(owner_, pool_);
    const auto order = workerpool_order(owner_, pool_);
    const std::string body = json::serialize(json::object{{"order", order_to_json(Order(order))}});
    auto missing = call("POST", "/workerpoolorders?chainId=65535", body, {});
    EXPECT_EQ(missing.status, 403u) << missing.text;
    EXPECT_EQ(missing.text, R"({"ok":false,"error":"invalid authorization"})");
    const std::string header = auth_header(owner_);
    auto ok = call("POST", "/workerpoolorders?chainId=65535", body, {{"Authorization", header}});
    EXPECT_EQ(ok.status, 200u) << ok.text;
    auto replay = call("POST", "/workerpoolorders?chainId=65535", body, {{"Authorization", header}});
    EXPECT_EQ(replay.status, 403u) << replay.text;
    EXPECT_EQ(get("/challenge?chainId=65535").error(), "address is a required field");
    auto shown = get("/workerpoolorders/" + to_hex(order_hash(domain(), Order(order))) + "?chainId=65535");
    EXPECT_EQ(shown.status, 200u);
}

TEST_P(MarketApiTest, PublishShowListUnpublishWithLiveEvents) {
    start();
    deploy_pool(owner_, pool_);
    auto ws = net::WebSocketClient::connect("ws://127.0.0.1:" + std::to_string(server_->port()) + "/ws");
    ASSERT_TRUE(ws) << ws.error().message;
    ws_ = std::move(*ws);
    ASSERT_TRUE(ws_->subscribe("65535:orders"));
    EXPECT_FALSE(ws_->subscribe("1:orders"));  // not a served chain

    const auto order = workerpool_order(owner_, pool_, 10, 3);
    const Bytes32 hash = order_hash(domain(), Order(order));
    auto p = publish(OrderKind::kWorkerpool, Order(order), owner_);
    ASSERT_EQ(p.status, 200u) << p.text;
    const auto& published = p.body.at("published").as_object();
    EXPECT_EQ(published.at("orderHash").as_string(), to_hex(hash));
    EXPECT_EQ(published.at("status").as_string(), "open");
    EXPECT_EQ(published.at("remaining").as_int64(), 3);
    EXPECT_EQ(published.at("signer").as_string(), owner_.address().to_checksum());
    EXPECT_EQ(published.at("chainId").as_int64(), 65535);

    ASSERT_TRUE(pump_->pump_once());
    auto event = json::parse(ws_->receive(5s).value()).as_object();
    EXPECT_EQ(event.at("topic").as_string(), "65535:orders");
    EXPECT_EQ(event.at("event").as_string(), "workerpoolorder_published");
    EXPECT_EQ(event.at("data").at("orderHash").as_string(), to_hex(hash));
    EXPECT_FALSE(event.at("data").as_object().contains("chainId"));

    auto shown = get("/workerpoolorders/" + to_hex(hash) + "?chainId=65535");
    ASSERT_EQ(shown.status, 200u) << shown.text;
    EXPECT_EQ(shown.body.at("ok").as_bool(), true);
    EXPECT_EQ(shown.body.at("order").at("workerpool").as_string(), pool_.to_checksum());
    EXPECT_EQ(get("/apporders/" + to_hex(hash) + "?chainId=65535").error(), "apporder not found");

    auto list = get("/workerpoolorders?chainId=65535&workerpool=" + pool_.to_checksum());
    ASSERT_EQ(list.status, 200u) << list.text;
    EXPECT_EQ(list.body.at("count").as_int64(), 1);
    EXPECT_EQ(list.body.at("orders").as_array().size(), 1u);
    EXPECT_FALSE(list.body.as_object().contains("nextPage"));

    auto m = get("/metrics?chainId=65535");
    ASSERT_EQ(m.status, 200u) << m.text;
    EXPECT_EQ(m.body.at("workerpoolorders").as_int64(), 1);
    EXPECT_EQ(m.body.at("lastBlock").as_int64(), 120);

    auto u = unpublish(OrderKind::kWorkerpool, {{"orderHash", to_hex(hash)}}, owner_);
    ASSERT_EQ(u.status, 200u) << u.text;
    EXPECT_EQ(u.text, R"({"ok":true,"unpublished":[")" + to_hex(hash) + R"("]})");
    ASSERT_TRUE(pump_->pump_once());
    event = json::parse(ws_->receive(5s).value()).as_object();
    EXPECT_EQ(event.at("event").as_string(), "workerpoolorder_unpublished");
    EXPECT_EQ(event.at("data").as_string(), to_hex(hash));
    EXPECT_EQ(get("/workerpoolorders/" + to_hex(hash) + "?chainId=65535").status, 404u);

    // Published again after an unpublish (the row was deleted).
    EXPECT_EQ(publish(OrderKind::kWorkerpool, Order(order), owner_).status, 200u);
    auto prom = get("/prometheus");
    EXPECT_EQ(prom.status, 200u);
    EXPECT_NE(prom.text.find(R"(wp_market_publish_total{kind="workerpoolorder",outcome="ok"} 2)"), std::string::npos)
        << prom.text;
}

TEST_P(MarketApiTest, EveryWorkerpoolPublishRefusal) {
    MarketApiOptions options;
    options.publish.max_open_orders_per_wallet = 2;
    start(options);
    deploy_pool(owner_, pool_);
    const auto refused = [&](const Order& order, const PrivateKey& as, unsigned status, const std::string& message) {
        auto a = publish(kind_of(order), order, as);
        EXPECT_EQ(a.status, status) << a.text;
        EXPECT_EQ(a.error(), message);
    };
    // Schema (400).
    auto zero_volume = workerpool_order(owner_, pool_);
    zero_volume.volume = 0;
    refused(Order(zero_volume), owner_, 400, "order.volume must be greater than or equal to 1");
    // Resource not deployed.
    refused(Order(workerpool_order(owner_, addr("0x3333333333333333333333333333333333333333"))), owner_, 403,
            "Resource not deployed");
    // Signer is not the caller.
    refused(Order(workerpool_order(owner_, pool_)), other_, 403,
            "only order signer " + owner_.address().to_checksum() + " can publish an order");
    // Signature by another key.
    refused(Order(workerpool_order(other_, pool_)), owner_, 403, "invalid sign");
    // Already published.
    const auto first = workerpool_order(owner_, pool_, 10, 3, 0x9, 0, 0, 1);
    ASSERT_EQ(publish(OrderKind::kWorkerpool, Order(first), owner_).status, 200u);
    refused(Order(first), owner_, 403, "order already published");
    // A dead order may be published again (it keeps its publication time).
    exec("UPDATE market_orders SET status = 3 WHERE order_hash = $1", order_hash(domain(), Order(first)));
    auto again = publish(OrderKind::kWorkerpool, Order(first), owner_);
    ASSERT_EQ(again.status, 200u) << again.text;
    EXPECT_EQ(again.body.at("published").at("status").as_string(), "open");
    // Consumed.
    const auto consumed = workerpool_order(owner_, pool_, 10, 3, 0x9, 0, 0, 2);
    set_consumed(order_hash(domain(), Order(consumed)), U256(3));
    refused(Order(consumed), owner_, 403, "order already consumed");
    // Stake: (price × 30 / 100) × remaining > stake.
    set_stake(owner_.address(), U256(29));
    refused(Order(workerpool_order(owner_, pool_, 10, 10, 0x9, 0, 0, 3)), owner_, 403,
            "workerpool owner's stake is too low to cover required workerpool lock");
    set_stake(owner_.address(), U256(1'000'000));
    // Ours: tags, TEE trust, category.
    refused(Order(workerpool_order(owner_, pool_, 10, 1, 0x1, 0, 0, 4)), owner_, 403,
            "Unsupported workerpool order tag "
            "0x0000000000000000000000000000000000000000000000000000000000000001; supported: 0x0, 0x3, 0x5, 0x9, "
            "optionally | 0x100");
    refused(Order(workerpool_order(owner_, pool_, 10, 1, 0x9, 20, 0, 5)), owner_, 403,
            "TEE workerpool orders must have trust 1 (0 counts as 1; got 20)");
    refused(Order(workerpool_order(owner_, pool_, 10, 1, 0x0, 0, 7, 6)), owner_, 403, "category 7 does not exist");
    // Trust 0 with a TEE tag counts as 1; standard orders take any trust; GPU is accepted.
    ASSERT_EQ(
        publish(OrderKind::kWorkerpool, Order(workerpool_order(owner_, pool_, 10, 1, 0x109, 1, 0, 7)), owner_).status,
        200u);
    // Max open orders per wallet (2 here).
    refused(
        Order(workerpool_order(owner_, pool_, 10, 1, 0x0, 5, 0, 8)), owner_, 403,
        "maximun of 2 published open workerpoolorder has been reached for wallet " + owner_.address().to_checksum());
}

// A publish refused while the chain mirror is behind waits for the catch-up (on the batcher's slow lane, not on a
// handler thread nor on the writer) and is evaluated once more; a mirror that did not move keeps the refusal.
TEST_P(MarketApiTest, ARefusedPublishIsRetriedOnceAfterTheCatchUp) {
    std::atomic<int> catch_ups{0};
    std::atomic<bool> deploy_on_catch_up{true};
    MarketApiOptions options;
    options.sync_to_head = [&](std::uint64_t chain_id) {
        EXPECT_EQ(chain_id, kChain);
        ++catch_ups;
        if (!deploy_on_catch_up) return false;
        deploy_pool(owner_, pool_);  // what the mirror would have applied: the pool deployed in the last block
        return true;
    };
    start(options);
    auto a = publish(OrderKind::kWorkerpool, Order(workerpool_order(owner_, pool_)), owner_);
    ASSERT_EQ(a.status, 200u) << a.text;
    EXPECT_EQ(a.body.at("published").at("signer").as_string(), owner_.address().to_checksum());
    EXPECT_EQ(catch_ups.load(), 1);

    deploy_on_catch_up = false;
    const Address undeployed = addr("0x3333333333333333333333333333333333333333");
    auto refused = publish(OrderKind::kWorkerpool, Order(workerpool_order(owner_, undeployed)), owner_);
    EXPECT_EQ(refused.status, 403u) << refused.text;
    EXPECT_EQ(refused.error(), "Resource not deployed");
    EXPECT_EQ(catch_ups.load(), 2);
}

TEST_P(MarketApiTest, RequestOrderRefusalsAndMatchingOrders) {
    start();
    const auto app_owner = PrivateKey::generate();
    const auto ds_owner = PrivateKey::generate();
    const Address app = addr("0x4444444444444444444444444444444444444444");
    const Address dataset = addr("0x5555555555555555555555555555555555555555");
    set_owner(Registry::kApp, app, app_owner.address());
    set_owner(Registry::kDataset, dataset, ds_owner.address());
    const auto refused = [&](const RequestOrder& order, const std::string& message) {
        auto a = publish(OrderKind::kRequest, Order(order), owner_);
        EXPECT_EQ(a.status, 403u) << a.text;
        EXPECT_EQ(a.error(), message);
    };
    // (5 + 3 + 10) × 2 = 36 > 35.
    set_stake(owner_.address(), U256(35));
    refused(request_order(owner_, app, dataset, 5, 3, 10),
            "requester stake is too low to cover requestorder payment, minimum stake required is 36 nRLC");
    set_stake(owner_.address(), U256(1000));
    refused(request_order(owner_, app, dataset, 5, 3, 10), "No apporder published for app " + app.to_checksum());
    refused(request_order(owner_, app, dataset, 5, 3, 10, 0x1),
            "No tee enabled apporder published for app " + app.to_checksum());
    ASSERT_EQ(publish(OrderKind::kApp, Order(app_order(app_owner, app, 6)), app_owner).status, 200u);
    refused(request_order(owner_, app, dataset, 5, 3, 10),
            "appmaxprice for app " + app.to_checksum() + " is too low, actual best price is 6 nRLC");
    refused(request_order(owner_, app, dataset, 6, 3, 10),
            "No datasetorder published for dataset " + dataset.to_checksum());
    ASSERT_EQ(publish(OrderKind::kDataset, Order(dataset_order(ds_owner, dataset, 4)), ds_owner).status, 200u);
    refused(request_order(owner_, app, dataset, 6, 3, 10),
            "datasetmaxprice for dataset " + dataset.to_checksum() + " is too low, actual best price is 4 nRLC");
    const auto request = request_order(owner_, app, dataset, 6, 4, 10);
    auto ok = publish(OrderKind::kRequest, Order(request), owner_);
    EXPECT_EQ(ok.status, 200u) << ok.text;
    // Unpublishing the only matching apporder kills the dependent request order (reference: cleanApporder...).
    const std::string request_hash = to_hex(order_hash(domain(), Order(request)));
    auto u = unpublish(OrderKind::kApp, {{"target", "unpublish_all"}, {"app", app.to_checksum()}}, app_owner);
    ASSERT_EQ(u.status, 200u) << u.text;
    auto shown = get("/requestorders/" + request_hash + "?chainId=65535");
    ASSERT_EQ(shown.status, 200u) << shown.text;
    EXPECT_EQ(shown.body.at("status").as_string(), "dead");
    // The requester must be the caller.
    auto wrong = publish(OrderKind::kRequest, Order(request_order(owner_, app, kZero, 6, 0, 10)), other_);
    EXPECT_EQ(wrong.status, 403u);
    EXPECT_EQ(wrong.error(), "only order signer " + owner_.address().to_checksum() + " can publish an order");
}

TEST_P(MarketApiTest, UnpublishRefusalsAndTargets) {
    start();
    deploy_pool(owner_, pool_);
    const auto a = workerpool_order(owner_, pool_, 10, 1, 0x9, 0, 0, 1);
    const auto b = workerpool_order(owner_, pool_, 10, 1, 0x9, 0, 0, 2);
    const auto c = workerpool_order(owner_, pool_, 10, 1, 0x9, 0, 0, 3);
    for (const auto& o : {a, b, c}) {
        ASSERT_EQ(publish(OrderKind::kWorkerpool, Order(o), owner_).status, 200u);
        clock_.advance(1s);  // distinct publication times: b is newer than a, c newest
    }
    const std::string ha = to_hex(order_hash(domain(), Order(a)));
    const std::string hb = to_hex(order_hash(domain(), Order(b)));
    const std::string hc = to_hex(order_hash(domain(), Order(c)));
    const std::string unknown = to_hex(Bytes32{});

    auto r = unpublish(OrderKind::kWorkerpool, {{"orderHash", unknown}}, owner_);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.error(), "workerpoolorder with orderHash " + unknown + " is not published");
    r = unpublish(OrderKind::kApp, {{"orderHash", ha}}, owner_);  // another kind's collection
    EXPECT_EQ(r.error(), "apporder with orderHash " + ha + " is not published");
    r = unpublish(OrderKind::kWorkerpool, {{"orderHash", ha}}, other_);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.error(), "only order signer " + owner_.address().to_checksum() + " can unpublish an order");
    r = unpublish(OrderKind::kWorkerpool, {{"target", "unpublish_last"}, {"workerpool", pool_.to_checksum()}}, other_);
    EXPECT_EQ(r.status, 403u);
    EXPECT_EQ(r.error(), "no open workerpoolorder published by signer " + other_.address().to_checksum() +
                             " for workerpool " + pool_.to_checksum());
    r = unpublish(OrderKind::kWorkerpool, {{"target", "unpublish_x"}}, owner_);
    EXPECT_EQ(r.status, 400u);

    r = unpublish(OrderKind::kWorkerpool, {{"target", "unpublish_last"}, {"workerpool", pool_.to_checksum()}}, owner_);
    ASSERT_EQ(r.status, 200u) << r.text;
    EXPECT_EQ(r.text, R"({"ok":true,"unpublished":[")" + hc + R"("]})");
    r = unpublish(OrderKind::kWorkerpool, {{"target", "unpublish_all"}, {"workerpool", pool_.to_checksum()}}, owner_);
    ASSERT_EQ(r.status, 200u) << r.text;
    EXPECT_EQ(r.text, R"({"ok":true,"unpublished":[")" + hb + R"(",")" + ha + R"("]})");
    r = unpublish(OrderKind::kWorkerpool, {{"target", "unpublish_all"}, {"workerpool", pool_.to_checksum()}}, owner_);
    EXPECT_EQ(r.status, 403u);
}

TEST_P(MarketApiTest, DealsCategoriesAndOhlc) {
    start();
    add_category(0);
    DealRecord deal;
    deal.chain_id = kChain;
    deal.deal_id[31] = 7;
    deal.app = addr("0x4444444444444444444444444444444444444444");
    deal.workerpool = pool_;
    deal.workerpool_owner = owner_.address();
    deal.workerpool_price = 5;
    deal.requester = other_.address();
    deal.beneficiary = other_.address();
    deal.volume = 2;
    deal.block_number = 10;
    deal.block_timestamp_ms = 1'600'000'000'000;
    auto inserted = db_->write([&](store::Tx& tx) { return insert_deal(tx, deal, 0); });
    ASSERT_TRUE(inserted) << inserted.error().message;
    const std::string id = to_hex(deal.deal_id);

    auto list = get("/deals?chainId=65535&workerpool=" + pool_.to_checksum());
    ASSERT_EQ(list.status, 200u) << list.text;
    EXPECT_EQ(list.body.at("count").as_int64(), 1);
    EXPECT_EQ(list.body.at("deals").at(0).at("dealid").as_string(), id);
    auto one = get("/deals/" + id + "?chainId=65535");
    ASSERT_EQ(one.status, 200u) << one.text;
    EXPECT_EQ(one.body.at("dealid").as_string(), id);
    EXPECT_EQ(one.body.at("chainId").as_int64(), 65535);
    EXPECT_EQ(one.body.at("workerpool").at("owner").as_string(), owner_.address().to_checksum());
    auto ohlc = get("/ohlc?chainId=65535&category=0");
    ASSERT_EQ(ohlc.status, 200u) << ohlc.text;
    EXPECT_EQ(json::serialize(ohlc.body.at("ohlc")), R"([["2020-09-13T12:26:40.000Z",5,2]])");
    EXPECT_EQ(get("/ohlc?chainId=65535&category=1.5").error(), "category must be an integer");

    auto cats = get("/categories?chainId=65535");
    ASSERT_EQ(cats.status, 200u) << cats.text;
    EXPECT_EQ(cats.body.at("count").as_int64(), 1);
    auto cat = get("/categories/0?chainId=65535");
    ASSERT_EQ(cat.status, 200u) << cat.text;
    EXPECT_EQ(cat.body.at("name").as_string(), "S");
    EXPECT_EQ(cat.body.at("catid").as_int64(), 0);
}

TEST_P(MarketApiTest, QueryErrorsAre400NamingTheParameter) {
    start();
    EXPECT_EQ(get("/workerpoolorders?chainId=65535&pageSize=5").error(),
              "pageSize must be greater than or equal to 10");
    EXPECT_EQ(get("/workerpoolorders?chainId=65535&pageSize=1001").error(),
              "pageSize must be less than or equal to 1000");
    EXPECT_EQ(get("/workerpoolorders?chainId=65535&workerpool=0x12").error(),
              "workerpool is neither \"any\" nor a valid ethereum address");
    EXPECT_EQ(get("/apporders?chainId=65535").error(), "app or appOwner is required");
    EXPECT_EQ(get("/workerpoolorders/0x12?chainId=65535").error(), "orderHash must be a bytes32 hexstring");
    EXPECT_EQ(get("/deals/xyz?chainId=65535").error(), "dealid must be a bytes32 hexstring");
    EXPECT_EQ(get("/ohlc?chainId=65535").error(), "category is a required field");
    EXPECT_EQ(get("/categories/5?chainId=65535").status, 404u);
    EXPECT_EQ(get("/categories/5?chainId=65535").error(), "category not found");
    EXPECT_EQ(get("/deals/" + to_hex(Bytes32{}) + "?chainId=65535").error(), "deal not found");
    auto twice = get("/workerpoolorders?chainId=65535&chainId=65535");
    EXPECT_EQ(twice.status, 400u);
    EXPECT_NE(twice.error().find("chainId"), std::string::npos);
    auto long_query = get("/workerpoolorders?chainId=65535&x=" + std::string(5000, 'a'));
    EXPECT_EQ(long_query.status, 414u);
    EXPECT_EQ(long_query.error(), "query string longer than 4096 bytes");
}

TEST_P(MarketApiTest, NoBadInputAnswersA500) {
    start();
    deploy_pool(owner_, pool_);
    const std::vector<std::string> targets = {"/workerpoolorders?chainId=65535&minTag=%00",
                                              "/workerpoolorders?chainId=65535&category=-1",
                                              "/workerpoolorders?chainId=65535&category=1e999",
                                              "/requestorders?chainId=65535&maxTrust=abc",
                                              "/datasetorders?chainId=65535&dataset=any&bulkOnly=maybe",
                                              "/deals?chainId=65535&page=99999999999999999999",
                                              "/categories?chainId=65535&pageIndex=-3",
                                              "/categories/abc?chainId=65535",
                                              "/ohlc?chainId=65535&category=x",
                                              "/challenge?chainId=65535&address=any",
                                              "/metrics",
                                              "/workerpoolorders?chainId=%zz"};
    for (const auto& t : targets) {
        auto a = get(t);
        EXPECT_GE(a.status, 400u) << t;
        EXPECT_LT(a.status, 500u) << t << ": " << a.text;
        EXPECT_EQ(a.body.at("ok").as_bool(), false) << t;
    }
    const std::string header = auth_header(owner_);
    const std::vector<std::string> bodies = {
        "", "{", "[]", "null", R"({"order":[]})", R"({"order":{"volume":1e400}})", std::string(70000, ' ')};
    for (const auto& body : bodies) {
        auto a = call("POST", "/workerpoolorders?chainId=65535", body, {{"Authorization", auth_header(owner_)}});
        EXPECT_GE(a.status, 400u) << body.substr(0, 40);
        EXPECT_LT(a.status, 500u) << body.substr(0, 40) << ": " << a.text;
    }
}

TEST_P(MarketApiTest, RateLimitAnswers429WithTheReferenceMessage) {
    MarketApiOptions options;
    options.rate_limit = net::RateLimitOptions{3, 60s, false};  // loopback not exempt for the test
    start(options);
    for (int i = 0; i < 3; ++i) EXPECT_EQ(get("/version").status, 200u);
    auto a = get("/version");
    EXPECT_EQ(a.status, 429u);
    EXPECT_EQ(a.text, R"({"ok":false,"error":"Rate limit exceeded"})");
    bool retry_after = false;
    for (const auto& [k, v] : a.headers) retry_after = retry_after || k == "Retry-After";
    EXPECT_TRUE(retry_after);
    clock_.advance(20s);  // one token back
    EXPECT_EQ(get("/version").status, 200u);
}

TEST_P(MarketApiTest, OpenApiDocumentsExactlyTheRegisteredRoutes) {
    start();
    auto doc = get("/openapi.json");
    ASSERT_EQ(doc.status, 200u);
    EXPECT_EQ(doc.text, api_->openapi_json());
    std::set<std::pair<std::string, std::string>> documented;
    for (const auto& [path, item] : doc.body.at("paths").as_object()) {
        std::string tmpl(path);
        // OpenAPI {param} → our :param
        for (auto pos = tmpl.find('{'); pos != std::string::npos; pos = tmpl.find('{')) {
            const auto end = tmpl.find('}', pos);
            tmpl = tmpl.substr(0, pos) + ":" + tmpl.substr(pos + 1, end - pos - 1) + tmpl.substr(end + 1);
        }
        for (const auto& [method, op] : item.as_object()) {
            std::string m(method);
            for (char& ch : m) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
            documented.emplace(m, tmpl);
        }
    }
    std::set<std::pair<std::string, std::string>> registered;
    for (const auto& r : api_->routes()) registered.emplace(r.method, r.path);
    EXPECT_EQ(documented, registered);
    // And the server really answers each documented GET path without parameters (not 404 / 405).
    for (const auto& [method, path] : registered) {
        if (method != "GET" || path.find(':') != std::string::npos || path == "/ws") continue;
        auto a = get(path);
        EXPECT_NE(a.status, 404u) << path;
        EXPECT_NE(a.status, 405u) << path;
    }
}

TEST_P(MarketApiTest, HealthReadyAndCors) {
    MarketApiOptions options;
    std::atomic<bool> ready{false};
    options.ready = [&] {
        return net::HealthReport{ready.load(), ready.load() ? R"({"status":"ok"})" : R"({"status":"syncing"})"};
    };
    start(options);
    EXPECT_EQ(get("/health").status, 200u);
    EXPECT_EQ(get("/ready").status, 503u);
    ready = true;
    EXPECT_EQ(get("/ready").status, 200u);
    auto a = call("GET", "/version", {}, {{"Origin", "https://explorer.iex.ec"}});
    bool cors = false;
    for (const auto& [k, v] : a.headers) cors = cors || (k == "Access-Control-Allow-Origin" && v == "*");
    EXPECT_TRUE(cors);
}

}  // namespace
}  // namespace wp::market
