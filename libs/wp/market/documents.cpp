#include "documents.hpp"

#include <array>
#include <charconv>
#include <cstdio>
#include <limits>
#include <variant>

#include <wp/core/hex.hpp>

namespace wp::market {
namespace json = boost::json;

namespace {

// Howard Hinnant's civil-from-days / days-from-civil (proleptic Gregorian, days since 1970-01-01).
struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

Civil civil_from_days(std::int64_t z) {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return Civil{m <= 2 ? y + 1 : y, m, d};
}

std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

constexpr std::int64_t kMsPerDay = 86400000;
// 0000-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z.
const std::int64_t kMinIsoMs = days_from_civil(0, 1, 1) * kMsPerDay;
const std::int64_t kMaxIsoMs = days_from_civil(10000, 1, 1) * kMsPerDay - 1;

std::string hex32(const Bytes32& b) { return to_hex(b.view()); }

json::object resource(const Address& pointer, const U256& price, const Address& owner) {
    json::object o;
    o["pointer"] = pointer.to_checksum();
    o["price"] = json_uint(price);
    o["owner"] = owner.to_checksum();
    return o;
}

Error decoding(std::string_view key, std::string_view rule) {
    return Error{Errc::kDecoding, "deal document: " + std::string(key) + ": " + std::string(rule)};
}

Result<const json::value*> member(const json::object& o, std::string_view key) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr) return make_error(decoding(key, "missing"));
    return v;
}

Result<std::string> string_member(const json::object& o, std::string_view key) {
    WP_TRY(const json::value* v, member(o, key));
    const auto* s = v->if_string();
    if (s == nullptr) return make_error(decoding(key, "expected a string"));
    return std::string(s->data(), s->size());
}

Result<Address> address_member(const json::object& o, std::string_view key) {
    WP_TRY(auto s, string_member(o, key));
    auto a = Address::parse(s);
    if (!a) return make_error(decoding(key, a.error().message));
    return *a;
}

Result<Bytes32> bytes32_member(const json::object& o, std::string_view key) {
    WP_TRY(auto s, string_member(o, key));
    auto b = bytes32_from_hex(s);
    if (!b) return make_error(decoding(key, b.error().message));
    return *b;
}

Result<U256> uint_member(const json::object& o, std::string_view key) {
    WP_TRY(const json::value* v, member(o, key));
    auto u = read_json_uint(*v, key);
    if (!u) return make_error(decoding(key, u.error().message));
    return *u;
}

struct Resource {
    Address pointer;
    U256 price;
    Address owner;
};

Result<Resource> resource_member(const json::object& o, std::string_view key) {
    WP_TRY(const json::value* v, member(o, key));
    const auto* r = v->if_object();
    if (r == nullptr) return make_error(decoding(key, "expected an object"));
    Resource out;
    WP_TRY(out.pointer, address_member(*r, "pointer"));
    WP_TRY(out.price, uint_member(*r, "price"));
    WP_TRY(out.owner, address_member(*r, "owner"));
    return out;
}

}  // namespace

json::value json_uint(const U256& value) {
    if (value.fits_u64() && value.low_u64() <= kMaxSafeInteger)
        return json::value(static_cast<std::int64_t>(value.low_u64()));
    return json::value(value.to_dec());
}

json::value json_uint(std::uint64_t value) {
    if (value <= kMaxSafeInteger) return json::value(static_cast<std::int64_t>(value));
    return json::value(std::to_string(value));
}

