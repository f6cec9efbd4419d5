// The order reader of `order sign` / `workerpool publish` / `order fill` (unsigned_order_from_json): the SDK's
// create*order defaults, amounts with units, tag forms, request params objects, and errors naming the field; the
// SDK's pretty() layout used in prompts and info lines. The commands themselves run end to end in
// tests/cli/order_workflow.sh (devnet + market + the real SDK).
#include "cmd_order.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include <wp/protocol/tag.hpp>

namespace wp::cli {
namespace {

namespace json = boost::json;

const Address kPool = Address::parse("0x2222222222222222222222222222222222222222").value();

TEST(UnsignedOrder, WorkerpoolDefaultsAsTheSdk) {
    auto o = unsigned_order_from_json(OrderKind::kWorkerpool,
                                      json::parse(R"({"workerpool":"0x2222222222222222222222222222222222222222",
                                                      "category":"2"})"));
    ASSERT_TRUE(o) << o.error().message;
    const auto& w = std::get<WorkerpoolOrder>(*o);
    EXPECT_EQ(w.workerpool, kPool);
    EXPECT_EQ(w.workerpoolprice, U256(0));
    EXPECT_EQ(w.volume, U256(1));
    EXPECT_EQ(w.category, U256(2));
    EXPECT_EQ(w.trust, U256(0));
    EXPECT_EQ(w.tag, make_tag(0));
    EXPECT_EQ(w.requesterrestrict, Address{});
}

TEST(UnsignedOrder, AmountsTagsAndTemplates) {
    // The `order init` template as written to iexec.json, edited by a user.
    auto o = unsigned_order_from_json(OrderKind::kWorkerpool, json::parse(R"({
        "workerpool":"0x2222222222222222222222222222222222222222","workerpoolprice":"1.5 RLC","volume":"3",
        "category":"0","trust":"1","tag":["tee","tdx","gpu"],
        "apprestrict":"0x0000000000000000000000000000000000000000",
        "datasetrestrict":"0x0000000000000000000000000000000000000000",
        "requesterrestrict":"0x0000000000000000000000000000000000000000"})"));
    ASSERT_TRUE(o) << o.error().message;
    const auto& w = std::get<WorkerpoolOrder>(*o);
    EXPECT_EQ(w.workerpoolprice, U256(1'500'000'000));
    EXPECT_EQ(w.tag, make_tag(0x109));
    auto by_string = unsigned_order_from_json(
        OrderKind::kWorkerpool,
        json::parse(R"({"workerpool":"0x2222222222222222222222222222222222222222","category":0,"tag":"tee,scone",
                        "workerpoolprice":5})"));
    ASSERT_TRUE(by_string) << by_string.error().message;
    EXPECT_EQ(std::get<WorkerpoolOrder>(*by_string).tag, make_tag(0x3));
    EXPECT_EQ(std::get<WorkerpoolOrder>(*by_string).workerpoolprice, U256(5));
}

TEST(UnsignedOrder, ErrorsNameTheField) {
    auto price = unsigned_order_from_json(
        OrderKind::kWorkerpool,
        json::parse(R"({"workerpool":"0x2222222222222222222222222222222222222222","category":"0",
                        "workerpoolprice":"0.5"})"));
    ASSERT_FALSE(price);
    EXPECT_EQ(price.error().message, "workerpoolorder.workerpoolprice: 0.5 is not a valid amount");
    auto tag = unsigned_order_from_json(
        OrderKind::kWorkerpool,
        json::parse(R"({"workerpool":"0x2222222222222222222222222222222222222222","category":"0","tag":["foo"]})"));
    ASSERT_FALSE(tag);
    EXPECT_EQ(tag.error().message, "workerpoolorder.tag: foo is not a valid tag. Unknown tag foo");
    auto missing = unsigned_order_from_json(OrderKind::kWorkerpool, json::parse(R"({"category":"0"})"));
    ASSERT_FALSE(missing);
    EXPECT_NE(missing.error().message.find("workerpool"), std::string::npos) << missing.error().message;
    auto unknown = unsigned_order_from_json(
        OrderKind::kWorkerpool,
        json::parse(R"({"workerpool":"0x2222222222222222222222222222222222222222","category":"0","foo":1})"));
    ASSERT_FALSE(unknown);
    EXPECT_NE(unknown.error().message.find("foo"), std::string::npos) << unknown.error().message;
    EXPECT_FALSE(unsigned_order_from_json(OrderKind::kApp, json::parse("[]")));
}

TEST(UnsignedOrder, RequestParamsObjectAndBeneficiary) {
    auto o = unsigned_order_from_json(OrderKind::kRequest, json::parse(R"({
        "app":"0x3333333333333333333333333333333333333333","appmaxprice":"1 RLC",
        "requester":"0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65","category":"0",
        "params":{"iexec_args":"hello","iexec_input_files":[],"iexec_result_encryption":false}})"));
    ASSERT_TRUE(o) << o.error().message;
    const auto& r = std::get<RequestOrder>(*o);
    // The SDK adds the storage provider and rebuilds the object in its own key order.
    EXPECT_EQ(r.params,
              R"({"iexec_result_storage_provider":"ipfs","iexec_result_encryption":false,"iexec_input_files":[],)"
              R"("iexec_args":"hello"})");
    EXPECT_EQ(r.beneficiary, r.requester);  // defaults to the requester
    EXPECT_EQ(r.appmaxprice, U256(1'000'000'000));
    EXPECT_EQ(r.volume, U256(1));
}

// Each row observed with the SDK 9.0.1 `order sign --request` on anvil (the params it signed).
TEST(UnsignedOrder, RequestParamsAsTheSdkSignsThem) {
    struct Row {
        const char* params;
        bool callback;
        const char* signed_params;
    };
    const Row rows[] = {
        {R"({"iexec_args":"","iexec_input_files":[],"iexec_result_encryption":false})", false,
         R"({"iexec_result_storage_provider":"ipfs","iexec_result_encryption":false,"iexec_input_files":[],"iexec_args":""})"},
        {R"({"iexec_args":"x","iexec_result_storage_provider":"dropbox"})", false,
         R"({"iexec_args":"x","iexec_result_storage_provider":"dropbox"})"},
        {R"({"iexec_args":"x","foo":1})", false, R"({"iexec_result_storage_provider":"ipfs","iexec_args":"x"})"},
        {R"("")", false, R"({"iexec_result_storage_provider":"ipfs","iexec_args":""})"},
        {R"("abc")", false, R"({"iexec_result_storage_provider":"ipfs","iexec_args":"abc"})"},
        {R"({})", false, R"({"iexec_result_storage_provider":"ipfs"})"},
        {R"({"iexec_result_storage_provider":"ipfs","iexec_args":"a"})", false,
         R"({"iexec_result_storage_provider":"ipfs","iexec_args":"a"})"},
        {R"({})", true, R"({})"},
    };
    for (const Row& row : rows) {
        auto text = sdk_request_params(json::parse(row.params), row.callback);
        ASSERT_TRUE(text) << row.params;
        EXPECT_EQ(*text, row.signed_params) << row.params;
    }
    EXPECT_EQ(sdk_request_params(json::parse("[1]"), false).error().message,
              "requestorder.params: expected a JSON object or a string");
}

TEST(Pretty, ObjectsAndLists) {
    EXPECT_EQ(pretty(json::parse(R"({"orderHash":"0xab","price":10})")), "\norderHash: 0xab\nprice:     10");
    EXPECT_EQ(pretty(json::parse(R"([{"a":1,"bb":2},{"a":3}])")), "\n-\n  a:  1\n  bb: 2\n-\n  a: 3");
    EXPECT_EQ(pretty(json::parse(R"(["x","y"])")), "\n- x\n- y");
}

}  // namespace
}  // namespace wp::cli
