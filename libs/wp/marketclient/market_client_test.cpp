// MarketClient against OUR market running in-process on 127.0.0.1 (market_test_support.hpp: MarketApi on a scratch
// SQLite database whose chain-mirror tables are written directly: no RPC), and against small servers that misbehave
// (5xx, text bodies, a socket that never answers, a closed port). Proves: the Authorization header equals the
// reference vector (vectors.md §6) and is accepted once by the real verifier; publish / get / unpublish (hash, last,
// all) of the four kinds; every orderbook filter we send reaches the market with the SDK's query keys; paging
// (count, nextPage); categories and deals; the market's refusals come back as "API error: <its message>"; transport
// failures fail fast with the SDK's texts.
#include "market_client.hpp"

#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <boost/json.hpp>

#include <wp/core/clock.hpp>
#include <wp/core/hex.hpp>
#include <wp/market/market_test_support.hpp>
#include <wp/net/http_server.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::marketclient {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

constexpr std::uint64_t kChain = 65535;
const Address kHub = Address::parse("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f").value();

Address addr(std::string_view hex) { return Address::parse(hex).value(); }

// ---- pure parts ----------------------------------------------------------------------------------------------------

TEST(MarketClientPure, AuthorizationEqualsTheReferenceVector) {
    // vectors.md §6: the challenge typed data of GET /challenge, key 0x01…01; hash and signature observed as sent by
    // the iexec 9.0.1 CLI (E X).
    const auto typed = json::parse(R"({"types":{"EIP712Domain":[{"name":"name","type":"string"},
        {"name":"version","type":"string"},{"name":"chainId","type":"uint256"}],
        "Challenge":[{"name":"challenge","type":"string"}]},
        "domain":{"name":"iExec Gateway","version":"1","chainId":"65535"},"primaryType":"Challenge",
        "message":{"challenge":"Sign this message to log into iExec Gateway: abcdefghijklmnopqrstuvwxyz012345"}})");
    const auto key = PrivateKey::from_hex("0x0101010101010101010101010101010101010101010101010101010101010101").value();
    auto header = challenge_authorization(typed, key);
    ASSERT_TRUE(header) << header.error().message;
    EXPECT_EQ(*header,
              "0x15831618c45169acb3c7038bd28fbefdddaefd5046fd7b34fbbee8bdad0921fb_"
              "0x425475bc1aea31f4453121a5419dd14875bdf76e5a659d337f6bf578382e664914c9a78bb897da3968584370e02b23bdca2"
              "ccf9892ef1c461d8c94ec3303596a1c_0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");
}

TEST(MarketClientPure, AuthorizationRefusesWhatIsNotTypedData) {
    const auto key = PrivateKey::generate();
    auto r = challenge_authorization(json::parse(R"({"challenge":"x"})"), key);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "Failed to get authorization: Unexpected challenge format");
    r = challenge_authorization(json::parse(R"({"types":{},"domain":{"foo":1},"message":{}})"), key);
    ASSERT_FALSE(r);
    EXPECT_NE(r.error().message.find("Failed to get authorization: "), std::string::npos);
}