Result<U256> read_json_uint(const json::value& value, std::string_view field) {
    const std::string name(field);
    if (const auto* i = value.if_int64()) {
        if (*i < 0) return make_error(Errc::kInvalidArgument, name + ": must be a non-negative integer");
        return U256(static_cast<std::uint64_t>(*i));
    }
    if (const auto* u = value.if_uint64()) return U256(*u);
    if (const auto* s = value.if_string()) {
        const std::string_view text(s->data(), s->size());
        bool digits = !text.empty();
        for (char c : text) digits = digits && c >= '0' && c <= '9';
        if (!digits)
            return make_error(Errc::kInvalidArgument,
                              name + ": \"" + std::string(text.substr(0, 80)) + "\" is not a decimal uint256");
        auto v = U256::from_dec(text);
        if (!v) return make_error(Errc::kInvalidArgument, name + ": " + v.error().message);
        return *v;
    }
    if (value.is_double()) return make_error(Errc::kInvalidArgument, name + ": must be an integer");
    return make_error(Errc::kInvalidArgument, name + ": expected an integer or a decimal string");
}

std::string iso8601_ms(std::int64_t unix_ms) {
    if (unix_ms < kMinIsoMs) unix_ms = kMinIsoMs;
    if (unix_ms > kMaxIsoMs) unix_ms = kMaxIsoMs;
    std::int64_t days = unix_ms / kMsPerDay;
    std::int64_t rem = unix_ms % kMsPerDay;
    if (rem < 0) {
        rem += kMsPerDay;
        --days;
    }
    const Civil c = civil_from_days(days);
    const auto ms = static_cast<int>(rem % 1000);
    const auto secs = static_cast<int>(rem / 1000);
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<int>(c.year), c.month,
                  c.day, secs / 3600, (secs / 60) % 60, secs % 60, ms);
    return std::string(buf.data());
}

Result<std::int64_t> parse_iso8601_ms(std::string_view text) {
    const auto fail = [&] {
        return make_error(Errc::kInvalidArgument,
                          "timestamp: \"" + std::string(text.substr(0, 40)) + "\" is not YYYY-MM-DDTHH:MM:SS.mmmZ");
    };
    // 2019-09-11T10:03:38.068Z
    if (text.size() != 24 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
        text[16] != ':' || text[19] != '.' || text[23] != 'Z')
        return fail();
    const auto num = [&](std::size_t pos, std::size_t len, unsigned& out) {
        out = 0;
        for (std::size_t i = pos; i < pos + len; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return true;
    };
    unsigned y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
    if (!num(0, 4, y) || !num(5, 2, mo) || !num(8, 2, d) || !num(11, 2, h) || !num(14, 2, mi) || !num(17, 2, s) ||
        !num(20, 3, ms))
        return fail();
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59) return fail();
    const std::int64_t days = days_from_civil(static_cast<std::int64_t>(y), mo, d);
    // Reject dates that do not exist (2019-02-30): the round trip must give the same day.
    const Civil c = civil_from_days(days);
    if (c.month != mo || c.day != d) return fail();
    return days * kMsPerDay + static_cast<std::int64_t>(h) * 3600000 + static_cast<std::int64_t>(mi) * 60000 +
           static_cast<std::int64_t>(s) * 1000 + static_cast<std::int64_t>(ms);
}

