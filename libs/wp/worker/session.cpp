#include "session.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/core/hex.hpp>
#include <wp/net/json_body.hpp>
#include <wp/net/websocket.hpp>

namespace wp::worker {

namespace json = boost::json;
using namespace std::chrono_literals;

std::chrono::milliseconds Backoff::next() {
    const unsigned shift = std::min(failures_, 20u);
    ++failures_;
    const auto d = initial_ * (std::int64_t{1} << shift);
    return std::min<std::chrono::milliseconds>(d, max_);
}

SchedulerSession::SchedulerSession(SessionOptions options, PrivateKey wallet)
    : options_(std::move(options)),
      wallet_(std::move(wallet)),
      clock_(options_.clock != nullptr ? *options_.clock : system_clock()),
      http_([&] {
          net::HttpClientOptions o;
          o.request_timeout = options_.request_timeout;
          o.user_agent = "iexec-pool-worker/0.1";
          return o;
      }()) {
    while (!options_.scheduler_url.empty() && options_.scheduler_url.back() == '/') options_.scheduler_url.pop_back();
}

SchedulerSession::~SchedulerSession() = default;

std::string SchedulerSession::url(std::string_view path) const {
    return options_.scheduler_url + std::string(workerapi::kPathPrefix) + std::string(path);
}

std::string SchedulerSession::result_upload_url(const Bytes32& task_id) const {
    return url("/results/" + to_hex(task_id.view()));
}

std::string SchedulerSession::bearer() const {
    std::lock_guard lock(mutex_);
    return token_;
}

namespace {
Error http_error(std::string_view method, std::string_view path, unsigned status, const std::string& body) {
    std::string msg = std::string(method) + " " + std::string(path) + ": " + std::to_string(status);
    auto parsed = net::parse_json_strict(body);
    if (parsed && parsed->is_object()) {
        if (const auto* e = parsed->as_object().if_contains("error"); e != nullptr && e->is_string())
            msg += " " + std::string(e->as_string());
    }
    return Error{status == 400 ? Errc::kInvalidArgument : Errc::kRemote, msg};
}

template <class T, class F>
Result<T> decode(std::string_view what, const std::string& body, F from_json) {
    auto parsed = net::parse_json_strict(body);
    if (!parsed) return make_error(parsed.error().with_context(what));
    auto v = from_json(*parsed);
    if (!v) return make_error(v.error().with_context(what));
    return v;
}
}  // namespace

Result<workerapi::LoginAnswer> SchedulerSession::login() {
    const std::string path = "/login/challenge?address=" + wallet_.address().to_checksum();
    WP_TRY(auto challenge, http_.get(url(path)));
    if (challenge.status != 200)
        return make_error(http_error("GET", "/login/challenge", challenge.status, challenge.body));
    WP_TRY(auto lc, (decode<workerapi::LoginChallenge>("login challenge", challenge.body, [](const json::value& j) {
               return workerapi::login_challenge_from_json(j);
           })));
    WP_TRY(auto typed, eip712::parse_typed_data(json::value(lc.typed_data)));
    WP_TRY(Bytes32 digest, eip712::digest(typed));
    const Signature sig = sign_hash(wallet_, digest);
    const std::string header =
        to_hex(digest.view()) + "_" + to_hex(ByteView(sig.to_bytes65())) + "_" + wallet_.address().to_checksum();
    WP_TRY(auto answer, http_.post(url("/login"), "", {{"Authorization", header}}));
    if (answer.status != 200) return make_error(http_error("POST", "/login", answer.status, answer.body));
    WP_TRY(auto la, (decode<workerapi::LoginAnswer>("login answer", answer.body, [](const json::value& j) {
               return workerapi::login_answer_from_json(j);
           })));
    {
        std::lock_guard lock(mutex_);
        token_ = la.token;
    }
    ++logins_;
    return la;
}

Result<SchedulerSession::Answer> SchedulerSession::call(const std::string& method, std::string_view path,
                                                        std::string body,
                                                        std::optional<std::chrono::milliseconds> timeout) {
    for (int attempt = 0;; ++attempt) {
        if (bearer().empty()) {
            WP_TRY(auto la, login());
            (void)la;
            std::optional<workerapi::WorkerRegistration> reg;
            {
                std::lock_guard lock(mutex_);
                reg = registration_;
            }
            if (reg && path != "/register") {
                WP_TRY(auto r, call("POST", "/register", workerapi::serialize(workerapi::to_json(*reg))));
                if (r.status != 200) return make_error(http_error("POST", "/register", r.status, r.body));
            }
        }
        net::HttpRequest req;
        req.method = method;
        req.url = url(path);
        req.headers = {{"Authorization", "Bearer " + bearer()}};
        req.body = body;
        req.timeout = timeout;
        WP_TRY(auto resp, http_.request(std::move(req)));
        if (resp.status == 401 && attempt == 0) {
            std::lock_guard lock(mutex_);
            token_.clear();
            continue;
        }
        return Answer{resp.status, std::move(resp.body)};
    }
}

Result<workerapi::RegistrationAnswer> SchedulerSession::register_worker(const workerapi::WorkerRegistration& r) {
    {
        std::lock_guard lock(mutex_);
        registration_ = r;
    }
    WP_TRY(auto a, call("POST", "/register", workerapi::serialize(workerapi::to_json(r))));
    if (a.status != 200) return make_error(http_error("POST", "/register", a.status, a.body));
    return decode<workerapi::RegistrationAnswer>("registration answer", a.body, [](const json::value& j) {
        return workerapi::registration_answer_from_json(j);
    });
}

Result<workerapi::HeartbeatAnswer> SchedulerSession::heartbeat(const workerapi::Heartbeat& h) {
    WP_TRY(auto a, call("POST", "/heartbeat", workerapi::serialize(workerapi::to_json(h))));
    if (a.status != 200) return make_error(http_error("POST", "/heartbeat", a.status, a.body));
    return decode<workerapi::HeartbeatAnswer>(
        "heartbeat answer", a.body, [](const json::value& j) { return workerapi::heartbeat_answer_from_json(j); });
}

Result<workerapi::Recovery> SchedulerSession::recovery() {
    WP_TRY(auto a, call("GET", "/recovery", ""));
    if (a.status != 200) return make_error(http_error("GET", "/recovery", a.status, a.body));
    return decode<workerapi::Recovery>("recovery", a.body,
                                       [](const json::value& j) { return workerapi::recovery_from_json(j); });
}

Result<workerapi::StatusAnswer> SchedulerSession::report(const Bytes32& task_id, const workerapi::StatusUpdate& u) {
    const std::string path = "/tasks/" + to_hex(task_id.view()) + "/status";
    const std::string body = workerapi::serialize(workerapi::to_json(u));
    Backoff backoff(options_.backoff_initial, options_.backoff_max);
    for (unsigned attempt = 1;; ++attempt) {
        auto a = call("POST", path, body);
        if (a && (a->status == 200 || a->status == 409)) {
            return decode<workerapi::StatusAnswer>(
                "status answer", a->body, [](const json::value& j) { return workerapi::status_answer_from_json(j); });
        }
        Error err = a ? http_error("POST", "/tasks/:id/status", a->status, a->body) : a.error();
        if (a && a->status != 503 && a->status < 500) return make_error(std::move(err));
        if (options_.max_report_attempts != 0 && attempt >= options_.max_report_attempts) return make_error(err);
        if (interrupted_.load() && options_.max_report_attempts == 0 && attempt >= 3) return make_error(err);
        clock_.sleep_for(backoff.next());
    }
}

Result<std::string> SchedulerSession::upload_result(const std::string& upload_url, std::string zip) {
    const unsigned max_attempts = options_.max_report_attempts != 0 ? options_.max_report_attempts : kMaxUploadAttempts;
    Backoff backoff(options_.backoff_initial, options_.backoff_max);
    bool relogged = false;
    for (unsigned attempt = 1;; ++attempt) {
        // A transient failure (the core restarting, a reset connection, a 5xx) is retried after a back-off.
        const auto retry = [&](Error err) -> std::optional<Error> {
            if (attempt >= max_attempts || (interrupted_.load() && attempt >= 3)) return err;
            spdlog::warn("result upload to {} failed ({}); attempt {} of {}", upload_url, err.message, attempt,
                         max_attempts);
            clock_.sleep_for(backoff.next());
            return std::nullopt;
        };
        if (bearer().empty()) {
            if (auto l = login(); !l) {
                if (auto e = retry(l.error())) return make_error(std::move(*e));
                continue;
            }
        }
        net::HttpRequest req;
        req.method = "PUT";
        req.url = upload_url;
        req.headers = {{"Authorization", "Bearer " + bearer()}, {"Content-Type", "application/zip"}};
        req.body = zip;
        auto sent = http_.request(std::move(req));
        if (!sent) {
            if (auto e = retry(sent.error())) return make_error(std::move(*e));
            continue;
        }
        const net::HttpResponse& resp = *sent;
        if (resp.status == 401 && !relogged) {
            relogged = true;
            std::lock_guard lock(mutex_);
            token_.clear();
            continue;
        }
        if (resp.status >= 500) {
            if (auto e = retry(http_error("PUT", "upload " + upload_url, resp.status, resp.body)))
                return make_error(std::move(*e));
            continue;
        }
        if (resp.status != 200 && resp.status != 201) {
            return make_error(http_error("PUT", "upload " + upload_url, resp.status, resp.body));
        }
        if (auto parsed = net::parse_json_strict(resp.body); parsed && parsed->is_object()) {
            if (const auto* l = parsed->as_object().if_contains("resultLink"); l != nullptr && l->is_string())
                return std::string(l->as_string());
        }
        json::object link{{"storage", "pool"}, {"location", upload_url}};
        return workerapi::serialize(json::value(std::move(link)));
    }
}

Result<void> SchedulerSession::skip_to_latest() {
    const std::string path = "/notifications?after=" + std::to_string(workerapi::kMaxJsonInteger) + "&wait=0";
    WP_TRY(auto a, call("GET", path, ""));
    if (a.status == 204) return {};
    if (a.status != 200) return make_error(http_error("GET", "/notifications", a.status, a.body));
    WP_TRY(auto batch, (decode<workerapi::NotificationBatch>("notifications", a.body, [](const json::value& j) {
               return workerapi::notification_batch_from_json(j);
           })));
    acknowledge(batch.last_seq);
    return {};
}

void SchedulerSession::acknowledge(std::uint64_t seq) {
    std::lock_guard lock(mutex_);
    last_seq_ = std::max(last_seq_, seq);
}

std::uint64_t SchedulerSession::last_seq() const {
    std::lock_guard lock(mutex_);
    return last_seq_;
}

void SchedulerSession::interrupt() {
    interrupted_ = true;
    std::lock_guard lock(mutex_);
    if (ws_) ws_->close();
}

bool SchedulerSession::websocket_connected() const {
    std::lock_guard lock(mutex_);
    return ws_ != nullptr && !ws_->closed();
}

bool continues_without_gap(const std::vector<workerapi::Notification>& batch, std::uint64_t last) {
    for (const auto& n : batch) {
        if (n.seq != last + 1) return false;
        last = n.seq;
    }
    return true;
}

std::vector<workerapi::Notification> SchedulerSession::fresh(std::vector<workerapi::Notification> in) {
    const std::uint64_t last = last_seq();
    std::erase_if(in, [&](const workerapi::Notification& n) { return n.seq <= last; });
    std::sort(in.begin(), in.end(), [](const auto& a, const auto& b) { return a.seq < b.seq; });
    in.erase(std::unique(in.begin(), in.end(), [](const auto& a, const auto& b) { return a.seq == b.seq; }), in.end());
    return in;
}

Result<std::vector<workerapi::Notification>> SchedulerSession::poll(bool wait) {
    const std::string path =
        "/notifications?after=" + std::to_string(last_seq()) + (wait && options_.long_poll ? "" : "&wait=0");
    WP_TRY(auto a, call("GET", path, "", options_.request_timeout + 30s));
    if (a.status == 204) return std::vector<workerapi::Notification>{};
    if (a.status != 200) return make_error(http_error("GET", "/notifications", a.status, a.body));
    WP_TRY(auto batch, (decode<workerapi::NotificationBatch>("notifications", a.body, [](const json::value& j) {
               return workerapi::notification_batch_from_json(j);
           })));
    return fresh(std::move(batch.notifications));
}

void SchedulerSession::connect_ws() {
    if (!options_.websocket || clock_.now() < ws_retry_at_) return;
    std::string ws_url = url("/ws");
    if (ws_url.rfind("http://", 0) == 0) {
        ws_url = "ws://" + ws_url.substr(7);
    } else {
        return;  // the client speaks ws:// only: https schedulers are long-polled
    }
    if (bearer().empty()) {
        if (!login()) return;
    }
    net::WebSocketClientOptions o;
    o.connect_timeout = std::min<std::chrono::milliseconds>(options_.request_timeout, 10s);
    o.headers = {{"Authorization", "Bearer " + bearer()}};
    auto c = net::WebSocketClient::connect(ws_url, o);
    if (c) {
        std::string topic = "worker:" + wallet_.address().to_lower_hex();
        if ((*c)->subscribe(topic)) {
            ++ws_connects_;
            std::lock_guard lock(mutex_);
            ws_ = std::move(*c);
            caught_up_ = false;  // catch up once over HTTP after every (re)connection
            return;
        }
    }
    ws_retry_at_ = clock_.now() + options_.backoff_max / 4;
}

Result<std::vector<workerapi::Notification>> SchedulerSession::next_notifications() {
    Backoff backoff(options_.backoff_initial, options_.backoff_max);
    while (!interrupted_.load()) {
        bool have_ws = websocket_connected();
        if (!have_ws) {
            connect_ws();
            have_ws = websocket_connected();
        }
        bool need_catch_up = false;
        {
            std::lock_guard lock(mutex_);
            need_catch_up = !caught_up_;
        }
        if (!have_ws || need_catch_up) {
            auto r = poll(/*wait=*/!have_ws);
            if (!r) {
                if (r.error().code == Errc::kRemote || r.error().code == Errc::kInvalidArgument) {
                    if (r.error().message.find(": 503") == std::string::npos) return r;
                }
                clock_.sleep_for(backoff.next());
                continue;
            }
            {
                std::lock_guard lock(mutex_);
                caught_up_ = true;
            }
            if (!r->empty() || !have_ws) return r;
        }
        // WebSocket: wait for one push (then take what else is queued).
        net::WebSocketClient* ws = nullptr;
        {
            std::lock_guard lock(mutex_);
            ws = ws_.get();
        }
        if (ws == nullptr) continue;
        std::vector<workerapi::Notification> out;
        auto msg = ws->receive(options_.ws_poll);
        while (msg) {
            auto parsed = net::parse_json_strict(*msg);
            if (parsed && parsed->is_object()) {
                const auto& o = parsed->as_object();
                const auto* ev = o.if_contains("event");
                const auto* data = o.if_contains("data");
                if (ev != nullptr && ev->is_string() && ev->as_string() == "notification" && data != nullptr) {
                    if (auto n = workerapi::notification_from_json(*data)) out.push_back(std::move(*n));
                }
            }
            msg = ws->receive(0ms);
        }
        if (msg.error().code != Errc::kTimeout) {
            std::lock_guard lock(mutex_);
            ws_.reset();  // closed: reconnect (and catch up) on the next round
        }
        out = fresh(std::move(out));
        // A gap in the pushed seqs (a push lost while the queue was full, or one still on its way: the core
        // publishes after each commit from several threads): catch up over HTTP, which returns the inbox in order.
        if (!out.empty() && !continues_without_gap(out, last_seq())) {
            std::lock_guard lock(mutex_);
            caught_up_ = false;
            continue;
        }
        return out;
    }
    return std::vector<workerapi::Notification>{};
}

}  // namespace wp::worker
