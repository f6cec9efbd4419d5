// POST / PUT bodies of the order routes: the reference's (yup) messages, numeric strings, exact large values.
#include "order_input.hpp"

#include <gtest/gtest.h>

#include <string>

#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>

namespace wp::market {
namespace {

namespace json = boost::json;

json::object workerpool_json() {
    json::object o;
    o["workerpool"] = "0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B";
    o["workerpoolprice"] = "1000000000";
    o["volume"] = "3";
    o["category"] = "0";
    o["trust"] = "0";
    o["tag"] = "0x0000000000000000000000000000000000000000000000000000000000000009";
    o["apprestrict"] = "0x0000000000000000000000000000000000000000";
    o["datasetrestrict"] = "0x0000000000000000000000000000000000000000";
    o["requesterrestrict"] = "0x0000000000000000000000000000000000000000";
    o["salt"] = "0x0000000000000000000000000000000000000000000000000000000000000001";
    o["sign"] = "0x" + std::string(130, 'a');
    return o;
}

std::string body_of(const json::object& order) {
    json::object b;
    b["order"] = order;
    return json::serialize(b);
}

std::string publish_error(const json::object& order, OrderKind kind = OrderKind::kWorkerpool) {
    auto r = parse_publish_body(kind, body_of(order));
    EXPECT_FALSE(r.has_value());
    return r ? std::string() : r.error().message;
}

TEST(OrderInput, ParsesAWorkerpoolOrderWithStringsAsTheSdkSendsIt) {
    auto r = parse_publish_body(OrderKind::kWorkerpool, body_of(workerpool_json()));
    ASSERT_TRUE(r) << r.error().message;
    const auto& o = std::get<WorkerpoolOrder>(*r);
    EXPECT_EQ(o.workerpool.to_checksum(), "0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B");
    EXPECT_EQ(o.workerpoolprice, U256(1000000000));
    EXPECT_EQ(o.volume, U256(3));
    EXPECT_EQ(o.tag, make_tag(0x9));
    EXPECT_EQ(o.sign.size(), 65u);
}

TEST(OrderInput, NumbersMayBeJsonNumbersOrNumericStrings) {
    auto o = workerpool_json();
    o["volume"] = 7;
    o["workerpoolprice"] = " 0012 ";
    o["category"] = 1e3;
    o["trust"] = "0x10";
    auto r = parse_publish_body(OrderKind::kWorkerpool, body_of(o));
    ASSERT_TRUE(r) << r.error().message;
    const auto& w = std::get<WorkerpoolOrder>(*r);
    EXPECT_EQ(w.volume, U256(7));
    EXPECT_EQ(w.workerpoolprice, U256(12));
    EXPECT_EQ(w.category, U256(1000));
    EXPECT_EQ(w.trust, U256(16));
}

TEST(OrderInput, ValuesAbove2To53AreKeptExactWhenSentAsStrings) {
    auto o = workerpool_json();
    o["workerpoolprice"] = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
    o["volume"] = 18446744073709551615ULL;  // an exact JSON integer literal above 2^53
    auto r = parse_publish_body(OrderKind::kWorkerpool, body_of(o));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::get<WorkerpoolOrder>(*r).workerpoolprice, U256::max());
    EXPECT_EQ(std::get<WorkerpoolOrder>(*r).volume, U256(18446744073709551615ULL));

