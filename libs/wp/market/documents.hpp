#pragma once
// The JSON documents of the market API exactly as iexec-market-api 7.1.2 returns them (its models' toJSON, with
// `_id`, `__v` and tagArray stripped; sdk-cli-and-market.md §5.1), built from the records of model.hpp.
//
// Number rule (issue 8): a uint256 ≤ 2^53 − 1 is written as a JSON number (as the reference, whose SDK relies on
// it); a larger one as its decimal string — never rounded (the reference refuses such values; docs/market.md lists
// the deviation). Addresses are EIP-55 checksummed; hashes, tags and salts 0x + lowercase hex; times ISO 8601 UTC
// with milliseconds ("2019-09-11T10:03:38.068Z").
//
// Order document (key order of the reference's models):
//   {orderHash, order, chainId, remaining, status, publicationTimestamp, signer}  (+ bulk for dataset orders)
//   order keys:
//     apporder:        app, appprice, volume, tag, datasetrestrict, workerpoolrestrict, requesterrestrict, salt, sign
//     datasetorder:    dataset, datasetprice, volume, tag, apprestrict, workerpoolrestrict, requesterrestrict, salt,
//                      sign
//     workerpoolorder: workerpool, workerpoolprice, volume, tag, category, trust, apprestrict, datasetrestrict,
//                      requesterrestrict, salt, sign
//     requestorder:    app, dataset, workerpool, params, appmaxprice, datasetmaxprice, workerpoolmaxprice, volume,
//                      tag, category, trust, requester, beneficiary, callback, salt, sign
//   `order` read back by protocol order_from_json(kind, document["order"]) is the stored order: it hashes to
//   orderHash on the chain's domain.
// Deal document: {dealid, chainId, app:{pointer, price, owner}, dataset:{…}, workerpool:{…}, requester, beneficiary,
//   callback, appHash, datasetHash, workerpoolHash, requestHash, params, volume, category, tag, trust, startTime,
//   botFirst, botSize, schedulerRewardRatio, workerStake, blockNumber, blockTimestamp, transactionHash}.
// Category document: {catid, chainId, name, description, workClockTimeRef, transactionHash, blockNumber,
//   blockTimestamp}.
//
// The live-update events `<kind>order_published` and `<kind>order_updated` carry the order document WITHOUT chainId
// (DocumentOptions::with_chain_id = false), as the reference's events listener sends them.
//
// Thread safety: pure functions.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>

#include "model.hpp"
#include "order_book.hpp"

namespace wp::market {

inline constexpr std::uint64_t kMaxSafeInteger = 9007199254740991ULL;  //!< 2^53 − 1 (Number.MAX_SAFE_INTEGER)

//! The number rule: a JSON number (int64) when value ≤ 2^53 − 1, else the decimal string.
boost::json::value json_uint(const U256& value);
boost::json::value json_uint(std::uint64_t value);

//! Reads a value written by json_uint (or by any client): a non-negative JSON integer, or a decimal string of a
//! uint256. Errors (Errc::kInvalidArgument, naming `field`): another type, a negative or fractional number,
//! a string that is not a decimal uint256.
Result<U256> read_json_uint(const boost::json::value& value, std::string_view field);

//! "YYYY-MM-DDTHH:MM:SS.mmmZ" (UTC) of a Unix time in milliseconds (JavaScript Date.toISOString for years
//! 0000..9999; times outside that range are clamped to it).
std::string iso8601_ms(std::int64_t unix_ms);
//! The inverse, for exactly that form. Errors: Errc::kInvalidArgument "timestamp: ... is not ...".
Result<std::int64_t> parse_iso8601_ms(std::string_view text);

struct DocumentOptions {
    bool with_chain_id{true};
};

//! The order document of the reference (see the top).
boost::json::object order_document(const OrderRecord& record, const DocumentOptions& options = {});
//! Just the `order` member (key order above).
boost::json::object order_fields_document(const Order& order);

//! The deal document of the reference (see the top).
boost::json::object deal_document(const DealRecord& deal, const DocumentOptions& options = {});
//! Reads a deal document back (with or without chainId; chain_id is taken from the argument).
//! Errors: Errc::kDecoding naming the key.
Result<DealRecord> deal_from_document(std::uint64_t chain_id, const boost::json::value& document);

//! The category document of the reference (see the top).
boost::json::object category_document(const CategoryRecord& category);

//! GET /ohlc `ohlc`: [[blockTimestamp ISO, price, volume], ...] in the order given.
boost::json::array ohlc_document(std::span<const OhlcEntry> entries);

}  // namespace wp::market
