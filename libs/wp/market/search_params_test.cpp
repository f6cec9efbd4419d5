// GET query → typed filters, with the reference's (yup) validation messages, e.g. the ones its own API tests assert:
// "pageSize must be greater than or equal to 10", "isAppStrict must be a `boolean` type, but the final value was:
// `\"abc\"`.".
#include "search_params.hpp"

#include <gtest/gtest.h>

#include <string>

namespace wp::market {
namespace {

net::QueryParams q(std::string_view text) {
    auto p = net::QueryParams::parse(text);
    EXPECT_TRUE(p) << p.error().message;
    return p ? *p : net::QueryParams{};
}

template <class T>
std::string error_of(const Result<T>& r) {
    if (r) return "(ok)";
    EXPECT_EQ(r.error().code, Errc::kInvalidArgument);
    return r.error().message;
}

const Address kA = *Address::parse("0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266");

TEST(SearchParams, WorkerpoolordersEveryFilter) {
    auto f = parse_workerpoolorders_query(
        q("chainId=134&workerpool=0xF39FD6E51AAD88F6F4CE6AB8827279CFFFB92266&workerpoolOwner="
          "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
          "&app=any&isAppStrict=true&dataset=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&isDatasetStrict=1"
          "&requester=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&isRequesterStrict=FALSE&category=5"
          "&minTag=0x0000000000000000000000000000000000000000000000000000000000000003"
          "&maxTag=0x00000000000000000000000000000000000000000000000000000000000001FF&minVolume=2&minTrust=%205"
          "&page=3&pageIndex=2&pageSize=25&unknown=ignored"));
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->workerpool, AddressOrAny::of(kA));
    EXPECT_EQ(f->workerpool_owner, kA);
    EXPECT_EQ(f->app, (RestrictFilter{AddressOrAny::any_value(), true}));
    EXPECT_EQ(f->dataset, (RestrictFilter{AddressOrAny::of(kA), true}));
    EXPECT_EQ(f->requester, (RestrictFilter{AddressOrAny::of(kA), false}));
    EXPECT_EQ(f->category, U256(5));
    ASSERT_TRUE(f->min_tag);
    EXPECT_EQ((*f->min_tag)[31], 3);
    ASSERT_TRUE(f->max_tag);
    EXPECT_EQ((*f->max_tag)[30], 1);
    EXPECT_EQ((*f->max_tag)[31], 0xff);
    EXPECT_EQ(f->min_volume, U256(2));
    EXPECT_EQ(f->min_trust, U256(5));
    EXPECT_EQ(f->paging, (Paging{3, 2, 25}));

    auto empty = parse_workerpoolorders_query(q("chainId=134"));
    ASSERT_TRUE(empty);
    EXPECT_EQ(*empty, WorkerpoolorderFilters{});
}

TEST(SearchParams, PagingMessages) {
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageSize=1"))), "pageSize must be greater than or equal to 10");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageSize=-5"))), "pageSize must be greater than or equal to 10");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageSize=1001"))),
              "pageSize must be less than or equal to 1000");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageIndex=-1"))),
              "pageIndex must be greater than or equal to 0");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("page=9007199254740991"))),
              "page must be less than or equal to 9007199254740990");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageSize=abc"))),
              "pageSize must be a `number` type, but the final value was: `NaN` (cast from the value `\"abc\"`).");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageSize="))),
              "pageSize must be a `number` type, but the final value was: `NaN` (cast from the value `\"\"`).");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("pageIndex=1.5"))), "pageIndex must be an integer");
    auto ok = parse_workerpoolorders_query(q("pageIndex=2.0&pageSize=%2B10"));
    ASSERT_TRUE(ok) << ok.error().message;
    EXPECT_EQ(ok->paging, (Paging{std::nullopt, 2, 10}));
}

TEST(SearchParams, BooleanAddressBytes32AndNumberMessages) {
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("isAppStrict=abc"))),
              "isAppStrict must be a `boolean` type, but the final value was: `\"abc\"`.");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("isDatasetStrict=abc"))),
              "isDatasetStrict must be a `boolean` type, but the final value was: `\"abc\"`.");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("isRequesterStrict=abc"))),
              "isRequesterStrict must be a `boolean` type, but the final value was: `\"abc\"`.");
    EXPECT_EQ(error_of(parse_datasetorders_query(q("dataset=any&bulkOnly=yes"))),
              "bulkOnly must be a `boolean` type, but the final value was: `\"yes\"`.");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("workerpoolOwner=any"))),
              "workerpoolOwner is not a valid ethereum address");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("workerpool=ANY"))),
              "workerpool is neither \"any\" nor a valid ethereum address");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("app=0x1234"))),
              "app is neither \"any\" nor a valid ethereum address");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("minTag=0x03"))), "minTag must be a bytes32 hexstring");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("maxTag=tee"))), "maxTag must be a bytes32 hexstring");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("category=-1"))), "category must be greater than or equal to 0");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("minVolume=0"))), "minVolume must be greater than or equal to 1");
    EXPECT_EQ(error_of(parse_workerpoolorders_query(q("minTrust=x1"))),
              "minTrust must be a `number` type, but the final value was: `NaN` (cast from the value `\"x1\"`).");
    EXPECT_EQ(error_of(parse_requestorders_query(q("maxTrust=0.5"))), "maxTrust must be an integer");
    // Deviation: value filters accept any uint256, exactly.
    auto big = parse_workerpoolorders_query(
        q("category=115792089237316195423570985008687907853269984665640564039457584007913129639935"));
    ASSERT_TRUE(big) << big.error().message;
    EXPECT_EQ(big->category, U256::max());
    EXPECT_EQ(error_of(parse_workerpoolorders_query(
                  q("category=115792089237316195423570985008687907853269984665640564039457584007913129639936"))),
              "category must be less than or equal to "
              "115792089237316195423570985008687907853269984665640564039457584007913129639935");
    // Long values are echoed cut.
    const std::string long_value(1000, 'z');
    EXPECT_LT(error_of(parse_workerpoolorders_query(q("pageSize=" + long_value))).size(), 300u);
}

