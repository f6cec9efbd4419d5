#include "rpc.hpp"

#include <algorithm>
#include <atomic>
#include <cassert>
#include <cctype>
#include <map>
#include <mutex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <wp/core/hex.hpp>
#include <wp/net/http_client.hpp>

#include "revert.hpp"
#include "rpc_metrics.hpp"

namespace wp::chain {
namespace json = boost::json;

namespace {

RpcError make_rpc_error(Errc kind, std::string message) {
    RpcError e;
    e.kind = kind;
    e.message = std::move(message);
    return e;
}

std::string truncate(std::string_view s, std::size_t n = 200) {
    if (s.size() <= n) return std::string(s);
    return std::string(s.substr(0, n)) + "...";
}

bool contains_ci(std::string_view haystack, std::string_view needle) {
    auto it = std::search(haystack.begin(), haystack.end(), needle.begin(), needle.end(), [](char a, char b) {
        return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    return it != haystack.end();
}

bool contains_any_ci(std::string_view haystack, std::initializer_list<std::string_view> needles) {
    return std::any_of(needles.begin(), needles.end(), [&](std::string_view n) { return contains_ci(haystack, n); });
}

// The JSON-RPC error of a single-response body ({"jsonrpc":"2.0","error":{code, message}} without "result"), for
// the retry decision (the id is checked later by parse_rpc_response); nullopt for anything else.
std::optional<RpcError> error_object_of(const json::value& body, std::optional<unsigned> http_status) {
    const auto* obj = body.if_object();
    if (obj == nullptr || obj->contains("result")) return std::nullopt;
    const auto* error = obj->if_contains("error");
    const auto* eobj = error != nullptr ? error->if_object() : nullptr;
    const auto* code = eobj != nullptr ? eobj->if_contains("code") : nullptr;
    const auto* msg = eobj != nullptr ? eobj->if_contains("message") : nullptr;
    if (code == nullptr || !code->is_int64() || msg == nullptr || !msg->is_string()) return std::nullopt;
    RpcError e;
    e.kind = Errc::kRemote;
    e.code = code->get_int64();
    e.rpc_message = std::string(msg->get_string());
    if (const auto* d = eobj->if_contains("data")) e.data = *d;
    e.http_status = http_status;
    return e;
}

// The process's counters (rpc_metrics.hpp: process_rpc_counts), shared by every client.
std::mutex& counts_mutex() {
    static std::mutex m;
    return m;
}
RpcCounts& counts() {
    static RpcCounts c;
    return c;
}

}  // namespace

const char* to_string(RpcErrorClass c) {
    switch (c) {
        case RpcErrorClass::kTransient: return "transient";
        case RpcErrorClass::kRateLimited: return "rate-limited";
        case RpcErrorClass::kRangeTooLarge: return "range-too-large";
        case RpcErrorClass::kRejected: return "rejected";
    }
    return "rejected";
}

RpcErrorClass classify_rpc_error(const RpcError& error) {
    if (error.http_status == 429u) return RpcErrorClass::kRateLimited;
    const auto gateway_or_server = [](unsigned status) { return status == 408 || (status >= 500 && status <= 599); };
    if (error.kind == Errc::kNetwork || error.kind == Errc::kTimeout) {
        if (!error.http_status || gateway_or_server(*error.http_status)) return RpcErrorClass::kTransient;
        return RpcErrorClass::kRejected;
    }
    if (error.kind == Errc::kTooLarge) return RpcErrorClass::kRangeTooLarge;
    if (error.kind != Errc::kRemote) return RpcErrorClass::kRejected;
    if (is_revert(error)) return RpcErrorClass::kRejected;
    const std::string_view m = error.rpc_message;
    if (error.code == 429 ||
        contains_any_ci(m, {"rate limit", "rate-limit", "ratelimit", "rate exceeded", "too many requests",
                            "request limit", "request count", "compute units", "throughput", "quota"}) ||
        (contains_ci(m, "exceed") && contains_ci(m, "capacity"))) {
        return RpcErrorClass::kRateLimited;
    }
    if (error.http_status == 502u || error.http_status == 503u || error.http_status == 504u)
        return RpcErrorClass::kTransient;
    if (contains_any_ci(m, {"too many", "range", "more than", "response size", "too large", "results"}))
        return RpcErrorClass::kRangeTooLarge;
    if (error.code == -32005 || contains_ci(m, "limit exceeded")) return RpcErrorClass::kRateLimited;
    return RpcErrorClass::kRejected;
}

std::optional<Bytes> RpcError::revert_data() const {
    const json::value* d = &data;
    if (const auto* obj = data.if_object()) {
        if (const auto* inner = obj->if_contains("data")) d = inner;
    }
    const auto* s = d->if_string();
    if (s == nullptr) return std::nullopt;
    auto bytes = from_hex(std::string_view(s->data(), s->size()));
    if (!bytes) return std::nullopt;
    return *bytes;
}

RpcResult<json::value> parse_rpc_response(const json::value& response, std::uint64_t id, std::string_view method) {
    const std::string where(method);
    const auto* obj = response.if_object();
    if (obj == nullptr)
        return tl::unexpected(make_rpc_error(Errc::kDecoding, where + ": response is not a JSON object"));
    const auto* version = obj->if_contains("jsonrpc");
    if (version == nullptr || !version->is_string() || version->get_string() != "2.0")
        return tl::unexpected(make_rpc_error(Errc::kDecoding, where + ": response lacks \"jsonrpc\":\"2.0\""));
    const auto* rid = obj->if_contains("id");
    const bool id_ok =
        rid != nullptr &&
        ((rid->is_uint64() && rid->get_uint64() == id) ||
         (rid->is_int64() && rid->get_int64() >= 0 && static_cast<std::uint64_t>(rid->get_int64()) == id));
    const auto* result = obj->if_contains("result");
    const auto* error = obj->if_contains("error");
    if (error != nullptr && result == nullptr) {
        const auto* eobj = error->if_object();
        const auto* code = eobj != nullptr ? eobj->if_contains("code") : nullptr;
        const auto* msg = eobj != nullptr ? eobj->if_contains("message") : nullptr;
        if (code == nullptr || !code->is_int64() || msg == nullptr || !msg->is_string())
            return tl::unexpected(make_rpc_error(
                Errc::kDecoding, where + ": malformed error object " + truncate(json::serialize(*error))));
        // Errors for unparsable requests carry "id": null; accept those as well as our own id.
        if (!id_ok && !(rid != nullptr && rid->is_null()))
            return tl::unexpected(make_rpc_error(
                Errc::kDecoding, where + ": response id does not match request id " + std::to_string(id)));
        RpcError e;
        e.kind = Errc::kRemote;
        e.code = code->get_int64();
        e.rpc_message = std::string(msg->get_string());
        if (const auto* d = eobj->if_contains("data")) e.data = *d;
        e.message = where + ": JSON-RPC error " + std::to_string(e.code) + ": " + e.rpc_message;
        if (!e.data.is_null()) e.message += " (data " + truncate(json::serialize(e.data)) + ")";
        return tl::unexpected(std::move(e));
    }
    if (!id_ok)
        return tl::unexpected(
            make_rpc_error(Errc::kDecoding, where + ": response id does not match request id " + std::to_string(id)));
    if (result == nullptr || error != nullptr)
        return tl::unexpected(
            make_rpc_error(Errc::kDecoding, where + ": response must have exactly one of \"result\" and \"error\""));
    return *result;
}

struct JsonRpcClient::State {
    JsonRpcOptions options;
    std::shared_ptr<net::HttpClient> http;
    std::atomic<std::uint64_t> next_id{1};
    std::atomic<bool> closed{false};  // set by ~JsonRpcClient: pending calls stop retrying

    static void count_calls(const std::vector<std::string>& methods, bool batch) {
        std::lock_guard lock(counts_mutex());
        for (const auto& m : methods) ++counts().calls[m];
        if (batch) ++counts().batches;
    }

    // The outcome of the HTTP exchange: the parsed JSON body, or the final transport / decoding error; the HTTP
    // status when it was not 200 (for the JSON-RPC errors of that body).
    using BodyCallback =
        std::function<void(RpcResult<json::value>, unsigned attempts, std::optional<unsigned> http_status)>;

    std::chrono::milliseconds backoff(unsigned attempt) const {
        // attempt >= 2: initial * multiplier^(attempt - 2), capped.
        auto delay = options.retry.initial_backoff;
        for (unsigned i = 2; i < attempt && delay < options.retry.max_backoff; ++i) delay *= options.retry.multiplier;
        return std::min(delay, options.retry.max_backoff);
    }

    static void send(const std::shared_ptr<State>& self, std::string label, std::string body, unsigned attempt,
                     BodyCallback done) {
        net::HttpRequest req;
        req.method = "POST";
        req.url = self->options.url;
        req.headers = self->options.headers;
        req.headers.emplace_back("Content-Type", "application/json");
        req.body = body;
        req.timeout = self->options.timeout;
        req.max_response_bytes = self->options.max_response_bytes;
        {
            std::lock_guard lock(counts_mutex());
            ++counts().requests;
        }
        self->http->async_request(std::move(req), [self, label = std::move(label), body = std::move(body), attempt,
                                                   done = std::move(done)](Result<net::HttpResponse> r) mutable {
            // The failure that decides whether to retry (classify_rpc_error), and what to deliver when not retrying:
            // either that failure or, for a JSON-RPC answer, the parsed body.
            RpcError failure;
            std::optional<json::value> answer;
            std::optional<unsigned> status;
            if (!r) {
                failure = make_rpc_error(r.error().code, label + ": " + r.error().message);
            } else {
                if (r->status != 200) status = r->status;
                std::error_code ec;
                json::value parsed = json::parse(r->body, ec);
                // A JSON-RPC answer under an HTTP error status is still a JSON-RPC answer (its errors keep the status).
                const bool rpc_body =
                    !ec && (parsed.is_array() || (parsed.is_object() && parsed.as_object().contains("jsonrpc") &&
                                                  parsed.as_object().contains("error")));
                if (r->status == 200 && ec) {
                    auto e = make_rpc_error(Errc::kDecoding, label + ": response is not JSON: " + ec.message());
                    e.attempts = attempt;
                    done(tl::unexpected(std::move(e)), attempt, status);
                    return;
                }
                if (r->status == 200 || rpc_body) {
                    if (auto e = error_object_of(parsed, status)) {
                        failure = std::move(*e);
                        failure.message =
                            label + ": JSON-RPC error " + std::to_string(failure.code) + ": " + failure.rpc_message;
                    } else if (status) {
                        // A batch answered under an error status: the status decides.
                        failure = make_rpc_error(Errc::kNetwork, label + ": HTTP " + std::to_string(*status));
                        failure.http_status = status;
                    } else {
                        done(std::move(parsed), attempt, status);
                        return;
                    }
                    answer = std::move(parsed);
                } else {
                    failure = make_rpc_error(Errc::kNetwork,
                                             label + ": HTTP " + std::to_string(r->status) + ": " + truncate(r->body));
                    failure.http_status = r->status;
                }
            }
            const auto finish = [&](std::string suffix) {
                if (answer) {
                    done(std::move(*answer), attempt, status);
                    return;
                }
                failure.message += suffix;
                failure.attempts = attempt;
                done(tl::unexpected(std::move(failure)), attempt, status);
            };
            if (!is_retryable(classify_rpc_error(failure))) return finish("");
            if (self->closed.load()) return finish(" (not retried: the JSON-RPC client was destroyed)");
            if (attempt >= std::max(1u, self->options.retry.max_attempts))
                return finish(attempt > 1 ? " (after " + std::to_string(attempt) + " attempts)" : "");
            auto client = self->http;
            client->run_after(self->backoff(attempt + 1), [self, label = std::move(label), body = std::move(body),
                                                           attempt, done = std::move(done)]() mutable {
                send(self, std::move(label), std::move(body), attempt + 1, std::move(done));
            });
        });
    }
};

JsonRpcClient::JsonRpcClient(JsonRpcOptions options, std::shared_ptr<net::HttpClient> http)
    : state_(std::make_shared<State>()) {
    state_->options = std::move(options);
    state_->http = http ? std::move(http) : std::make_shared<net::HttpClient>();
}

JsonRpcClient::~JsonRpcClient() { state_->closed.store(true); }

void JsonRpcClient::async_call(std::string method, json::array params, Callback done) {
    const std::uint64_t id = state_->next_id.fetch_add(1);
    json::object request;
    request["jsonrpc"] = "2.0";
    request["id"] = id;
    request["method"] = method;
    request["params"] = std::move(params);
    state_->count_calls({method}, false);
    State::send(state_, method, json::serialize(request), 1,
                [id, method, done = std::move(done)](RpcResult<json::value> body, unsigned attempts,
                                                     std::optional<unsigned> http_status) {
                    if (!body) {
                        done(std::move(body));
                        return;
                    }
                    auto r = parse_rpc_response(*body, id, method);
                    if (!r) {
                        r.error().attempts = attempts;
                        if (!r.error().http_status) r.error().http_status = http_status;
                    }
                    done(std::move(r));
                });
}

std::future<RpcResult<json::value>> JsonRpcClient::call_future(std::string method, json::array params) {
    auto promise = std::make_shared<std::promise<RpcResult<json::value>>>();
    auto future = promise->get_future();
    async_call(std::move(method), std::move(params),
               [promise](RpcResult<json::value> r) { promise->set_value(std::move(r)); });
    return future;
}

RpcResult<json::value> JsonRpcClient::call(std::string_view method, json::array params) {
    if (state_->http->in_io_thread())
        return tl::unexpected(make_rpc_error(Errc::kInvalidArgument,
                                             std::string(method) + ": synchronous call from the HTTP I/O thread"));
    return call_future(std::string(method), std::move(params)).get();
}

void JsonRpcClient::async_batch(std::vector<RpcCall> calls, BatchCallback done) {
    if (calls.empty()) {
        done(std::vector<RpcResult<json::value>>{});
        return;
    }
    json::array request;
    std::vector<std::uint64_t> ids;
    std::vector<std::string> methods;
    for (auto& c : calls) {
        const std::uint64_t id = state_->next_id.fetch_add(1);
        ids.push_back(id);
        methods.push_back(c.method);
        json::object one;
        one["jsonrpc"] = "2.0";
        one["id"] = id;
        one["method"] = c.method;
        one["params"] = std::move(c.params);
        request.push_back(std::move(one));
    }
    state_->count_calls(methods, true);
    const std::string label = "batch of " + std::to_string(calls.size());
    State::send(state_, label, json::serialize(request), 1,
                [ids = std::move(ids), methods = std::move(methods), label, done = std::move(done)](
                    RpcResult<json::value> body, unsigned attempts, std::optional<unsigned> http_status) {
                    if (!body) {
                        done(tl::unexpected(std::move(body).error()));
                        return;
                    }
                    const auto* answers = body->if_array();
                    if (answers == nullptr) {
                        // The server rejected the batch as a whole (e.g. -32600 with "id": null).
                        auto whole = parse_rpc_response(*body, 0, label);
                        RpcError e = whole ? make_rpc_error(Errc::kDecoding, label + ": response is not a JSON array")
                                           : std::move(whole).error();
                        e.attempts = attempts;
                        if (!e.http_status) e.http_status = http_status;
                        done(tl::unexpected(std::move(e)));
                        return;
                    }
                    std::map<std::uint64_t, std::size_t> index;
                    for (std::size_t i = 0; i < ids.size(); ++i) index[ids[i]] = i;
                    std::vector<std::optional<RpcResult<json::value>>> slots(ids.size());
                    for (const auto& answer : *answers) {
                        const auto* obj = answer.if_object();
                        const auto* rid = obj != nullptr ? obj->if_contains("id") : nullptr;
                        std::optional<std::uint64_t> id;
                        if (rid != nullptr && rid->is_uint64()) id = rid->get_uint64();
                        if (rid != nullptr && rid->is_int64() && rid->get_int64() >= 0)
                            id = static_cast<std::uint64_t>(rid->get_int64());
                        auto it = id ? index.find(*id) : index.end();
                        if (it == index.end() || slots[it->second]) {
                            auto e = make_rpc_error(Errc::kDecoding, label + ": answer with unknown or duplicate id " +
                                                                         truncate(json::serialize(answer), 80));
                            e.attempts = attempts;
                            done(tl::unexpected(std::move(e)));
                            return;
                        }
                        slots[it->second] = parse_rpc_response(answer, *id, methods[it->second]);
                        if (!*slots[it->second]) slots[it->second]->error().http_status = http_status;
                    }
                    std::vector<RpcResult<json::value>> out;
                    out.reserve(ids.size());
                    for (std::size_t i = 0; i < ids.size(); ++i) {
                        if (slots[i]) out.push_back(std::move(*slots[i]));
                        else
                            out.push_back(tl::unexpected(make_rpc_error(
                                Errc::kDecoding,
                                methods[i] + ": no answer for id " + std::to_string(ids[i]) + " in the batch")));
                    }
                    done(std::move(out));
                });
}

JsonRpcClient::BatchResult JsonRpcClient::batch(std::vector<RpcCall> calls) {
    if (state_->http->in_io_thread())
        return tl::unexpected(
            make_rpc_error(Errc::kInvalidArgument, "batch: synchronous call from the HTTP I/O thread"));
    auto promise = std::make_shared<std::promise<BatchResult>>();
    auto future = promise->get_future();
    async_batch(std::move(calls), [promise](BatchResult r) { promise->set_value(std::move(r)); });
    return future.get();
}

std::vector<RpcResult<json::value>> batch_chunked(JsonRpcClient& rpc, std::vector<RpcCall> calls,
                                                  std::size_t max_batch) {
    assert(max_batch >= 1);
    std::vector<RpcResult<json::value>> out;
    out.reserve(calls.size());
    for (std::size_t begin = 0; begin < calls.size(); begin += max_batch) {
        const std::size_t end = std::min(calls.size(), begin + max_batch);
        std::vector<RpcCall> chunk(std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(begin)),
                                   std::make_move_iterator(calls.begin() + static_cast<std::ptrdiff_t>(end)));
        auto answers = rpc.batch(std::move(chunk));
        for (std::size_t i = begin; i < end; ++i) {
            if (answers) out.push_back(std::move((*answers)[i - begin]));
            else out.push_back(tl::unexpected(answers.error()));
        }
    }
    return out;
}

const JsonRpcOptions& JsonRpcClient::options() const { return state_->options; }

net::HttpClient& JsonRpcClient::http() { return *state_->http; }

RpcCounts process_rpc_counts() {
    std::lock_guard lock(counts_mutex());
    return counts();
}

}  // namespace wp::chain