    o["workerpoolprice"] = "115792089237316195423570985008687907853269984665640564039457584007913129639936";
    EXPECT_EQ(publish_error(o),
              "order.workerpoolprice must be less than or equal to "
              "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    o["workerpoolprice"] = 1e20;
    EXPECT_EQ(publish_error(o),
              "order.workerpoolprice must be an exact integer: send values above 9007199254740991 as decimal strings");
}

TEST(OrderInput, TheReferenceMessages) {
    auto o = workerpool_json();
    o["volume"] = "0";
    EXPECT_EQ(publish_error(o), "order.volume must be greater than or equal to 1");
    o["volume"] = -2;
    EXPECT_EQ(publish_error(o), "order.volume must be greater than or equal to 1");
    o["volume"] = "1.5";
    EXPECT_EQ(publish_error(o), "order.volume must be an integer");
    o["volume"] = "abc";
    EXPECT_EQ(publish_error(o),
              "order.volume must be a `number` type, but the final value was: `NaN` (cast from the value `\"abc\"`).");
    o["volume"] = nullptr;
    EXPECT_EQ(publish_error(o), "order.volume must be a `number` type, but the final value was: `null`.");
    o = workerpool_json();
    o["workerpoolprice"] = "-1";
    EXPECT_EQ(publish_error(o), "order.workerpoolprice must be greater than or equal to 0");
    o = workerpool_json();
    o.erase("category");
    EXPECT_EQ(publish_error(o), "order.category is a required field");
    o = workerpool_json();
    o["workerpool"] = "0x1234";
    EXPECT_EQ(publish_error(o), "order.workerpool is not a valid ethereum address");
    o = workerpool_json();
    o["tag"] = "0x09";
    EXPECT_EQ(publish_error(o), "order.tag must be a bytes32 hexstring");
    o = workerpool_json();
    o["salt"] = 5;
    EXPECT_EQ(publish_error(o), "order.salt must be a bytes32 hexstring");
    o = workerpool_json();
    o["sign"] = "abcd";
    EXPECT_EQ(publish_error(o), "order.sign must be a valid signature");
    o = workerpool_json();
    o.erase("sign");
    EXPECT_EQ(publish_error(o), "order.sign is a required field");
}

TEST(OrderInput, FirstBrokenRuleInSchemaOrderWins) {
    auto o = workerpool_json();
    o["trust"] = "x";
    o["workerpool"] = "nope";
    EXPECT_EQ(publish_error(o), "order.workerpool is not a valid ethereum address");
}

TEST(OrderInput, AddressesAndHashesInAnyCaseUnknownKeysIgnored) {
    auto o = workerpool_json();
    o["workerpool"] = "0x1A2B3C4D5E6F7A8B9C0D1E2F3A4B5C6D7E8F9A0B";
    o["tag"] = "0x000000000000000000000000000000000000000000000000000000000000000A";
    o["somethingElse"] = json::array{1, 2};
    auto r = parse_publish_body(OrderKind::kWorkerpool, body_of(o));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::get<WorkerpoolOrder>(*r).tag, make_tag(0xa));
}

TEST(OrderInput, BodyShapeErrors) {
    auto missing = parse_publish_body(OrderKind::kWorkerpool, "{}");
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().message, "order is a required field");
    auto not_object = parse_publish_body(OrderKind::kApp, R"({"order":"x"})");
    ASSERT_FALSE(not_object);
    EXPECT_EQ(not_object.error().message, "order must be a `object` type, but the final value was: `\"x\"`.");
    auto bad_json = parse_publish_body(OrderKind::kApp, R"({"order":{})");
    ASSERT_FALSE(bad_json);
    EXPECT_EQ(bad_json.error().code, Errc::kInvalidArgument);
    EXPECT_NE(bad_json.error().message.find("JSON body"), std::string::npos);
    auto dup = parse_publish_body(OrderKind::kApp, R"({"order":{},"order":{}})");
    ASSERT_FALSE(dup);
    EXPECT_NE(dup.error().message.find("duplicate key"), std::string::npos);
    auto array = parse_publish_body(OrderKind::kApp, "[]");
    ASSERT_FALSE(array);
    EXPECT_EQ(array.error().message, "JSON body: must be a JSON object, got []");
}