json::object order_fields_document(const Order& order) {
    json::object o;
    std::visit(
        [&](const auto& ord) {
            using T = std::decay_t<decltype(ord)>;
            if constexpr (std::is_same_v<T, AppOrder>) {
                o["app"] = ord.app.to_checksum();
                o["appprice"] = json_uint(ord.appprice);
                o["volume"] = json_uint(ord.volume);
                o["tag"] = hex32(ord.tag);
                o["datasetrestrict"] = ord.datasetrestrict.to_checksum();
                o["workerpoolrestrict"] = ord.workerpoolrestrict.to_checksum();
                o["requesterrestrict"] = ord.requesterrestrict.to_checksum();
            } else if constexpr (std::is_same_v<T, DatasetOrder>) {
                o["dataset"] = ord.dataset.to_checksum();
                o["datasetprice"] = json_uint(ord.datasetprice);
                o["volume"] = json_uint(ord.volume);
                o["tag"] = hex32(ord.tag);
                o["apprestrict"] = ord.apprestrict.to_checksum();
                o["workerpoolrestrict"] = ord.workerpoolrestrict.to_checksum();
                o["requesterrestrict"] = ord.requesterrestrict.to_checksum();
            } else if constexpr (std::is_same_v<T, WorkerpoolOrder>) {
                o["workerpool"] = ord.workerpool.to_checksum();
                o["workerpoolprice"] = json_uint(ord.workerpoolprice);
                o["volume"] = json_uint(ord.volume);
                o["tag"] = hex32(ord.tag);
                o["category"] = json_uint(ord.category);
                o["trust"] = json_uint(ord.trust);
                o["apprestrict"] = ord.apprestrict.to_checksum();
                o["datasetrestrict"] = ord.datasetrestrict.to_checksum();
                o["requesterrestrict"] = ord.requesterrestrict.to_checksum();
            } else {
                o["app"] = ord.app.to_checksum();
                o["dataset"] = ord.dataset.to_checksum();
                o["workerpool"] = ord.workerpool.to_checksum();
                o["params"] = ord.params;
                o["appmaxprice"] = json_uint(ord.appmaxprice);
                o["datasetmaxprice"] = json_uint(ord.datasetmaxprice);
                o["workerpoolmaxprice"] = json_uint(ord.workerpoolmaxprice);
                o["volume"] = json_uint(ord.volume);
                o["tag"] = hex32(ord.tag);
                o["category"] = json_uint(ord.category);
                o["trust"] = json_uint(ord.trust);
                o["requester"] = ord.requester.to_checksum();
                o["beneficiary"] = ord.beneficiary.to_checksum();
                o["callback"] = ord.callback.to_checksum();
            }
            o["salt"] = hex32(ord.salt);
            o["sign"] = to_hex(ord.sign);
        },
        order);
    return o;
}

json::object order_document(const OrderRecord& record, const DocumentOptions& options) {
    json::object o;
    o["orderHash"] = hex32(record.order_hash);
    o["order"] = order_fields_document(record.order);
    if (options.with_chain_id) o["chainId"] = json_uint(record.chain_id);
    o["remaining"] = json_uint(record.remaining);
    o["status"] = to_string(record.status);
    o["publicationTimestamp"] = iso8601_ms(record.published_ms);
    o["signer"] = record.signer.to_checksum();
    if (const auto* d = std::get_if<DatasetOrder>(&record.order)) o["bulk"] = is_bulk_datasetorder(*d);
    return o;
}

json::object deal_document(const DealRecord& deal, const DocumentOptions& options) {
    json::object o;
    o["dealid"] = hex32(deal.deal_id);
    if (options.with_chain_id) o["chainId"] = json_uint(deal.chain_id);
    o["app"] = resource(deal.app, deal.app_price, deal.app_owner);
    o["dataset"] = resource(deal.dataset, deal.dataset_price, deal.dataset_owner);
    o["workerpool"] = resource(deal.workerpool, deal.workerpool_price, deal.workerpool_owner);
    o["requester"] = deal.requester.to_checksum();
    o["beneficiary"] = deal.beneficiary.to_checksum();
    o["callback"] = deal.callback.to_checksum();
    o["appHash"] = hex32(deal.app_hash);
    o["datasetHash"] = hex32(deal.dataset_hash);
    o["workerpoolHash"] = hex32(deal.workerpool_hash);
    o["requestHash"] = hex32(deal.request_hash);
    o["params"] = deal.params;
    o["volume"] = json_uint(deal.volume);
    o["category"] = json_uint(deal.category);
    o["tag"] = hex32(deal.tag);
    o["trust"] = json_uint(deal.trust);
    o["startTime"] = json_uint(deal.start_time);
    o["botFirst"] = json_uint(deal.bot_first);
    o["botSize"] = json_uint(deal.bot_size);
    o["schedulerRewardRatio"] = json_uint(deal.scheduler_reward_ratio);
    o["workerStake"] = json_uint(deal.worker_stake);
    o["blockNumber"] = json_uint(deal.block_number);
    o["blockTimestamp"] = iso8601_ms(deal.block_timestamp_ms);
    o["transactionHash"] = hex32(deal.transaction_hash);
    return o;
}