TEST(MarketClientPure, QueryStringsUseTheSdkKeysSorted) {
    // The SDK's observed GET /workerpoolorders (sdk-cli-and-market.md §4.3): keys sorted, absent options omitted,
    // the strict flags always sent.
    WorkerpoolOrderbookQuery q;
    q.workerpool = parse_address_or_any("workerpool", "0x1a642f0e3c3af545e7acbd38b07251b3990914f1").value();
    q.category = U256(2);
    q.min_tag = make_tag(0x1);
    q.max_tag = make_tag(0x109);
    q.min_trust = U256(0);  // 0 is not sent (the SDK's `minTrust &&`)
    q.min_volume = U256(3);
    EXPECT_EQ(to_query_string(kChain, q),
              "category=2&chainId=65535&isAppStrict=false&isDatasetStrict=false&isRequesterStrict=false&"
              "maxTag=0x0000000000000000000000000000000000000000000000000000000000000109&"
              "minTag=0x0000000000000000000000000000000000000000000000000000000000000001&minVolume=3&pageIndex=0&"
              "pageSize=20&workerpool=0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");

    AppOrderbookQuery a;
    a.app = AddressOrAny{true, {}};
    a.requester.value = parse_address_or_any("requester", "0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1").value();
    a.requester.strict = true;
    a.page = PageQuery{2, 50};
    EXPECT_EQ(to_query_string(1, a),
              "app=any&chainId=1&isDatasetStrict=false&isRequesterStrict=true&isWorkerpoolStrict=false&pageIndex=2&"
              "pageSize=50&requester=0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1");

    DatasetOrderbookQuery d;
    d.dataset_owner = AddressOrAny{true, {}};
    d.bulk_only = true;
    EXPECT_EQ(to_query_string(1, d),
              "bulkOnly=true&chainId=1&datasetOwner=any&isAppStrict=false&isRequesterStrict=false&"
              "isWorkerpoolStrict=false&pageIndex=0&pageSize=20");

    RequestOrderbookQuery r;
    r.requester = AddressOrAny{true, {}};
    r.workerpool.strict = true;
    r.category = U256(0);    // 0 is sent (only the trust and volume filters skip 0)
    r.max_trust = U256(0);   // not sent
    r.min_volume = U256(2);  // sent
    EXPECT_EQ(to_query_string(1, r),
              "category=0&chainId=1&isWorkerpoolStrict=true&minVolume=2&pageIndex=0&pageSize=20&requester=any");

    CategoriesQuery c;
    c.max_work_clock_time_ref = U256(1000);
    c.page = PageQuery{1, 10};
    EXPECT_EQ(to_query_string(1, c), "chainId=1&maxWorkClockTimeRef=1000&pageIndex=1&pageSize=10");

    DealsQuery deals;
    deals.workerpoolorder_hash = Bytes32{};
    EXPECT_EQ(to_query_string(1, deals),
              "chainId=1&pageIndex=0&pageSize=20&"
              "workerpoolorderHash=0x0000000000000000000000000000000000000000000000000000000000000000");
}

TEST(MarketClientPure, AddressOrAny) {
    EXPECT_TRUE(parse_address_or_any("app", "any").value().any);
    auto bad = parse_address_or_any("app", "0x1a642f");
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().message, "app \"0x1a642f\" is neither \"any\" nor a valid ethereum address");
    // A wrong mixed-case checksum is lowercased first, as the SDK's schema does.
    EXPECT_EQ(parse_address_or_any("app", "0x1A642f0E3c3aF545E7AcBD38b07251B3990914F1").value().address,
              addr("0x1a642f0E3c3aF545E7AcBD38b07251B3990914F1"));
    EXPECT_FALSE(parse_address_or_any("app", "Any"));
}

TEST(MarketClientPure, PublishedOrderDocumentErrorsNameTheMember) {
    auto r = published_order_from_json(OrderKind::kWorkerpool, json::parse(R"({"order":{}})"));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message, "workerpoolorder document: missing string \"orderHash\"");
}

// ---- against our market --------------------------------------------------------------------------------------------

class MarketClientTest : public ::testing::Test {
  protected:
    void SetUp() override {
        auto started = market::testing::InProcessMarket::start({.tag = "cli_market_client", .hub = kHub}, clock_);
        ASSERT_TRUE(started) << started.error().message;
        market_ = std::move(*started);
        auto client = MarketClient::create({.url = market_->base_url() + "/", .chain_id = kChain});
        ASSERT_TRUE(client) << client.error().message;
        client_.emplace(std::move(*client));

        ASSERT_TRUE(market_->set_owner(market::Registry::kWorkerpool, pool_, owner_.address()));
        ASSERT_TRUE(market_->set_owner(market::Registry::kApp, app_, owner_.address()));
        ASSERT_TRUE(market_->set_owner(market::Registry::kDataset, dataset_, owner_.address()));
        ASSERT_TRUE(market_->set_stake(owner_.address(), U256(1'000'000)));
        ASSERT_TRUE(market_->set_stake(requester_.address(), U256(1'000'000)));
        ASSERT_TRUE(market_->add_category(0, U256(300)));
        ASSERT_TRUE(market_->add_category(1, U256(600)));
    }
    void TearDown() override {
        client_.reset();
        market_.reset();
    }

