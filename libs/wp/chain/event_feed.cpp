#include "event_feed.hpp"

#include <algorithm>
#include <cassert>
#include <cctype>
#include <map>

#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>

namespace wp::chain {
namespace {

namespace json = boost::json;

using Headers = std::map<std::uint64_t, std::optional<BlockHeader>>;

// eth_getBlockByNumber(n, false) for each number, in JSON-RPC batches of at most kMaxBatch calls (providers cap
// batch sizes); nullopt for blocks the node does not have.
constexpr std::size_t kMaxBatch = 100;

Result<Headers> fetch_headers(JsonRpcClient& rpc, const std::vector<std::uint64_t>& numbers) {
    Headers out;
    for (std::size_t begin = 0; begin < numbers.size(); begin += kMaxBatch) {
        const std::size_t end = std::min(numbers.size(), begin + kMaxBatch);
        std::vector<RpcCall> calls;
        calls.reserve(end - begin);
        for (std::size_t i = begin; i < end; ++i)
            calls.push_back(RpcCall{"eth_getBlockByNumber", json::array{BlockTag::number(numbers[i]).str(), false}});
        auto answers = rpc.batch(std::move(calls));
        if (!answers) return make_error(answers.error().to_error());
        for (std::size_t i = begin; i < end; ++i) {
            auto& answer = (*answers)[i - begin];
            const std::string what = "eth_getBlockByNumber(" + std::to_string(numbers[i]) + ")";
            if (!answer) return make_error(answer.error().to_error());
            if (answer->is_null()) {
                out[numbers[i]] = std::nullopt;
                continue;
            }
            auto header = parse_block_header(*answer);
            if (!header) return make_error(header.error().with_context(what));
            if (header->number != numbers[i])
                return make_error(Errc::kDecoding,
                                  what + ": the node returned block " + std::to_string(header->number));
            out[numbers[i]] = std::move(*header);
        }
    }
    return out;
}

}  // namespace

// ---- FeedCursor ----

json::object FeedCursor::to_json() const {
    json::array hashes;
    for (const auto& h : recent_hashes) hashes.emplace_back(to_hex(h));
    return json::object{{"nextBlock", next_block}, {"recentHashes", std::move(hashes)}};
}

std::string FeedCursor::to_json_text() const { return json::serialize(to_json()); }

Result<FeedCursor> FeedCursor::from_json(const json::value& value) {
    const auto* o = value.if_object();
    if (o == nullptr) return make_error(Errc::kDecoding, "cursor: expected a JSON object");
    for (const auto& kv : *o) {
        if (kv.key() != "nextBlock" && kv.key() != "recentHashes")
            return make_error(Errc::kDecoding, "cursor: unknown key \"" + std::string(kv.key()) + "\"");
    }
    FeedCursor out;
    const auto* next = o->if_contains("nextBlock");
    if (next == nullptr) return make_error(Errc::kDecoding, "cursor: missing field \"nextBlock\"");
    if (const auto* u = next->if_uint64()) {
        out.next_block = *u;
    } else if (const auto* i = next->if_int64(); i != nullptr && *i >= 0) {
        out.next_block = static_cast<std::uint64_t>(*i);
    } else {
        return make_error(Errc::kDecoding, "cursor.nextBlock: expected a non-negative JSON integer");
    }
    const auto* hashes = o->if_contains("recentHashes");
    if (hashes == nullptr) return make_error(Errc::kDecoding, "cursor: missing field \"recentHashes\"");
    const auto* array = hashes->if_array();
    if (array == nullptr) return make_error(Errc::kDecoding, "cursor.recentHashes: expected a JSON array");
    if (array->size() > out.next_block)
        return make_error(Errc::kDecoding, "cursor.recentHashes: " + std::to_string(array->size()) +
                                               " hashes but nextBlock is " + std::to_string(out.next_block));
    for (std::size_t i = 0; i < array->size(); ++i) {
        const std::string field = "cursor.recentHashes[" + std::to_string(i) + "]";
        const auto* s = (*array)[i].if_string();
        if (s == nullptr) return make_error(Errc::kDecoding, field + ": expected a JSON string");
        auto h = bytes32_from_hex(*s);
        if (!h) return make_error(h.error().with_context(field));
        out.recent_hashes.push_back(*h);
    }
    return out;
}

Result<FeedCursor> FeedCursor::from_json_text(std::string_view text) {
    boost::system::error_code ec;
    auto value = json::parse(text, ec);
    if (ec) return make_error(Errc::kDecoding, "cursor: invalid JSON: " + ec.message());
    return from_json(value);
}

// ---- EventFeed ----

bool is_rate_limit_error(const RpcError& error) { return classify_rpc_error(error) == RpcErrorClass::kRateLimited; }

bool is_range_error(const RpcError& error) { return classify_rpc_error(error) == RpcErrorClass::kRangeTooLarge; }

EventFeed::EventFeed(EthClient& eth, FeedOptions options, FeedCursor cursor)
    : eth_(eth), options_(std::move(options)), cursor_(std::move(cursor)) {
    assert(options_.max_block_range >= 1 && options_.history >= 1);
}

Result<std::vector<Log>> EventFeed::read_logs(std::uint64_t from, std::uint64_t to, unsigned depth) {
    LogFilter filter;
    filter.from_block = BlockTag::number(from);
    filter.to_block = BlockTag::number(to);
    filter.addresses = options_.addresses;
    filter.topics = options_.topics;
    auto logs = eth_.get_logs(filter);
    if (logs) return std::move(*logs);
    if (from == to || !is_range_error(logs.error()) || depth >= 64) {
        return make_error(logs.error().to_error().with_context("event feed: eth_getLogs blocks " +
                                                               std::to_string(from) + ".." + std::to_string(to)));
    }
    const std::uint64_t mid = from + (to - from) / 2;
    WP_TRY(auto left, read_logs(from, mid, depth + 1));
    WP_TRY(auto right, read_logs(mid + 1, to, depth + 1));
    left.insert(left.end(), std::make_move_iterator(right.begin()), std::make_move_iterator(right.end()));
    return left;
}

Result<FeedBatch> EventFeed::poll() {
    auto head_number = eth_.block_number();
    if (!head_number) return make_error(head_number.error().to_error());
    FeedBatch batch;
    batch.head = *head_number;
    FeedCursor cur = cursor_;
    JsonRpcClient& rpc = eth_.rpc();

    // 1. Is the last block read still on the chain? If not, roll back to the common ancestor.
    if (!cur.recent_hashes.empty()) {
        const std::uint64_t last = cur.next_block - 1;
        std::optional<BlockHeader> h;
        if (batch.head >= last) {
            WP_TRY(auto last_header, fetch_headers(rpc, {last}));
            h = last_header[last];
        }
        if (!h) {
            // The node is behind the cursor (a lagging load-balanced backend, a restarted node): not a reorg.
            batch.from_block = cur.next_block;
            batch.caught_up = true;
            batch.retry = true;
            batch.cursor = cur;
            return batch;
        }
        if (h->hash != cur.recent_hashes.back()) {
            const std::uint64_t first = cur.next_block - cur.recent_hashes.size();
            std::vector<std::uint64_t> numbers;
            for (std::uint64_t n = first; n < last; ++n) numbers.push_back(n);
            WP_TRY(auto headers, fetch_headers(rpc, numbers));
            std::optional<std::size_t> keep;  // number of stored hashes still valid
            for (std::size_t i = numbers.size(); i-- > 0;) {
                const auto& header = headers[numbers[i]];
                if (header && header->hash == cur.recent_hashes[i]) {
                    keep = i + 1;
                    break;
                }
            }
            if (!keep) {
                return make_error(Errc::kUnsupported,
                                  "event feed: reorg deeper than the stored history: the hashes of blocks " +
                                      std::to_string(first) + ".." + std::to_string(last) + " (" +
                                      std::to_string(cur.recent_hashes.size()) + " blocks) all changed");
            }
            cur.recent_hashes.resize(*keep);
            cur.next_block = first + *keep;
            batch.rollback_from = cur.next_block;
        }
    }

    // 2. The next range up to the confirmed head.
    const std::uint64_t from = cur.next_block;
    batch.from_block = from;
    if (batch.head < options_.confirmations || batch.head - options_.confirmations < from) {
        batch.caught_up = true;
        batch.cursor = cur;
        cursor_ = cur;
        return batch;
    }
    const std::uint64_t target = batch.head - options_.confirmations;
    const std::uint64_t to = target - from >= options_.max_block_range ? from + options_.max_block_range - 1 : target;

    auto moved = [&] {
        batch.retry = true;
        batch.cursor = cur;
        cursor_ = cur;
        return batch;
    };

    // 3. Headers BEFORE the logs: the parent link of `from` and the last K blocks of the range (ending at `to`).
    const bool fresh = cur.recent_hashes.empty() && from > 0;
    const std::uint64_t tail_first = to - from >= options_.history ? to - options_.history + 1 : from;
    std::vector<std::uint64_t> numbers;
    if (fresh) numbers.push_back(from - 1);
    numbers.push_back(from);
    for (std::uint64_t n = tail_first; n <= to; ++n) numbers.push_back(n);
    numbers.erase(std::unique(numbers.begin(), numbers.end()), numbers.end());
    WP_TRY(auto headers, fetch_headers(rpc, numbers));
    for (const auto& [n, h] : headers) {
        if (!h) return moved();  // a block at or below the head vanished: the chain is being reorganised
    }
    const Bytes32 from_parent = headers[from]->parent_hash;
    if (!cur.recent_hashes.empty() && from_parent != cur.recent_hashes.back()) return moved();
    if (fresh && from_parent != headers[from - 1]->hash) return moved();
    for (std::uint64_t n = tail_first + 1; n <= to; ++n) {
        if (headers[n]->parent_hash != headers[n - 1]->hash) return moved();
    }
    const Bytes32 to_hash = headers[to]->hash;

    // 4. The logs.
    WP_TRY(auto logs, read_logs(from, to, 0));
    std::erase_if(logs, [](const Log& l) { return l.removed; });
    for (const auto& l : logs) {
        if (l.block_number < from || l.block_number > to) {
            return make_error(Errc::kDecoding, "event feed: eth_getLogs blocks " + std::to_string(from) + ".." +
                                                   std::to_string(to) + " returned a log of block " +
                                                   std::to_string(l.block_number));
        }
    }
    std::stable_sort(logs.begin(), logs.end(), [](const Log& a, const Log& b) {
        return a.block_number != b.block_number ? a.block_number < b.block_number : a.log_index < b.log_index;
    });

    // 5. Headers AFTER the logs: `to` must be unchanged (so are its ancestors, the blocks read), and every log's
    //    block hash must be the hash of its block on that chain.
    std::vector<std::uint64_t> after{to};
    for (const auto& l : logs) {
        if (l.block_number < tail_first) after.push_back(l.block_number);
    }
    std::sort(after.begin(), after.end());
    after.erase(std::unique(after.begin(), after.end()), after.end());
    WP_TRY(auto after_headers, fetch_headers(rpc, after));
    for (const auto& [n, h] : after_headers) {
        if (!h) return moved();
    }
    if (after_headers[to]->hash != to_hash) return moved();
    for (const auto& l : logs) {
        const auto& h = l.block_number < tail_first ? after_headers[l.block_number] : headers[l.block_number];
        if (h->hash != l.block_hash) return moved();
    }

    // 6. Advance.
    if (tail_first != from) cur.recent_hashes.clear();
    if (fresh && tail_first == from) cur.recent_hashes.push_back(headers[from - 1]->hash);
    for (std::uint64_t n = tail_first; n <= to; ++n) cur.recent_hashes.push_back(headers[n]->hash);
    if (cur.recent_hashes.size() > options_.history) {
        cur.recent_hashes.erase(cur.recent_hashes.begin(),
                                cur.recent_hashes.end() - static_cast<std::ptrdiff_t>(options_.history));
    }
    cur.next_block = to + 1;
    batch.logs = std::move(logs);
    batch.block_count = to - from + 1;
    batch.caught_up = to == target;
    batch.cursor = cur;
    cursor_ = cur;
    return batch;
}

}  // namespace wp::chain