Result<DealRecord> deal_from_document(std::uint64_t chain_id, const json::value& document) {
    const auto* o = document.if_object();
    if (o == nullptr) return make_error(Errc::kDecoding, "deal document: expected an object");
    DealRecord d;
    d.chain_id = chain_id;
    WP_TRY(d.deal_id, bytes32_member(*o, "dealid"));
    WP_TRY(auto app, resource_member(*o, "app"));
    WP_TRY(auto dataset, resource_member(*o, "dataset"));
    WP_TRY(auto workerpool, resource_member(*o, "workerpool"));
    d.app = app.pointer;
    d.app_price = app.price;
    d.app_owner = app.owner;
    d.dataset = dataset.pointer;
    d.dataset_price = dataset.price;
    d.dataset_owner = dataset.owner;
    d.workerpool = workerpool.pointer;
    d.workerpool_price = workerpool.price;
    d.workerpool_owner = workerpool.owner;
    WP_TRY(d.requester, address_member(*o, "requester"));
    WP_TRY(d.beneficiary, address_member(*o, "beneficiary"));
    WP_TRY(d.callback, address_member(*o, "callback"));
    WP_TRY(d.app_hash, bytes32_member(*o, "appHash"));
    WP_TRY(d.dataset_hash, bytes32_member(*o, "datasetHash"));
    WP_TRY(d.workerpool_hash, bytes32_member(*o, "workerpoolHash"));
    WP_TRY(d.request_hash, bytes32_member(*o, "requestHash"));
    WP_TRY(d.params, string_member(*o, "params"));
    WP_TRY(d.volume, uint_member(*o, "volume"));
    WP_TRY(d.category, uint_member(*o, "category"));
    WP_TRY(d.tag, bytes32_member(*o, "tag"));
    WP_TRY(d.trust, uint_member(*o, "trust"));
    WP_TRY(d.start_time, uint_member(*o, "startTime"));
    WP_TRY(d.bot_first, uint_member(*o, "botFirst"));
    WP_TRY(d.bot_size, uint_member(*o, "botSize"));
    WP_TRY(d.scheduler_reward_ratio, uint_member(*o, "schedulerRewardRatio"));
    WP_TRY(d.worker_stake, uint_member(*o, "workerStake"));
    WP_TRY(U256 block, uint_member(*o, "blockNumber"));
    if (!block.fits_u64()) return make_error(decoding("blockNumber", "out of range"));
    d.block_number = block.low_u64();
    WP_TRY(auto ts, string_member(*o, "blockTimestamp"));
    auto ms = parse_iso8601_ms(ts);
    if (!ms) return make_error(decoding("blockTimestamp", ms.error().message));
    d.block_timestamp_ms = *ms;
    WP_TRY(d.transaction_hash, bytes32_member(*o, "transactionHash"));
    return d;
}

json::object category_document(const CategoryRecord& category) {
    json::object o;
    o["catid"] = json_uint(category.catid);
    o["chainId"] = json_uint(category.chain_id);
    o["name"] = category.name;
    o["description"] = category.description;
    o["workClockTimeRef"] = json_uint(category.work_clock_time_ref);
    o["transactionHash"] = hex32(category.transaction_hash);
    o["blockNumber"] = json_uint(category.block_number);
    o["blockTimestamp"] = iso8601_ms(category.block_timestamp_ms);
    return o;
}

json::array ohlc_document(std::span<const OhlcEntry> entries) {
    json::array out;
    out.reserve(entries.size());
    for (const auto& e : entries) {
        json::array point;
        point.emplace_back(iso8601_ms(e.block_timestamp_ms));
        point.push_back(json_uint(e.price));
        point.push_back(json_uint(e.volume));
        out.emplace_back(std::move(point));
    }
    return out;
}

}  // namespace wp::market