    static Domain domain() { return Domain::iexec(U256(kChain), kHub); }

    WorkerpoolOrder pool_order(std::uint8_t salt, std::uint64_t price = 10, std::uint64_t tag = 0,
                               std::uint64_t category = 0, const Address& requesterrestrict = {}) {
        WorkerpoolOrder o;
        o.workerpool = pool_;
        o.workerpoolprice = price;
        o.volume = 3;
        o.tag = make_tag(tag);
        o.category = category;
        o.requesterrestrict = requesterrestrict;
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), owner_);
        return o;
    }
    AppOrder app_order(std::uint8_t salt) {
        AppOrder o;
        o.app = app_;
        o.appprice = 5;
        o.volume = 10;
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), owner_);
        return o;
    }
    DatasetOrder dataset_order(std::uint8_t salt) {
        DatasetOrder o;
        o.dataset = dataset_;
        o.datasetprice = 1;
        o.volume = 10;
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), owner_);
        return o;
    }
    RequestOrder request_order(std::uint8_t salt) {
        RequestOrder o;
        o.app = app_;
        o.appmaxprice = 5;
        o.workerpoolmaxprice = 100;
        o.requester = requester_.address();
        o.beneficiary = requester_.address();
        o.volume = 1;
        o.params = R"({"iexec_args":"x"})";
        o.salt[31] = salt;
        o.sign = sign_order(domain(), Order(o), requester_);
        return o;
    }

    MarketClient& client() { return *client_; }

    ManualClock clock_;
    std::unique_ptr<market::testing::InProcessMarket> market_;
    std::optional<MarketClient> client_;

    const PrivateKey owner_ = PrivateKey::generate();
    const PrivateKey requester_ = PrivateKey::generate();
    const Address pool_ = addr("0x2222222222222222222222222222222222222222");
    const Address app_ = addr("0x3333333333333333333333333333333333333333");
    const Address dataset_ = addr("0x4444444444444444444444444444444444444444");
};

TEST_F(MarketClientTest, VersionAndChallenge) {
    EXPECT_EQ(client().version().value(), "7.1.2");
    auto typed = client().challenge(owner_.address());
    ASSERT_TRUE(typed) << typed.error().message;
    EXPECT_EQ(typed->at("domain").at("chainId"), "65535");
    EXPECT_EQ(typed->at("primaryType"), "Challenge");
}

TEST_F(MarketClientTest, AuthorizationIsAcceptedOnceByTheMarket) {
    auto header = client().authorization(owner_);
    ASSERT_TRUE(header) << header.error().message;
    json::object body{{"order", order_to_json(Order(pool_order(1)), OrderJsonFields::kSigned)}};
    auto first = client().call("POST", "/workerpoolorders?chainId=65535", body, *header);
    ASSERT_TRUE(first) << first.error().message;
    // The same header again: the challenge was consumed.
    body["order"] = order_to_json(Order(pool_order(2)), OrderJsonFields::kSigned);
    auto replay = client().call("POST", "/workerpoolorders?chainId=65535", body, *header);
    ASSERT_FALSE(replay);
    EXPECT_EQ(replay.error().code, Errc::kRemote);
    EXPECT_EQ(replay.error().message, "API error: invalid authorization");
}

