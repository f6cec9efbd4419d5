#pragma once
// JsonRpcClient: JSON-RPC 2.0 (https://www.jsonrpc.org/specification) over net::HttpClient POST requests.
//
// - call(method, params) sends {"jsonrpc":"2.0","id":N,"method":...,"params":[...]} and returns `result`.
//   The response must be an object with "jsonrpc":"2.0", the same id, and exactly one of result / error.
// - batch(calls) sends one JSON array; the answers are matched to the calls by id (any order); every id must
//   be answered exactly once (a missing answer is an error for that call, an unknown or duplicate id fails
//   the batch). An empty batch returns an empty vector without a request.
// - Errors are RpcError values. A JSON-RPC error object becomes kind Errc::kRemote with its code, message
//   and data (revert data for eth_call / eth_estimateGas), and keeps the HTTP status it came with (http_status
//   is set whenever the answer's status was not 200, e.g. a provider's 429 whose body is a JSON-RPC error).
// - Retries with exponential back-off: an exchange is sent again when classify_rpc_error (below) says
//   kTransient or kRateLimited for its outcome: transport failures (Errc::kNetwork / kTimeout from the HTTP
//   client: refused, reset, DNS, TLS, timeout), HTTP 408 / 429 / 5xx answers whatever their body, and a single
//   JSON-RPC error object that is a rate limit (e.g. -32005 "project ID request rate exceeded"). Other JSON-RPC
//   error objects (reverts, invalid params, nonce too low, range errors...) are NEVER retried, nor are the
//   per-call errors inside a batch answered with HTTP 200. Attempt k (k >= 2) waits
//   min(initial_backoff * multiplier^(k-2), max_backoff) first. Other HTTP statuses, malformed responses
//   (Errc::kDecoding) and size-limit hits (Errc::kTooLarge) fail at once. Note that a retried
//   eth_sendRawTransaction may answer "already known": callers treat that as sent.
// - The async variants call back on the HTTP client's I/O thread (see net/http_client.hpp); the client's
//   state is shared with in-flight calls, so a JsonRpcClient may be destroyed while calls are pending: each
//   still completes exactly once (the HTTP exchange in progress finishes or times out; no further retries).
// - The sync variants must not be called from that I/O thread (they return Errc::kInvalidArgument).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/net/http.hpp>

namespace wp::net {
class HttpClient;
}

namespace wp::chain {

//! Why a JSON-RPC call failed.
struct RpcError {
    //! Errc::kRemote: the server answered with a JSON-RPC error object (code, rpc_message, data are set).
    //! Errc::kNetwork / kTimeout: transport failure after the retries (http_status set for HTTP errors).
    //! Errc::kTooLarge: the response exceeded the size limit. Errc::kDecoding: not a valid JSON-RPC response
    //! or an unexpected result shape. Errc::kInvalidArgument: bad use (e.g. sync call from the I/O thread).
    Errc kind{Errc::kNetwork};
    //! Human message, starting with the method: "eth_call: JSON-RPC error 3: execution reverted (data 0x...)".
    std::string message;
    std::int64_t code{0};     //!< JSON-RPC error code (kind == kRemote)
    std::string rpc_message;  //!< JSON-RPC error message (kind == kRemote)
    boost::json::value data;  //!< JSON-RPC error data, null when absent (kind == kRemote)
    //! HTTP status of the answer when it was not 200: set for HTTP errors (kind kNetwork) and for JSON-RPC error
    //! objects that came with an error status (kind kRemote, e.g. a 429 with a JSON-RPC body).
    std::optional<unsigned> http_status;
    unsigned attempts{1};  //!< HTTP attempts made