TEST(OrderInput, RequestOrderParamsOptionalAndEveryKindParses) {
    json::object req{{"app", "0x1111111111111111111111111111111111111111"},
                     {"appmaxprice", "0"},
                     {"dataset", "0x0000000000000000000000000000000000000000"},
                     {"datasetmaxprice", 0},
                     {"workerpool", "0x0000000000000000000000000000000000000000"},
                     {"workerpoolmaxprice", "10"},
                     {"requester", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},
                     {"volume", "1"},
                     {"tag", "0x0000000000000000000000000000000000000000000000000000000000000000"},
                     {"category", "0"},
                     {"trust", "0"},
                     {"beneficiary", "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC"},
                     {"callback", "0x0000000000000000000000000000000000000000"},
                     {"salt", "0x0000000000000000000000000000000000000000000000000000000000000001"},
                     {"sign", "0x"}};
    auto r = parse_publish_body(OrderKind::kRequest, body_of(req));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::get<RequestOrder>(*r).params, "");
    req["params"] = R"({"iexec_args":"x"})";
    r = parse_publish_body(OrderKind::kRequest, body_of(req));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(std::get<RequestOrder>(*r).params, R"({"iexec_args":"x"})");
    req["params"] = json::object{};
    EXPECT_EQ(publish_error(req, OrderKind::kRequest),
              "order.params must be a `string` type, but the final value was: `{}`.");

    json::object app{{"app", "0x1111111111111111111111111111111111111111"},
                     {"appprice", 5},
                     {"volume", 1},
                     {"tag", "0x0000000000000000000000000000000000000000000000000000000000000000"},
                     {"datasetrestrict", "0x0000000000000000000000000000000000000000"},
                     {"workerpoolrestrict", "0x0000000000000000000000000000000000000000"},
                     {"requesterrestrict", "0x0000000000000000000000000000000000000000"},
                     {"salt", "0x0000000000000000000000000000000000000000000000000000000000000001"},
                     {"sign", "0x00"}};
    ASSERT_TRUE(parse_publish_body(OrderKind::kApp, body_of(app)));
    json::object ds = app;
    ds.erase("app");
    ds.erase("appprice");
    ds.erase("datasetrestrict");
    ds["dataset"] = "0x2222222222222222222222222222222222222222";
    ds["datasetprice"] = "1";
    ds["apprestrict"] = "0x0000000000000000000000000000000000000000";
    ASSERT_TRUE(parse_publish_body(OrderKind::kDataset, body_of(ds)));
    ds.erase("apprestrict");
    EXPECT_EQ(publish_error(ds, OrderKind::kDataset), "order.apprestrict is a required field");
}

TEST(OrderInput, UnpublishBodies) {
    auto def =
        parse_unpublish_body(OrderKind::kWorkerpool,
                             R"({"orderHash":"0x0000000000000000000000000000000000000000000000000000000000000001"})");
    ASSERT_TRUE(def) << def.error().message;
    EXPECT_EQ(def->target, UnpublishTarget::kOrderHash);
    EXPECT_EQ(def->order_hash[31], 1);

    auto last = parse_unpublish_body(
        OrderKind::kWorkerpool,
        R"({"target":"unpublish_last","workerpool":"0x1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b"})");
    ASSERT_TRUE(last) << last.error().message;
    EXPECT_EQ(last->target, UnpublishTarget::kLast);
    EXPECT_EQ(last->resource.to_checksum(), "0x1a2b3C4d5e6F7A8B9c0D1e2f3A4B5c6d7e8F9A0B");

    const auto err = [](OrderKind k, std::string_view body) {
        auto r = parse_unpublish_body(k, body);
        EXPECT_FALSE(r);
        return r ? std::string() : r.error().message;
    };
    EXPECT_EQ(err(OrderKind::kWorkerpool, ""), "orderHash is a required field");
    EXPECT_EQ(err(OrderKind::kWorkerpool, R"({"orderHash":"0x12"})"), "orderHash must be a bytes32 hexstring");
    EXPECT_EQ(err(OrderKind::kWorkerpool, R"({"target":"x"})"),
              "target must be one of the following values: unpublish_orderHash, unpublish_last, unpublish_all");
    EXPECT_EQ(err(OrderKind::kWorkerpool, R"({"target":"unpublish_all"})"), "workerpool is a required field");
    EXPECT_EQ(err(OrderKind::kRequest, R"({"target":"unpublish_all","requester":"0x1"})"),
              "requester is not a valid ethereum address");
    EXPECT_EQ(err(OrderKind::kApp, R"({"target":"unpublish_last"})"), "app is a required field");
    EXPECT_EQ(err(OrderKind::kDataset, R"({"target":"unpublish_last"})"), "dataset is a required field");
}

}  // namespace
}  // namespace wp::market