TEST_F(MarketClientTest, PublishShowUnpublishWorkerpoolOrders) {
    const auto order = pool_order(1);
    auto published = client().publish(Order(order), owner_);
    ASSERT_TRUE(published) << published.error().message;
    const Bytes32 hash = order_hash(domain(), Order(order));
    EXPECT_EQ(published->order_hash, hash);
    EXPECT_EQ(published->status, "open");
    EXPECT_EQ(published->remaining, U256(3));
    EXPECT_EQ(published->signer, owner_.address());
    EXPECT_EQ(std::get<WorkerpoolOrder>(published->order), order);
    EXPECT_EQ(published->document.at("order").at("workerpoolprice"), 10);  // numbers as the market writes them

    auto shown = client().order(OrderKind::kWorkerpool, hash);
    ASSERT_TRUE(shown) << shown.error().message;
    EXPECT_EQ(shown->order_hash, hash);
    EXPECT_FALSE(shown->document.contains("ok"));
    EXPECT_EQ(shown->document.at("chainId"), 65535);

    auto again = client().publish(Order(order), owner_);
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().message, "API error: order already published");

    auto gone = client().unpublish_hash(OrderKind::kWorkerpool, hash, owner_);
    ASSERT_TRUE(gone) << gone.error().message;
    EXPECT_EQ(*gone, std::vector<Bytes32>{hash});
    auto missing = client().order(OrderKind::kWorkerpool, hash);
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "API error: workerpoolorder not found");
    auto twice = client().unpublish_hash(OrderKind::kWorkerpool, hash, owner_);
    ASSERT_FALSE(twice);
    EXPECT_EQ(twice.error().message, "API error: workerpoolorder with orderHash " + to_hex(hash) + " is not published");

    // last, then all
    for (std::uint8_t s = 10; s < 13; ++s) {
        clock_.advance(1s);  // "last" = the newest publication
        ASSERT_TRUE(client().publish(Order(pool_order(s)), owner_));
    }
    auto last = client().unpublish_last(OrderKind::kWorkerpool, pool_, owner_);
    ASSERT_TRUE(last) << last.error().message;
    EXPECT_EQ(last->size(), 1u);
    EXPECT_EQ(last->front(), order_hash(domain(), Order(pool_order(12))));
    auto all = client().unpublish_all(OrderKind::kWorkerpool, pool_, owner_);
    ASSERT_TRUE(all) << all.error().message;
    EXPECT_EQ(all->size(), 2u);
    auto none = client().unpublish_last(OrderKind::kWorkerpool, pool_, owner_);
    ASSERT_FALSE(none);
    EXPECT_EQ(none.error().message, "API error: no open workerpoolorder published by signer " +
                                        owner_.address().to_checksum() + " for workerpool " + pool_.to_checksum());
}

TEST_F(MarketClientTest, PublishRefusalsComeBackAsApiErrors) {
    // Not the owner (the reference's rule) and an unsupported tag (the seed's rule).
    auto by_other = client().publish(Order(pool_order(1)), requester_);
    ASSERT_FALSE(by_other);
    EXPECT_EQ(by_other.error().message,
              "API error: only order signer " + owner_.address().to_checksum() + " can publish an order");
    auto bad_tag = client().publish(Order(pool_order(2, 10, 0x2)), owner_);
    ASSERT_FALSE(bad_tag);
    EXPECT_EQ(bad_tag.error().code, Errc::kRemote);
    EXPECT_NE(bad_tag.error().message.find("API error: "), std::string::npos);
    EXPECT_NE(bad_tag.error().message.find("0x5"), std::string::npos) << bad_tag.error().message;
}