    bool is_rpc_error() const { return kind == Errc::kRemote; }
    //! The revert data of a JSON-RPC error: `data` when it is a 0x hex string, else data.data when that is
    //! (some nodes nest it); nullopt when there is none or it is not valid hex.
    std::optional<Bytes> revert_data() const;
    Error to_error() const { return Error{kind, message}; }
    //! Lets WP_TRY propagate an RpcError into a Result<T> function.
    operator Error() const { return to_error(); }  // NOLINT(google-explicit-constructor)
};

template <class T>
using RpcResult = tl::expected<T, RpcError>;

//! What a failed JSON-RPC exchange means for the caller: the ONE classification of the chain module (the JSON-RPC
//! client's retries, EventFeed's range splitting, TxManager's send outcomes all use it).
enum class RpcErrorClass {
    kTransient,      //!< transport or gateway trouble: the request may or may not have been processed; ask again
    kRateLimited,    //!< the provider refused to process the request for now: ask again after a back-off
    kRangeTooLarge,  //!< the answer would be too big (eth_getLogs range, response size): ask for less
    kRejected,       //!< the node processed and refused the call, or the answer is unusable: asking again is useless
};

//! "transient", "rate-limited", "range-too-large", "rejected".
const char* to_string(RpcErrorClass c);

//! Classifies an RpcError. Rules, first match wins (messages are compared case-insensitively, as substrings):
//!   1. http_status == 429 (whatever the body: a JSON-RPC error object or not)                 -> kRateLimited
//!   2. kind kNetwork / kTimeout: no HTTP status (refused, reset, DNS, TLS, timeout), or HTTP 408 or 5xx
//!                                                                                               -> kTransient
//!      any other HTTP status (400, 401, 403, 404...)                                           -> kRejected
//!   3. kind kTooLarge (the response exceeded JsonRpcOptions::max_response_bytes)               -> kRangeTooLarge
//!   4. any other kind than kRemote (kDecoding, kInvalidArgument...)                            -> kRejected
//!   kind kRemote (a JSON-RPC error object):
//!   5. a revert (is_revert, revert.hpp), whatever its reason string says                       -> kRejected
//!   6. code 429, or a message containing "rate limit", "rate-limit", "ratelimit", "rate exceeded",
//!      "too many requests", "request limit", "request count", "compute units", "throughput", "quota", or both
//!      "exceed" and "capacity" (Infura's -32005 "project ID request rate exceeded", Alchemy's 429 "exceeded its
//!      compute units per second capacity", QuickNode's -32007 "request limit reached")           -> kRateLimited
//!   7. http_status 502, 503 or 504 (a gateway answered for the node)                           -> kTransient
//!   8. a message containing "too many" (results, logs, blocks), "range", "more than", "response size",
//!      "too large" or "results" ("query returned more than 10000 results", "block range is too wide",
//!      "Log response size exceeded", "exceed maximum block range")                              -> kRangeTooLarge
//!   9. code -32005 (EIP-1474 "limit exceeded") or a message containing "limit exceeded" (a provider's limit that
//!      none of the above names)                                                                 -> kRateLimited
//!  10. anything else (invalid params, nonce too low, insufficient funds, method not found...)  -> kRejected
//! Pure function; thread-safe.
RpcErrorClass classify_rpc_error(const RpcError& error);

//! classify_rpc_error(error) is kTransient or kRateLimited: the same request may succeed later.
inline bool is_retryable(RpcErrorClass c) { return c == RpcErrorClass::kTransient || c == RpcErrorClass::kRateLimited; }

struct RetryPolicy {
    unsigned max_attempts{4};  //!< total HTTP attempts, >= 1 (1 disables retries)
    std::chrono::milliseconds initial_backoff{100};
    std::chrono::milliseconds max_backoff{std::chrono::seconds(2)};
    unsigned multiplier{2};
};

struct JsonRpcOptions {
    std::string url;                                              //!< the endpoint, e.g. http://127.0.0.1:8545
    std::chrono::milliseconds timeout{std::chrono::seconds(30)};  //!< per HTTP attempt
    std::size_t max_response_bytes{std::size_t{64} << 20};
    RetryPolicy retry{};
    net::HttpHeaders headers{};  //!< extra headers on every request (e.g. an API key)
};

struct RpcCall {
    std::string method;
    boost::json::array params{};
};

class JsonRpcClient {
  public:
    using Callback = std::function<void(RpcResult<boost::json::value>)>;
    using BatchResult = RpcResult<std::vector<RpcResult<boost::json::value>>>;
    using BatchCallback = std::function<void(BatchResult)>;

    //! Uses `http` when given (to share one HttpClient between clients, or to configure TLS: ca_file, verify_tls),
    //! else creates its own with the default options.
    explicit JsonRpcClient(JsonRpcOptions options, std::shared_ptr<net::HttpClient> http = nullptr);
    ~JsonRpcClient();
    JsonRpcClient(const JsonRpcClient&) = delete;
    JsonRpcClient& operator=(const JsonRpcClient&) = delete;

    RpcResult<boost::json::value> call(std::string_view method, boost::json::array params = {});
    void async_call(std::string method, boost::json::array params, Callback done);
    std::future<RpcResult<boost::json::value>> call_future(std::string method, boost::json::array params = {});

    //! One HTTP request for all calls; the outer error is for the whole exchange, the inner ones per call.
    BatchResult batch(std::vector<RpcCall> calls);
    void async_batch(std::vector<RpcCall> calls, BatchCallback done);

    const JsonRpcOptions& options() const;
    net::HttpClient& http();

  private:
    struct State;
    std::shared_ptr<State> state_;
};

//! The default limit of calls per JSON-RPC batch of the batched reads (batch_chunked, EthClient::call_batch, the
//! Hub's batched views, match_facts_from_chain): providers cap batch sizes (QuickNode and many public endpoints at
//! 100, Alchemy at 1000; geth's default batch-request-limit is 1000; anvil has none), and one huge batch is one
//! huge response. Above the limit the calls go out in several batches.
inline constexpr std::size_t kMaxCallsPerBatch = 100;

//! Sends `calls` in JSON-RPC batches of at most max_batch (>= 1, asserted) calls, one batch after the other, and
//! returns one result per call, in order. A batch whose exchange fails as a whole (transport, HTTP status, a
//! non-array answer) gives each of its calls that error; the other batches are still sent. Not from the HTTP I/O
//! thread (as JsonRpcClient::batch).
std::vector<RpcResult<boost::json::value>> batch_chunked(JsonRpcClient& rpc, std::vector<RpcCall> calls,
                                                         std::size_t max_batch = kMaxCallsPerBatch);

//! Parses one JSON-RPC response object for request id `id` (exposed for tests and the in-process transport):
//! the result, or an RpcError (kRemote for an error object, kDecoding for a malformed response).
RpcResult<boost::json::value> parse_rpc_response(const boost::json::value& response, std::uint64_t id,
                                                 std::string_view method);

}  // namespace wp::chain
