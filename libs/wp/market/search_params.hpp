#pragma once
// The GET query of each list route of the market (iexec-market-api 7.1.2 controllers/router.js and
// utils/validator.js) parsed into the typed filters of order_book.hpp, with the reference's validation messages
// (its yup schemas), which the API returns as `{ok:false, error:<message>}` with status 400.
//
// chainId is NOT read here (the API parses it first); unknown parameters are ignored, as the reference does.
// Parameters are checked in the reference's schema order and the first failure is returned (Errc::kInvalidArgument,
// the message exactly as the reference writes it, naming the parameter):
//   integers (page, pageIndex, pageSize, category, minTrust, maxTrust, minVolume, min/maxWorkClockTimeRef):
//     spaces are ignored; "12", "+12", "12.0" are 12; otherwise
//       "<name> must be a `number` type, but the final value was: `NaN` (cast from the value `\"<value>\"`)."
//       "<name> must be an integer"                    (a fraction: "1.5")
//       "<name> must be greater than or equal to <min>" (min 0; minVolume 1; pageSize 10)
//       "<name> must be less than or equal to <max>"    (page, pageIndex: 2^53 − 2; pageSize: 1000)
//     Deviation (docs/market.md): the value filters (category, minTrust, maxTrust, minVolume, workClockTimeRef)
//     accept any uint256, as the market keeps every uint256 exact; the reference caps them at 2^53 − 2.
//   booleans (isAppStrict, isDatasetStrict, isWorkerpoolStrict, isRequesterStrict, bulkOnly): "true" / "1" / "false"
//     / "0", any case; otherwise "<name> must be a `boolean` type, but the final value was: `\"<value>\"`."
//   addresses: 0x + 40 hex digits in any case (the reference lower-cases before checksumming);
//     "<name> is not a valid ethereum address"; address-or-any: exactly "any" or an address,
//     "<name> is neither \"any\" nor a valid ethereum address";
//   bytes32 (minTag, maxTag, order hashes): 0x + 64 hex digits in any case, "<name> must be a bytes32 hexstring";
//   required: GET /apporders "app or appOwner is required", GET /datasetorders "dataset or datasetOwner is required".
// Echoed values are cut to 200 bytes.
//
// Thread safety: pure functions. No Asio / Beast here (fuzzed: search_params_fuzz.cpp).

#include <cstdint>
#include <string_view>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/net/query.hpp>

#include "order_book.hpp"

namespace wp::market {

//! GET /apporders: app (or appOwner), appOwner, dataset, isDatasetStrict, workerpool, isWorkerpoolStrict,
//! requester, isRequesterStrict, minTag, maxTag, minVolume, page, pageIndex, pageSize.
Result<ApporderFilters> parse_apporders_query(const net::QueryParams& query);

//! GET /datasetorders: dataset (or datasetOwner), datasetOwner, app, isAppStrict, workerpool, isWorkerpoolStrict,
//! requester, isRequesterStrict, minTag, maxTag, minVolume, bulkOnly, page, pageIndex, pageSize.
Result<DatasetorderFilters> parse_datasetorders_query(const net::QueryParams& query);

//! GET /workerpoolorders: workerpool, workerpoolOwner, app, isAppStrict, dataset, isDatasetStrict, requester,
//! isRequesterStrict, category, minTag, maxTag, minVolume, minTrust, page, pageIndex, pageSize.
Result<WorkerpoolorderFilters> parse_workerpoolorders_query(const net::QueryParams& query);

//! GET /requestorders: app, dataset, requester, beneficiary, category, minTag, maxTag, maxTrust, minVolume,
//! workerpool, isWorkerpoolStrict, page, pageIndex, pageSize.
Result<RequestorderFilters> parse_requestorders_query(const net::QueryParams& query);

//! GET /deals: category, requester, beneficiary, app, dataset, workerpool, appOwner, datasetOwner, workerpoolOwner,
//! apporderHash, datasetorderHash, workerpoolorderHash, requestorderHash, page, pageIndex, pageSize.
Result<DealFilters> parse_deals_query(const net::QueryParams& query);

//! GET /categories: minWorkClockTimeRef, maxWorkClockTimeRef, page, pageIndex, pageSize.
Result<CategoryFilters> parse_categories_query(const net::QueryParams& query);

//! A path parameter that is a bytes32 (orderHash, dealid): "<name> must be a bytes32 hexstring".
Result<Bytes32> parse_bytes32_param(std::string_view name, std::string_view value);

//! A path parameter that is a non-negative integer ≤ 2^53 − 2 (catid), with the integer messages above.
Result<std::uint64_t> parse_safe_uint_param(std::string_view name, std::string_view value);

}  // namespace wp::market