TEST_F(MarketClientTest, WorkerpoolOrderbookFiltersAndPaging) {
    // 12 public orders in category 0 (prices 1..12), one in category 1 with tag gpu, one restricted to requester_.
    for (std::uint8_t s = 1; s <= 12; ++s) ASSERT_TRUE(client().publish(Order(pool_order(s, s)), owner_));
    ASSERT_TRUE(client().publish(Order(pool_order(20, 50, 0x100, 1)), owner_));
    const auto restricted = pool_order(21, 60, 0, 0, requester_.address());
    ASSERT_TRUE(client().publish(Order(restricted), owner_));

    WorkerpoolOrderbookQuery q;
    q.category = U256(0);
    q.page.size = 10;
    auto first = client().workerpool_orders(q);
    ASSERT_TRUE(first) << first.error().message;
    EXPECT_EQ(first->count, 12u);  // public only: the restricted one is not listed without requester
    ASSERT_EQ(first->orders.size(), 10u);
    EXPECT_EQ(first->next_page, 10u);
    EXPECT_EQ(std::get<WorkerpoolOrder>(first->orders.front().order).workerpoolprice, U256(1));  // cheapest first
    q.page.index = 1;
    auto second = client().workerpool_orders(q);
    ASSERT_TRUE(second);
    EXPECT_EQ(second->orders.size(), 2u);
    EXPECT_FALSE(second->next_page);

    WorkerpoolOrderbookQuery with_requester;
    with_requester.category = U256(0);
    with_requester.requester.value = AddressOrAny{false, requester_.address()};
    with_requester.requester.strict = true;
    auto strict = client().workerpool_orders(with_requester);
    ASSERT_TRUE(strict);
    ASSERT_EQ(strict->count, 1u);
    EXPECT_EQ(strict->orders.front().order_hash, order_hash(domain(), Order(restricted)));

    WorkerpoolOrderbookQuery gpu;
    gpu.workerpool = AddressOrAny{false, pool_};
    gpu.min_tag = make_tag(0x100);
    auto tagged = client().workerpool_orders(gpu);
    ASSERT_TRUE(tagged);
    ASSERT_EQ(tagged->count, 1u);
    EXPECT_EQ(std::get<WorkerpoolOrder>(tagged->orders.front().order).category, U256(1));

    WorkerpoolOrderbookQuery volume;
    volume.min_volume = U256(4);
    EXPECT_EQ(client().workerpool_orders(volume).value().count, 0u);

    WorkerpoolOrderbookQuery owner;
    owner.workerpool_owner = owner_.address();
    owner.requester.value = AddressOrAny{true, {}};
    EXPECT_EQ(client().workerpool_orders(owner).value().count, 14u);

    WorkerpoolOrderbookQuery bad;
    bad.page.size = 5;
    auto refused = client().workerpool_orders(bad);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().message, "API error: pageSize must be greater than or equal to 10");
}

TEST_F(MarketClientTest, AppDatasetRequestOrdersAndDocuments) {
    const auto a = app_order(1);
    const auto d = dataset_order(1);
    const auto r = request_order(1);
    ASSERT_TRUE(client().publish(Order(a), owner_));
    ASSERT_TRUE(client().publish(Order(d), owner_));
    auto pr = client().publish(Order(r), requester_);
    ASSERT_TRUE(pr) << pr.error().message;

    AppOrderbookQuery aq;
    aq.app = AddressOrAny{false, app_};
    auto apps = client().app_orders(aq);
    ASSERT_TRUE(apps) << apps.error().message;
    ASSERT_EQ(apps->count, 1u);
    EXPECT_EQ(std::get<AppOrder>(apps->orders.front().order), a);

    DatasetOrderbookQuery dq;
    dq.dataset = AddressOrAny{false, dataset_};
    auto datasets = client().dataset_orders(dq);
    ASSERT_TRUE(datasets) << datasets.error().message;
    ASSERT_EQ(datasets->count, 1u);
    EXPECT_EQ(std::get<DatasetOrder>(datasets->orders.front().order), d);

    RequestOrderbookQuery rq;
    rq.requester = AddressOrAny{false, requester_.address()};
    rq.workerpool.value = AddressOrAny{true, {}};
    auto requests = client().request_orders(rq);
    ASSERT_TRUE(requests) << requests.error().message;
    ASSERT_EQ(requests->count, 1u);
    EXPECT_EQ(std::get<RequestOrder>(requests->orders.front().order), r);

    auto unpub = client().unpublish_last(OrderKind::kRequest, requester_.address(), requester_);
    ASSERT_TRUE(unpub) << unpub.error().message;
    EXPECT_EQ(unpub->front(), order_hash(domain(), Order(r)));

    auto categories = client().categories({});
    ASSERT_TRUE(categories) << categories.error().message;
    EXPECT_EQ(categories->count, 2u);
    EXPECT_EQ(categories->items.at(1).at("workClockTimeRef"), 600);
    CategoriesQuery cq;
    cq.min_work_clock_time_ref = U256(400);
    EXPECT_EQ(client().categories(cq).value().count, 1u);

    DealsQuery deals;
    deals.workerpoolorder_hash = Bytes32{};
    auto none = client().deals(deals);
    ASSERT_TRUE(none) << none.error().message;
    EXPECT_EQ(none->count, 0u);
    EXPECT_TRUE(none->items.empty());
}