TEST(SearchParams, ApporderAndDatasetorderRequireTheResourceOrItsOwner) {
    EXPECT_EQ(error_of(parse_apporders_query(q("chainId=1"))), "app or appOwner is required");
    EXPECT_EQ(error_of(parse_apporders_query(q("app="))), "app or appOwner is required");
    EXPECT_EQ(error_of(parse_datasetorders_query(q("chainId=1"))), "dataset or datasetOwner is required");
    auto a =
        parse_apporders_query(q("appOwner=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&dataset=any&workerpool="
                                "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
                                "&isWorkerpoolStrict=true&requester=any&minVolume=3"));
    ASSERT_TRUE(a) << a.error().message;
    EXPECT_EQ(a->app, std::nullopt);
    EXPECT_EQ(a->app_owner, kA);
    EXPECT_EQ(a->dataset, (RestrictFilter{AddressOrAny::any_value(), false}));
    EXPECT_EQ(a->workerpool, (RestrictFilter{AddressOrAny::of(kA), true}));
    EXPECT_EQ(a->requester, (RestrictFilter{AddressOrAny::any_value(), false}));
    EXPECT_EQ(a->min_volume, U256(3));
    auto d = parse_datasetorders_query(
        q("dataset=any&app=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&isAppStrict=true&bulkOnly=true"));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->dataset, AddressOrAny::any_value());
    EXPECT_EQ(d->app, (RestrictFilter{AddressOrAny::of(kA), true}));
    EXPECT_TRUE(d->bulk_only);
    EXPECT_EQ(error_of(parse_apporders_query(q("app=any&appOwner=nope"))), "appOwner is not a valid ethereum address");
}

TEST(SearchParams, RequestordersDealsAndCategories) {
    auto r =
        parse_requestorders_query(q("app=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&dataset=any&requester=any&"
                                    "beneficiary=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
                                    "&category=1&maxTrust=0&workerpool=any&isWorkerpoolStrict=true"));
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_EQ(r->app, AddressOrAny::of(kA));
    EXPECT_EQ(r->dataset, AddressOrAny::any_value());
    EXPECT_EQ(r->beneficiary, AddressOrAny::of(kA));
    EXPECT_EQ(r->category, U256(1));
    EXPECT_EQ(r->max_trust, U256(0));
    EXPECT_EQ(r->workerpool, (RestrictFilter{AddressOrAny::any_value(), true}));

    auto d = parse_deals_query(
        q("category=2&requester=0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266&workerpoolOwner="
          "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"
          "&apporderHash=0x1111111111111111111111111111111111111111111111111111111111111111&pageSize=10"));
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->category, U256(2));
    EXPECT_EQ(d->requester, kA);
    EXPECT_EQ(d->workerpool_owner, kA);
    ASSERT_TRUE(d->apporder_hash);
    EXPECT_EQ((*d->apporder_hash)[0], 0x11);
    EXPECT_EQ(d->paging.page_size, 10u);
    EXPECT_EQ(error_of(parse_deals_query(q("app=any"))), "app is not a valid ethereum address");
    EXPECT_EQ(error_of(parse_deals_query(q("requestorderHash=0x11"))), "requestorderHash must be a bytes32 hexstring");

    auto c = parse_categories_query(q("minWorkClockTimeRef=10&maxWorkClockTimeRef=3600&page=20"));
    ASSERT_TRUE(c) << c.error().message;
    EXPECT_EQ(c->min_work_clock_time_ref, U256(10));
    EXPECT_EQ(c->max_work_clock_time_ref, U256(3600));
    EXPECT_EQ(c->paging, (Paging{20, std::nullopt, std::nullopt}));
    EXPECT_EQ(error_of(parse_categories_query(q("maxWorkClockTimeRef=-3"))),
              "maxWorkClockTimeRef must be greater than or equal to 0");
}

TEST(SearchParams, PathParameters) {
    auto h = parse_bytes32_param("orderHash", "0xABCDEF0000000000000000000000000000000000000000000000000000000001");
    ASSERT_TRUE(h) << h.error().message;
    EXPECT_EQ((*h)[0], 0xab);
    EXPECT_EQ(error_of(parse_bytes32_param("dealid", "0x1")), "dealid must be a bytes32 hexstring");
    EXPECT_EQ(error_of(parse_bytes32_param("orderHash", "")), "orderHash must be a bytes32 hexstring");
    EXPECT_EQ(*parse_safe_uint_param("catid", "7"), 7u);
    EXPECT_EQ(error_of(parse_safe_uint_param("catid", "-7")), "catid must be greater than or equal to 0");
    EXPECT_EQ(error_of(parse_safe_uint_param("catid", "9007199254740991")),
              "catid must be less than or equal to 9007199254740990");
}

}  // namespace
}  // namespace wp::market
