#include "unix_http_client.hpp"

#include <sys/un.h>
#include <array>
#include <exception>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace wp::net {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local = asio::local::stream_protocol;
using Stream = beast::basic_stream<local>;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kChunk = 16 * 1024;
constexpr std::size_t kMaxSocketPath = sizeof(sockaddr_un::sun_path) - 1;

bool valid_target(std::string_view target) {
    if (target.empty() || target.front() != '/') return false;
    for (char c : target)
        if (c <= 0x20 || c >= 0x7f) return false;
    return true;
}

struct Call {
    const UnixHttpClientOptions& options;
    const HttpRequest& req;
    const UnixHttpClient::BodySink& sink;
    std::size_t limit;
    std::chrono::milliseconds timeout;

    std::string describe() const { return req.method + " unix:" + options.socket_path + req.url + ": "; }

    tl::unexpected<Error> io_error(const beast::error_code& ec, std::string_view stage) const {
        if (ec == beast::error::timeout)
            return make_error(Errc::kTimeout, describe() + std::string(stage) + " timed out (limit " +
                                                  std::to_string(timeout.count()) + " ms)");
        if (ec == http::error::header_limit)
            return make_error(Errc::kTooLarge, describe() + "response headers larger than 64 KiB");
        if (ec == http::error::body_limit) return too_large();
        return make_error(Errc::kNetwork, describe() + std::string(stage) + ": " + ec.message());
    }

    tl::unexpected<Error> too_large() const {
        return make_error(Errc::kTooLarge,
                          describe() + "response body larger than " + std::to_string(limit) + " bytes");
    }

    asio::awaitable<Result<HttpResponse>> run() {
        const auto verb = http::string_to_verb(req.method);
        if (verb == http::verb::unknown)
            co_return make_error(Errc::kInvalidArgument, describe() + "unknown HTTP method");
        const auto deadline = Clock::now() + timeout;
        auto executor = co_await asio::this_coro::executor;
        Stream stream(executor);

        stream.expires_at(std::min(deadline, Clock::now() + options.connect_timeout));
        auto [cec] = co_await stream.async_connect(local::endpoint(options.socket_path), kTuple);
        if (cec) co_return io_error(cec, "connect");

        http::request<http::string_body> message{verb, req.url, 11};
        message.set(http::field::host, options.host);
        message.set(http::field::user_agent, options.user_agent);
        for (const auto& [name, value] : req.headers) message.insert(name, value);
        message.body() = req.body;
        message.keep_alive(false);
        message.prepare_payload();
        stream.expires_at(deadline);
        auto [wec, written] = co_await http::async_write(stream, message, kTuple);
        (void)written;
        if (wec) co_return io_error(wec, "write");

        beast::flat_buffer buffer;
        http::response_parser<http::buffer_body> parser;
        parser.header_limit(64 * 1024);
        parser.body_limit(boost::none);  // enforced below, on the decoded bytes
        if (verb == http::verb::head) parser.skip(true);
        auto [hec, hread] = co_await http::async_read_header(stream, buffer, parser, kTuple);
        (void)hread;
        if (hec) co_return io_error(hec, "read");

        HttpResponse response;
        response.status = parser.get().result_int();
        for (const auto& field : parser.get())
            response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));

        std::array<char, kChunk> chunk{};
        std::size_t total = 0;
        while (!parser.is_done()) {
            parser.get().body().data = chunk.data();
            parser.get().body().size = chunk.size();
            auto [rec, n] = co_await http::async_read(stream, buffer, parser, kTuple);
            (void)n;
            if (rec == http::error::need_buffer) rec = {};
            if (rec) co_return io_error(rec, "read");
            const std::size_t got = chunk.size() - parser.get().body().size;
            if (got == 0) continue;
            total += got;
            if (total > limit) co_return too_large();
            if (!sink(std::string_view(chunk.data(), got))) break;
        }
        beast::error_code ignored;
        stream.socket().shutdown(local::socket::shutdown_both, ignored);
        co_return response;
    }
};

Result<HttpResponse> perform(const UnixHttpClientOptions& options, const HttpRequest& req,
                             const UnixHttpClient::BodySink& sink) {
    const std::string prefix = req.method + " unix:" + options.socket_path + req.url + ": ";
    if (options.socket_path.empty()) return make_error(Errc::kInvalidArgument, prefix + "socket path is empty");
    if (options.socket_path.size() > kMaxSocketPath)
        return make_error(Errc::kInvalidArgument,
                          prefix + "socket path longer than " + std::to_string(kMaxSocketPath) + " bytes");
    if (!valid_target(req.url))
        return make_error(Errc::kInvalidArgument,
                          prefix + "target must start with '/' and hold printable ASCII without spaces");
    Call call{options, req, sink, req.max_response_bytes.value_or(options.max_response_bytes),
              req.timeout.value_or(options.request_timeout)};
    asio::io_context io(1);
    std::optional<Result<HttpResponse>> out;
    asio::co_spawn(io, call.run(), [&out](std::exception_ptr e, Result<HttpResponse> r) {
        if (e) {
            try {
                std::rethrow_exception(e);
            } catch (const std::exception& ex) {
                r = make_error(Errc::kNetwork, std::string("unix HTTP client: ") + ex.what());
            } catch (...) {
                r = make_error(Errc::kNetwork, "unix HTTP client: unknown exception");
            }
        }
        out = std::move(r);
    });
    io.run();
    if (!out) return make_error(Errc::kNetwork, prefix + "request did not complete");
    return std::move(*out);
}

}  // namespace

UnixHttpClient::UnixHttpClient(UnixHttpClientOptions options) : options_(std::move(options)) {}

Result<HttpResponse> UnixHttpClient::request(const HttpRequest& request) const {
    std::string body;
    auto r = perform(options_, request, [&body](std::string_view chunk) {
        body.append(chunk);
        return true;
    });
    if (r) r->body = std::move(body);
    return r;
}

Result<HttpResponse> UnixHttpClient::request_streaming(const HttpRequest& request, const BodySink& sink) const {
    return perform(options_, request, sink);
}

Result<HttpResponse> UnixHttpClient::get(std::string_view target) const {
    return request(HttpRequest{.method = "GET", .url = std::string(target)});
}

Result<HttpResponse> UnixHttpClient::post_json(std::string_view target, std::string body) const {
    return request(HttpRequest{.method = "POST",
                               .url = std::string(target),
                               .headers = {{"Content-Type", "application/json"}},
                               .body = std::move(body)});
}

Result<HttpResponse> UnixHttpClient::del(std::string_view target) const {
    return request(HttpRequest{.method = "DELETE", .url = std::string(target)});
}

}  // namespace wp::net
