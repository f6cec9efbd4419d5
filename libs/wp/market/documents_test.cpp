// The reference's JSON documents: exact key order and types (market-api 7.1.2 models; sdk-cli-and-market.md §5.1),
// the number rule around 2^53, ISO 8601 times, and the order inside a document hashing to its orderHash.
#include "documents.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::market {
namespace {
namespace json = boost::json;

Address parse_address(std::string_view s) { return *Address::parse(s); }

std::vector<std::string> keys(const json::object& o) {
    std::vector<std::string> out;
    for (const auto& kv : o) out.emplace_back(kv.key());
    return out;
}

U256 pow2(unsigned bits) {
    U256 v(1);
    for (unsigned i = 0; i < bits; ++i) v = *checked_mul(v, U256(2));
    return v;
}

const Domain& domain() {
    static const Domain d = Domain::iexec(U256(134), parse_address("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f"));
    return d;
}

TEST(NumberRule, SafeIntegersAreNumbersLargerValuesDecimalStrings) {
    EXPECT_EQ(json::serialize(json_uint(U256(0))), "0");
    EXPECT_EQ(json::serialize(json_uint(U256(kMaxSafeInteger))), "9007199254740991");
    EXPECT_TRUE(json_uint(U256(kMaxSafeInteger)).is_int64());
    EXPECT_EQ(json::serialize(json_uint(U256(kMaxSafeInteger + 1))), "\"9007199254740992\"");
    EXPECT_EQ(json::serialize(json_uint(pow2(255))),
              "\"57896044618658097711785492504343953926634992332820282019728792003956564819968\"");
    EXPECT_EQ(json::serialize(json_uint(std::uint64_t{42})), "42");
    EXPECT_EQ(json::serialize(json_uint(std::uint64_t{18446744073709551615ULL})), "\"18446744073709551615\"");
    // read back, exactly
    for (const U256& v : {U256(0), U256(kMaxSafeInteger), U256(kMaxSafeInteger + 1), pow2(200), U256::max()}) {
        auto back = read_json_uint(json_uint(v), "x");
        ASSERT_TRUE(back) << back.error().message;
        EXPECT_EQ(*back, v);
    }
    EXPECT_EQ(read_json_uint(json::value(-1), "volume").error().message, "volume: must be a non-negative integer");
    EXPECT_EQ(read_json_uint(json::value(1.5), "volume").error().message, "volume: must be an integer");
    EXPECT_FALSE(read_json_uint(json::value("0x10"), "volume"));
    EXPECT_FALSE(read_json_uint(json::value(true), "volume"));
}

TEST(Iso8601, WritesAndReadsJavaScriptToIsoString) {
    EXPECT_EQ(iso8601_ms(0), "1970-01-01T00:00:00.000Z");
    EXPECT_EQ(iso8601_ms(1568196218068), "2019-09-11T10:03:38.068Z");  // the reference's example
    EXPECT_EQ(iso8601_ms(951782400000), "2000-02-29T00:00:00.000Z");   // leap day
    EXPECT_EQ(iso8601_ms(-1), "1969-12-31T23:59:59.999Z");
    EXPECT_EQ(iso8601_ms(253402300799999), "9999-12-31T23:59:59.999Z");
    EXPECT_EQ(iso8601_ms(std::numeric_limits<std::int64_t>::max()), "9999-12-31T23:59:59.999Z");  // clamped
    for (std::int64_t ms : {std::int64_t{0}, std::int64_t{1568196218068}, std::int64_t{-1}, std::int64_t{951782400000}})
        EXPECT_EQ(*parse_iso8601_ms(iso8601_ms(ms)), ms);
    EXPECT_FALSE(parse_iso8601_ms("2019-02-30T00:00:00.000Z"));
    EXPECT_FALSE(parse_iso8601_ms("2019-09-11T10:03:38Z"));
    EXPECT_FALSE(parse_iso8601_ms("2019-09-11 10:03:38.068Z"));
    EXPECT_EQ(parse_iso8601_ms("x").error().code, Errc::kInvalidArgument);
}

OrderRecord record_of(const Order& order) {
    OrderRecord r;
    r.chain_id = 134;
    r.order = order;
    r.order_hash = order_hash(domain(), order);
    r.status = OrderStatus::kOpen;
    r.remaining = order_volume(order);
    r.signer = parse_address("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");
    r.published_ms = 1568196218068;
    return r;
}

TEST(OrderDocument, WorkerpoolorderHasTheReferenceKeysTypesAndHashesToOrderHash) {
    WorkerpoolOrder o;
    o.workerpool = parse_address("0x000000000000000000000000000000000000beef");
    o.workerpoolprice = U256(1000000000);
    o.volume = U256(3);
    o.tag = make_tag(0x103);
    o.category = U256(2);
    o.trust = U256(1);
    o.requesterrestrict = parse_address("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    o.salt = *bytes32_from_hex("0x00000000000000000000000000000000000000000000000000000000000000aa");
    o.sign = Bytes(65, 0x11);
    OrderRecord r = record_of(o);
    r.remaining = U256(2);
    const json::object doc = order_document(r);
    EXPECT_EQ(keys(doc), (std::vector<std::string>{"orderHash", "order", "chainId", "remaining", "status",
                                                   "publicationTimestamp", "signer"}));
    const json::object& ord = doc.at("order").as_object();
    EXPECT_EQ(keys(ord),
              (std::vector<std::string>{"workerpool", "workerpoolprice", "volume", "tag", "category", "trust",
                                        "apprestrict", "datasetrestrict", "requesterrestrict", "salt", "sign"}));
    EXPECT_EQ(doc.at("orderHash").as_string(), to_hex(r.order_hash.view()));
    EXPECT_EQ(doc.at("chainId").as_int64(), 134);
    EXPECT_EQ(doc.at("remaining").as_int64(), 2);
    EXPECT_EQ(doc.at("status").as_string(), "open");
    EXPECT_EQ(doc.at("publicationTimestamp").as_string(), "2019-09-11T10:03:38.068Z");
    EXPECT_EQ(doc.at("signer").as_string(), "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
    EXPECT_EQ(ord.at("workerpool").as_string(), "0x000000000000000000000000000000000000bEEF");
    EXPECT_EQ(ord.at("workerpoolprice").as_int64(), 1000000000);
    EXPECT_EQ(ord.at("tag").as_string(), "0x0000000000000000000000000000000000000000000000000000000000000103");
    EXPECT_EQ(ord.at("requesterrestrict").as_string(), "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    EXPECT_EQ(ord.at("apprestrict").as_string(), "0x0000000000000000000000000000000000000000");
    EXPECT_EQ(ord.at("sign").as_string(), "0x" + std::string(130, '1'));

    // The document's order is the stored order and hashes to orderHash.
    auto back = order_from_json(OrderKind::kWorkerpool, doc.at("order"));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(Order(*back), r.order);
    EXPECT_EQ(order_hash(domain(), *back), r.order_hash);

    const json::object no_chain = order_document(r, DocumentOptions{.with_chain_id = false});
    EXPECT_FALSE(no_chain.contains("chainId"));
    EXPECT_EQ(no_chain.size(), doc.size() - 1);
}

TEST(OrderDocument, BigValuesAreStringsAndStillHashToOrderHash) {
    WorkerpoolOrder o;
    o.workerpool = parse_address("0x000000000000000000000000000000000000beef");
    o.workerpoolprice = pow2(53);  // 2^53: one above the safe range
    o.volume = U256(kMaxSafeInteger);
    o.category = pow2(200);
    OrderRecord r = record_of(o);
    r.remaining = pow2(64);
    const json::object doc = order_document(r);
    const json::object& ord = doc.at("order").as_object();
    EXPECT_EQ(ord.at("workerpoolprice").as_string(), "9007199254740992");
    EXPECT_EQ(ord.at("volume").as_int64(), 9007199254740991);
    EXPECT_TRUE(ord.at("category").is_string());
    EXPECT_EQ(doc.at("remaining").as_string(), "18446744073709551616");
    auto back = order_from_json(OrderKind::kWorkerpool, doc.at("order"));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(order_hash(domain(), *back), r.order_hash);
}

TEST(OrderDocument, AppDatasetAndRequestOrderKeyOrders) {
    AppOrder a;
    a.app = parse_address("0x00000000000000000000000000000000000000a1");
    a.volume = U256(1);
    const json::object ad = order_document(record_of(a));
    EXPECT_EQ(keys(ad.at("order").as_object()),
              (std::vector<std::string>{"app", "appprice", "volume", "tag", "datasetrestrict", "workerpoolrestrict",
                                        "requesterrestrict", "salt", "sign"}));
    EXPECT_FALSE(ad.contains("bulk"));
    EXPECT_EQ(ad.at("order").at("sign").as_string(), "0x");

    DatasetOrder d;
    d.dataset = parse_address("0x00000000000000000000000000000000000000d1");
    d.volume = U256(kMaxSafeInteger);
    const json::object dd = order_document(record_of(d));
    EXPECT_EQ(keys(dd), (std::vector<std::string>{"orderHash", "order", "chainId", "remaining", "status",
                                                  "publicationTimestamp", "signer", "bulk"}));
    EXPECT_EQ(keys(dd.at("order").as_object()),
              (std::vector<std::string>{"dataset", "datasetprice", "volume", "tag", "apprestrict", "workerpoolrestrict",
                                        "requesterrestrict", "salt", "sign"}));
    EXPECT_TRUE(dd.at("bulk").as_bool());  // free, infinite volume
    d.datasetprice = U256(1);
    EXPECT_FALSE(order_document(record_of(d)).at("bulk").as_bool());

    RequestOrder q;
    q.app = parse_address("0x00000000000000000000000000000000000000a1");
    q.requester = parse_address("0x00000000000000000000000000000000000000e1");
    q.volume = U256(1);
    q.params = R"({"iexec_args":"a b"})";
    OrderRecord qr = record_of(q);
    qr.status = OrderStatus::kDead;
    const json::object qd = order_document(qr);
    EXPECT_EQ(keys(qd.at("order").as_object()),
              (std::vector<std::string>{"app", "dataset", "workerpool", "params", "appmaxprice", "datasetmaxprice",
                                        "workerpoolmaxprice", "volume", "tag", "category", "trust", "requester",
                                        "beneficiary", "callback", "salt", "sign"}));
    EXPECT_EQ(qd.at("order").at("params").as_string(), R"({"iexec_args":"a b"})");
    EXPECT_EQ(qd.at("status").as_string(), "dead");
    auto back = order_from_json(OrderKind::kRequest, qd.at("order"));
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(order_hash(domain(), *back), qr.order_hash);
}

DealRecord sample_deal() {
    DealRecord d;
    d.chain_id = 134;
    d.deal_id = *bytes32_from_hex("0x1111111111111111111111111111111111111111111111111111111111111111");
    d.app = parse_address("0x00000000000000000000000000000000000000a1");
    d.app_owner = parse_address("0x00000000000000000000000000000000000000a2");
    d.app_price = U256(5);
    d.workerpool = parse_address("0x00000000000000000000000000000000000000b1");
    d.workerpool_owner = parse_address("0x00000000000000000000000000000000000000b2");
    d.workerpool_price = pow2(60);
    d.requester = parse_address("0x00000000000000000000000000000000000000c1");
    d.beneficiary = parse_address("0x00000000000000000000000000000000000000c2");
    d.app_hash = *bytes32_from_hex("0x2222222222222222222222222222222222222222222222222222222222222222");
    d.params = "{}";
    d.volume = U256(1);
    d.category = U256(2);
    d.tag = make_tag(0x3);
    d.trust = U256(1);
    d.start_time = U256(1700000000);
    d.bot_size = U256(1);
    d.scheduler_reward_ratio = U256(1);
    d.worker_stake = U256(10);
    d.block_number = 123;
    d.block_timestamp_ms = 1568196218000;
    d.transaction_hash = *bytes32_from_hex("0x3333333333333333333333333333333333333333333333333333333333333333");
    return d;
}

TEST(DealDocument, ReferenceKeysAndRoundTrip) {
    const DealRecord d = sample_deal();
    const json::object doc = deal_document(d);
    EXPECT_EQ(keys(doc), (std::vector<std::string>{"dealid",
                                                   "chainId",
                                                   "app",
                                                   "dataset",
                                                   "workerpool",
                                                   "requester",
                                                   "beneficiary",
                                                   "callback",
                                                   "appHash",
                                                   "datasetHash",
                                                   "workerpoolHash",
                                                   "requestHash",
                                                   "params",
                                                   "volume",
                                                   "category",
                                                   "tag",
                                                   "trust",
                                                   "startTime",
                                                   "botFirst",
                                                   "botSize",
                                                   "schedulerRewardRatio",
                                                   "workerStake",
                                                   "blockNumber",
                                                   "blockTimestamp",
                                                   "transactionHash"}));
    EXPECT_EQ(keys(doc.at("app").as_object()), (std::vector<std::string>{"pointer", "price", "owner"}));
    EXPECT_EQ(doc.at("workerpool").at("price").as_string(), "1152921504606846976");
    EXPECT_EQ(doc.at("dataset").at("pointer").as_string(), "0x0000000000000000000000000000000000000000");
    EXPECT_EQ(doc.at("blockNumber").as_int64(), 123);
    EXPECT_EQ(doc.at("blockTimestamp").as_string(), "2019-09-11T10:03:38.000Z");
    auto back = deal_from_document(134, doc);
    ASSERT_TRUE(back) << back.error().message;
    EXPECT_EQ(*back, d);
    auto without = deal_from_document(134, deal_document(d, DocumentOptions{.with_chain_id = false}));
    ASSERT_TRUE(without);
    EXPECT_EQ(*without, d);
    json::object broken = doc;
    broken.erase("volume");
    EXPECT_EQ(deal_from_document(134, broken).error().message, "deal document: volume: missing");
    broken = doc;
    broken["appHash"] = "0x12";
    EXPECT_EQ(deal_from_document(134, broken).error().code, Errc::kDecoding);
}

TEST(CategoryAndOhlcDocuments, ReferenceShapes) {
    CategoryRecord c;
    c.chain_id = 134;
    c.catid = 3;
    c.name = "XL";
    c.description = "{\"d\":1}";
    c.work_clock_time_ref = U256(3600);
    c.block_number = 9;
    c.block_timestamp_ms = 0;
    const json::object doc = category_document(c);
    EXPECT_EQ(keys(doc), (std::vector<std::string>{"catid", "chainId", "name", "description", "workClockTimeRef",
                                                   "transactionHash", "blockNumber", "blockTimestamp"}));
    EXPECT_EQ(json::serialize(doc),
              R"({"catid":3,"chainId":134,"name":"XL","description":"{\"d\":1}","workClockTimeRef":3600,)"
              R"("transactionHash":"0x0000000000000000000000000000000000000000000000000000000000000000",)"
              R"("blockNumber":9,"blockTimestamp":"1970-01-01T00:00:00.000Z"})");
    const std::vector<OhlcEntry> entries{{1000, U256(5), U256(2)}, {0, pow2(60), U256(1)}};
    EXPECT_EQ(json::serialize(ohlc_document(entries)),
              R"([["1970-01-01T00:00:01.000Z",5,2],["1970-01-01T00:00:00.000Z","1152921504606846976",1]])");
}

}  // namespace
}  // namespace wp::market
