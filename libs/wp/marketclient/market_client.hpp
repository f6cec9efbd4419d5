#pragma once
// Module marketclient (below cli and scheduler): the market API client shared by the user's CLI (`iexec order …`,
// `orderbook …`) and the core's order publishing policy. Depends on net, protocol, codec, crypto, core; not on chain.
//
// MarketClient: the client of an iexec-market-api 7.1.2 compatible market (ours, `iexec-pool market`, or the
// reference), as the iExec SDK 9.0.1 talks to it (sdk-cli-and-market.md §5, §7): the same routes, query keys
// (sorted alphabetically, absent options omitted, strict flags always sent), bodies and Authorization header.
//
// Authentication (§5.2): before each POST / PUT the client fetches GET /challenge?address&chainId, checks that the
// answer is EIP-712 typed data, signs its digest with the wallet key (codec/eip712.hpp, deterministic: equal to
// ethers' signTypedData) and sends `Authorization: <digest>_<signature>_<checksummed address>` (lowercase hex),
// exactly what service::ChallengeAuth::verify accepts. A challenge is used once.
//
// Errors (wp::Error, messages as the SDK writes them, so users and scripts see the same texts):
//  - transport failure (refused, DNS, TLS, reset): Errc::kNetwork
//      "Market API error: Connection to <url> failed with a network error (<detail>)";
//  - no answer within the deadline: Errc::kTimeout
//      "Market API error: Connection to <url> timed out after <n> ms" (the SDK waits forever: we fail fast);
//  - 5xx: Errc::kRemote "Market API error: Server at <url> encountered an internal error (<status>)";
//  - a body that is not JSON (Content-Type or content): Errc::kDecoding "The http response is not of JSON type";
//  - a JSON 4xx: Errc::kRemote "API error: <the body's error field>" (or "API error: <status>" without one), e.g.
//    "API error: workerpoolorder not found" for a 404;
//  - a 2xx JSON answer without `"ok":true`: Errc::kRemote "API error: the market answered without ok:true";
//  - an answer whose shape is not the documented one (e.g. `published` missing): Errc::kDecoding naming the field.
// <url> is the market base URL (chain.json iexecGateway).
//
// The pure parts (query strings, answer decoders, the Authorization value) are in market_client_codec.cpp, which has
// no network code, so that the decoders of what a market answers are fuzzed (market_client_fuzz.cpp).
//
// Thread safety: a MarketClient may be used from several threads (its HttpClient is thread-safe; it holds no other
// mutable state). It is movable, not copyable.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/order.hpp>

namespace wp::net {
class HttpClient;
}