// ---- transport failures --------------------------------------------------------------------------------------------

TEST(MarketClientTransport, ClosedPortFailsWithTheSdkText) {
    // Bind then close: nothing listens on that port afterwards.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    const int port = ntohs(sa.sin_port);
    ::close(fd);
    const std::string url = "http://127.0.0.1:" + std::to_string(port);
    auto client = MarketClient::create({.url = url, .chain_id = 1}).value();
    auto r = client.version();
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kNetwork);
    EXPECT_EQ(r.error().message.rfind("Market API error: Connection to " + url + " failed with a network error (", 0),
              0u)
        << r.error().message;
}

TEST(MarketClientTransport, SilentServerTimesOut) {
    // A listening socket that never accepts: the connection completes in the kernel and no answer ever comes.
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
    ASSERT_EQ(::listen(fd, 8), 0);
    socklen_t len = sizeof sa;
    ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0);
    const std::string url = "http://127.0.0.1:" + std::to_string(ntohs(sa.sin_port));
    auto client = MarketClient::create({.url = url, .chain_id = 1, .request_timeout = 200ms}).value();
    auto r = client.version();
    ::close(fd);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Errc::kTimeout);
    EXPECT_EQ(r.error().message, "Market API error: Connection to " + url + " timed out after 200 ms");
}

TEST(MarketClientTransport, ServerErrorsAndNonJsonAnswers) {
    net::HttpServer server;
    server.route("GET", "/version", [](const net::ServerRequest&) { return net::HttpResponse::json(500, "{}"); });
    server.route("GET", "/challenge", [](const net::ServerRequest&) { return net::HttpResponse::text(200, "hi"); });
    server.route("GET", "/categories",
                 [](const net::ServerRequest&) { return net::HttpResponse::json(400, R"({"ok":false})"); });
    server.route("GET", "/deals", [](const net::ServerRequest&) { return net::HttpResponse::json(200, R"({"a":1})"); });
    ASSERT_TRUE(server.start());
    auto client = MarketClient::create({.url = server.base_url(), .chain_id = 1}).value();
    auto five = client.version();
    ASSERT_FALSE(five);
    EXPECT_EQ(five.error().message,
              "Market API error: Server at " + server.base_url() + " encountered an internal error (500)");
    auto text = client.challenge(Address{});
    ASSERT_FALSE(text);
    EXPECT_EQ(text.error().message, "The http response is not of JSON type");
    auto no_error = client.categories({});
    ASSERT_FALSE(no_error);
    EXPECT_EQ(no_error.error().message, "API error: 400");
    auto no_ok = client.deals({});
    ASSERT_FALSE(no_ok);
    EXPECT_EQ(no_ok.error().message, "API error: the market answered without ok:true");
}

TEST(MarketClientTransport, BadUrlIsRefusedAtCreation) {
    auto r = MarketClient::create({.url = "ftp://x", .chain_id = 1});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().message.rfind("iexecGateway: ", 0), 0u) << r.error().message;
}

}  // namespace
}  // namespace wp::marketclient