namespace wp::marketclient {

struct MarketClientOptions {
    std::string url;  //!< base URL, e.g. "http://127.0.0.1:3000" (a trailing '/' is ignored)
    std::uint64_t chain_id{0};
    std::chrono::milliseconds connect_timeout{std::chrono::seconds(5)};
    std::chrono::milliseconds request_timeout{std::chrono::seconds(20)};
    std::string user_agent{"iexec-cli"};  //!< the User-Agent header (the core sends "iexec-pool-core")
};

//! An address filter that also accepts "any" (the market's addressOrAny). Build with parse_address_or_any.
struct AddressOrAny {
    bool any{false};
    Address address{};
    //! "any" or the checksummed address: the query value.
    std::string to_query() const;
    friend bool operator==(const AddressOrAny&, const AddressOrAny&) = default;
};

//! "any" (exactly) or an address in any case; `name` labels the error:
//! `<name> "<text>" is neither "any" nor a valid ethereum address`.
Result<AddressOrAny> parse_address_or_any(std::string_view name, std::string_view text);

//! A restriction filter of an orderbook query: omitted = public orders only (restrict 0x0); "any" = no filter;
//! an address = restrict 0x0 or that address, or that address only when `strict` (the isXStrict flag).
struct RestrictQuery {
    std::optional<AddressOrAny> value;
    bool strict{false};
};

//! pageIndex (0-based) and pageSize (10..1000 on the market; the SDK sends 20).
struct PageQuery {
    std::uint64_t index{0};
    std::uint64_t size{20};
};

//! GET /workerpoolorders (fetchWorkerpoolOrderbook).
struct WorkerpoolOrderbookQuery {
    std::optional<AddressOrAny> workerpool;
    std::optional<Address> workerpool_owner;
    std::optional<U256> category;
    RestrictQuery app, dataset, requester;
    std::optional<Bytes32> min_tag, max_tag;
    std::optional<U256> min_trust;   //!< sent when set and non-zero (the SDK omits 0)
    std::optional<U256> min_volume;  //!< sent when set and non-zero
    PageQuery page;
};

//! GET /apporders (fetchAppOrderbook): app or app_owner is required by the market.
struct AppOrderbookQuery {
    std::optional<AddressOrAny> app;
    std::optional<AddressOrAny> app_owner;
    RestrictQuery dataset, workerpool, requester;
    std::optional<Bytes32> min_tag, max_tag;
    std::optional<U256> min_volume;
    PageQuery page;
};

//! GET /datasetorders (fetchDatasetOrderbook): dataset or dataset_owner is required by the market.
struct DatasetOrderbookQuery {
    std::optional<AddressOrAny> dataset;
    std::optional<AddressOrAny> dataset_owner;
    RestrictQuery app, workerpool, requester;
    std::optional<Bytes32> min_tag, max_tag;
    std::optional<U256> min_volume;
    bool bulk_only{false};
    PageQuery page;
};

//! GET /requestorders (fetchRequestOrderbook). workerpool follows the restrict semantics (isWorkerpoolStrict).
struct RequestOrderbookQuery {
    std::optional<AddressOrAny> requester, beneficiary, app, dataset;
    RestrictQuery workerpool;
    std::optional<U256> category;
    std::optional<Bytes32> min_tag, max_tag;
    std::optional<U256> max_trust;
    std::optional<U256> min_volume;
    PageQuery page;
};

//! GET /deals (fetchDealsByApporder…, `order show --deals`).
struct DealsQuery {
    std::optional<U256> category;
    std::optional<Address> requester, beneficiary, app, dataset, workerpool;
    std::optional<Address> app_owner, dataset_owner, workerpool_owner;
    std::optional<Bytes32> apporder_hash, datasetorder_hash, workerpoolorder_hash, requestorder_hash;
    PageQuery page;
};

//! GET /categories.
struct CategoriesQuery {
    std::optional<U256> min_work_clock_time_ref, max_work_clock_time_ref;
    PageQuery page;
};

//! A published order as the market returns it: the decoded fields, and the document itself (numbers as the market
//! wrote them: JSON numbers up to 2^53 − 1), which --raw outputs print unchanged.
struct PublishedOrder {
    Bytes32 order_hash;
    Order order;         //!< with salt and sign
    std::string status;  //!< open | filled | canceled | dead
    U256 remaining;
    std::optional<Address> signer;      //!< absent in some reference documents
    std::string publication_timestamp;  //!< ISO 8601
    boost::json::object document;
};

//! One page of an orderbook: count = all matches; next_page present only when the page is full.
struct OrderbookPage {
    std::vector<PublishedOrder> orders;
    std::uint64_t count{0};
    std::optional<std::uint64_t> next_page;
};

//! One page of /deals or /categories: the documents as returned.
struct DocumentPage {
    boost::json::array items;
    std::uint64_t count{0};
    std::optional<std::uint64_t> next_page;
};

//! Decodes a market order document ({orderHash, order, remaining, status, ...}) of `kind`. Errors
//! (Errc::kDecoding) name the member: "workerpoolorder document: missing \"orderHash\"".
Result<PublishedOrder> published_order_from_json(OrderKind kind, const boost::json::value& document);

//! The answer of a search ({ok, orders, count, nextPage?}) of `kind`; of /deals or /categories ({ok, <member>, count,
//! nextPage?}); of an unpublish ({ok, unpublished:[hash…]}). Errors (Errc::kDecoding) name the member.
Result<OrderbookPage> orderbook_page_from_json(OrderKind kind, const boost::json::object& answer);
Result<DocumentPage> document_page_from_json(std::string_view member, const boost::json::object& answer);
Result<std::vector<Bytes32>> unpublished_from_json(const boost::json::object& answer);

//! The query string (without '?') of each search, keys sorted as the SDK sends them. Exposed for tests.
std::string to_query_string(std::uint64_t chain_id, const WorkerpoolOrderbookQuery& query);
std::string to_query_string(std::uint64_t chain_id, const AppOrderbookQuery& query);
std::string to_query_string(std::uint64_t chain_id, const DatasetOrderbookQuery& query);
std::string to_query_string(std::uint64_t chain_id, const RequestOrderbookQuery& query);
std::string to_query_string(std::uint64_t chain_id, const DealsQuery& query);
std::string to_query_string(std::uint64_t chain_id, const CategoriesQuery& query);

//! The Authorization header value for a challenge document (the `data` of GET /challenge): its EIP-712 digest,
//! the key's signature and the key's address, '_'-joined. Errors: a document that is not typed data
//! (Errc::kDecoding "Failed to get authorization: <reason>").
Result<std::string> challenge_authorization(const boost::json::value& typed_data, const PrivateKey& key);

class MarketClient {
  public:
    //! Checks the URL (Errc::kInvalidArgument "iexecGateway: <reason>"); opens no connection.
    static Result<MarketClient> create(MarketClientOptions options);
    ~MarketClient();
    MarketClient(MarketClient&&) noexcept;
    MarketClient& operator=(MarketClient&&) noexcept;

    const MarketClientOptions& options() const { return options_; }

    //! GET /version → "7.1.2".
    Result<std::string> version();
    //! GET /challenge?address&chainId → the typed-data document (`data`).
    Result<boost::json::value> challenge(const Address& address);
    //! challenge() then challenge_authorization().
    Result<std::string> authorization(const PrivateKey& key);

    //! POST /<kind>orders {order}: the published document. `order` must be signed (orders.json form).
    Result<PublishedOrder> publish(const Order& order, const PrivateKey& key);
    //! PUT /<kind>orders target unpublish_orderHash: the unpublished hashes.
    Result<std::vector<Bytes32>> unpublish_hash(OrderKind kind, const Bytes32& order_hash, const PrivateKey& key);
    //! PUT target unpublish_last / unpublish_all for the resource: the body key is app, dataset, workerpool or, for
    //! request orders, requester.
    Result<std::vector<Bytes32>> unpublish_last(OrderKind kind, const Address& resource, const PrivateKey& key);
    Result<std::vector<Bytes32>> unpublish_all(OrderKind kind, const Address& resource, const PrivateKey& key);

    //! GET /<kind>orders/<hash>. A 404 is an error "API error: <kind>order not found" (Errc::kRemote).
    Result<PublishedOrder> order(OrderKind kind, const Bytes32& order_hash);

    Result<OrderbookPage> workerpool_orders(const WorkerpoolOrderbookQuery& query);
    Result<OrderbookPage> app_orders(const AppOrderbookQuery& query);
    Result<OrderbookPage> dataset_orders(const DatasetOrderbookQuery& query);
    Result<OrderbookPage> request_orders(const RequestOrderbookQuery& query);
    Result<DocumentPage> deals(const DealsQuery& query);
    Result<DocumentPage> categories(const CategoriesQuery& query);

    //! The raw exchange: METHOD <url><path_and_query> with an optional JSON body and Authorization; returns the
    //! JSON body of a 2xx answer whose `ok` is true (errors as in the header comment).
    Result<boost::json::object> call(std::string_view method, std::string_view path_and_query,
                                     const std::optional<boost::json::object>& body = std::nullopt,
                                     const std::optional<std::string>& authorization = std::nullopt);

  private:
    MarketClient(MarketClientOptions options, std::unique_ptr<net::HttpClient> http);
    Result<std::vector<Bytes32>> unpublish(OrderKind kind, boost::json::object body, const PrivateKey& key);
    Result<OrderbookPage> search(OrderKind kind, const std::string& query);
    Result<DocumentPage> documents(std::string_view route, std::string_view member, const std::string& query);

    MarketClientOptions options_;
    std::unique_ptr<net::HttpClient> http_;
};

}  // namespace wp::marketclient
