#include "worker_api.hpp"

#include <string>
#include <utility>
#include <vector>

#include <wp/core/hex.hpp>
#include <wp/net/json_body.hpp>
#include <wp/service/auth_http.hpp>
#include <wp/service/logging.hpp>

namespace wp::scheduler {
namespace {

namespace json = boost::json;
using net::HttpError;
using net::HttpResponse;
using net::Reply;
using net::ServerRequest;

constexpr std::string_view kIdentityAttribute = "worker.address";

Reply json_reply(unsigned status, const json::value& v) { return HttpResponse::json(status, workerapi::serialize(v)); }

HttpError error_of(const Error& e) {
    if (e.code == Errc::kIo || e.code == Errc::kTimeout) return HttpError{503, "busy, retry", {}};
    return HttpError::from(e);
}

template <class T, class Decode>
tl::expected<T, HttpError> body_of(const ServerRequest& request, Decode decode) {
    auto v = net::parse_json_strict(request.body, {std::size_t{64} << 10, 16});
    if (!v) return tl::unexpected(HttpError::bad_request(v.error()));
    auto t = decode(*v);
    if (!t) return tl::unexpected(HttpError::bad_request(t.error()));
    return std::move(*t);
}

const Address& identity(const ServerRequest& request) { return *request.attribute<Address>(kIdentityAttribute); }

}  // namespace

service::ChallengeAuthOptions worker_login_options() {
    service::ChallengeAuthOptions o;
    const service::ChallengeDomain d = service::challenge_domain(std::string(workerapi::kLoginDomainName), 0);
    o.domain_name = d.name;
    o.domain_version = d.version;
    o.message_prefix = d.message_prefix;
    o.ttl = std::chrono::minutes(5);
    return o;
}

std::string WorkerApi::topic_of(const Address& worker) { return "worker:" + worker.to_lower_hex(); }

WorkerApi::WorkerApi(CoreScheduler& core, const service::TokenService& tokens, service::ChallengeAuth& challenges,
                     WorkerApiOptions options)
    : core_(core), tokens_(tokens), challenges_(challenges), options_(std::move(options)) {
    if (options_.status_batch > 0)
        batcher_ = std::make_unique<StatusBatcher>(
            core_, StatusBatcherOptions{options_.status_batch, options_.assign_on_events});
}

WorkerApi::~WorkerApi() {
    if (batcher_) batcher_->stop();
    core_.set_notifier({});
}

StatusBatcherStats WorkerApi::status_stats() const { return batcher_ ? batcher_->stats() : StatusBatcherStats{}; }

void WorkerApi::publish(const Address& worker, const workerapi::Notification& notification) {
    if (hub_) hub_->publish(topic_of(worker), "notification", workerapi::serialize(workerapi::to_json(notification)));
    wake(worker);
}

void WorkerApi::remove_waiter(const Address& worker, const std::shared_ptr<Waiter>& waiter) {
    std::lock_guard lock(waiters_mutex_);
    auto [begin, end] = waiters_.equal_range(worker);
    for (auto it = begin; it != end; ++it)
        if (it->second == waiter) {
            waiters_.erase(it);
            return;
        }
}

void WorkerApi::wake(const Address& worker) {
    std::vector<std::shared_ptr<Waiter>> woken;
    {
        std::lock_guard lock(waiters_mutex_);
        auto [begin, end] = waiters_.equal_range(worker);
        for (auto it = begin; it != end; ++it) woken.push_back(it->second);
        waiters_.erase(begin, end);
    }
    for (const auto& w : woken) {
        auto batch = core_.notifications(worker, w->after);
        if (!batch) {
            w->responder.reply(tl::unexpected(error_of(batch.error())));
        } else if (!batch->notifications.empty()) {
            w->responder.reply(json_reply(200, workerapi::to_json(*batch)));
        } else {
            std::lock_guard lock(waiters_mutex_);
            if (!w->responder.closed()) waiters_.emplace(worker, w);
        }
    }
}

void WorkerApi::install(net::HttpServer& server) {
    core_.set_notifier([this](const Address& w, const workerapi::Notification& n) { publish(w, n); });

    const service::Authenticator bearer =
        service::bearer_authenticator(tokens_, std::string(workerapi::kTokenAudience));
    net::Filter auth = [bearer, allow_list = options_.allow_list](ServerRequest& request) -> std::optional<Reply> {
        auto id = bearer(request.headers);
        if (!id) {
            service::log_warn("worker authorization refused",
                              {{"path", request.path}, {"remote", request.remote}, {"reason", id.error().message}});
            HttpError e{401, "invalid authorization", {{"WWW-Authenticate", "Bearer"}}};
            return Reply(tl::unexpected(std::move(e)));
        }
        if (!allow_list.empty() && allow_list.count(id->address) == 0)
            return Reply(tl::unexpected(HttpError{403, "worker not allowed in this workerpool", {}}));
        request.attributes[std::string(kIdentityAttribute)] = id->address;
        return std::nullopt;
    };
    net::RouteOptions authed;
    authed.filters = {auth};
    const std::string p(workerapi::kPathPrefix);

    server.handle(
        "GET", p,
        [](const ServerRequest&) -> Reply {
            return json_reply(200, json::object{{"version", workerapi::kVersion}});
        },
        net::RouteOptions{{}, std::nullopt, {}, true});

    server.handle("GET", p + "/login/challenge", [this](const ServerRequest& request) -> Reply {
        auto q = request.query_params();
        if (!q) return tl::unexpected(HttpError::bad_request(q.error()));
        if (auto unknown = q->reject_unknown({"address"}); !unknown)
            return tl::unexpected(HttpError::bad_request(unknown.error()));
        auto text = q->get("address");
        if (!text) return tl::unexpected(HttpError{400, "address: missing", {}});
        auto address = Address::parse(*text);
        if (!address) return tl::unexpected(HttpError::bad_request(address.error().with_context("address")));
        if (!options_.allow_list.empty() && options_.allow_list.count(*address) == 0)
            return tl::unexpected(HttpError{403, "worker not allowed in this workerpool", {}});
        auto doc = challenges_.challenge_document(*address, options_.chain_id);
        if (!doc) return tl::unexpected(error_of(doc.error()));
        return json_reply(200, workerapi::to_json(workerapi::LoginChallenge{std::move(*doc)}));
    });

    server.handle("POST", p + "/login", [this](const ServerRequest& request) -> Reply {
        const auto header = request.header("Authorization");
        if (!header) return tl::unexpected(HttpError{401, "invalid authorization", {}});
        auto id = challenges_.verify(*header, options_.chain_id);
        if (!id) {
            service::log_warn("worker login refused", {{"remote", request.remote}, {"reason", id.error().message}});
            return tl::unexpected(HttpError{401, "invalid authorization", {}});
        }
        if (!options_.allow_list.empty() && options_.allow_list.count(id->address) == 0)
            return tl::unexpected(HttpError{403, "worker not allowed in this workerpool", {}});
        auto token = tokens_.issue(id->address, workerapi::kTokenAudience, options_.token_ttl);
        if (!token) return tl::unexpected(error_of(token.error()));
        auto claims = tokens_.verify(*token, workerapi::kTokenAudience);
        if (!claims) return tl::unexpected(error_of(claims.error()));
        service::log_info("worker logged in", {{"worker", id->address.to_checksum()}});
        return json_reply(200, workerapi::to_json(workerapi::LoginAnswer{*token, claims->expires_at, id->address}));
    });

    server.handle(
        "POST", p + "/register",
        [this](const ServerRequest& request) -> Reply {
            auto reg = body_of<workerapi::WorkerRegistration>(request, workerapi::registration_from_json);
            if (!reg) return tl::unexpected(reg.error());
            auto answer = core_.register_worker(identity(request), *reg);
            if (!answer) return tl::unexpected(error_of(answer.error()));
            if (options_.on_register) options_.on_register(identity(request));
            if (options_.assign_on_events) (void)core_.assign_round();
            return json_reply(200, workerapi::to_json(*answer));
        },
        authed);

    server.handle(
        "POST", p + "/heartbeat",
        [this](const ServerRequest& request) -> Reply {
            auto hb = body_of<workerapi::Heartbeat>(request, workerapi::heartbeat_from_json);
            if (!hb) return tl::unexpected(hb.error());
            auto answer = core_.heartbeat(identity(request), *hb);
            if (!answer) return tl::unexpected(error_of(answer.error()));
            if (options_.assign_on_events && !answer->reregister) (void)core_.assign_round();
            return json_reply(200, workerapi::to_json(*answer));
        },
        authed);

    const auto status_reply = [](const Result<StatusOutcome>& outcome) -> Reply {
        if (!outcome) {
            if (outcome.error().code == Errc::kInvalidArgument)
                return tl::unexpected(HttpError{404, outcome.error().message, {}});
            return tl::unexpected(error_of(outcome.error()));
        }
        return json_reply(outcome->http_status, workerapi::to_json(outcome->answer));
    };
    if (batcher_) {
        // Group commit: the update joins the writer's next transaction; the answer is sent after its commit.
        server.handle_async(
            "POST", p + "/tasks/:taskId/status",
            [this, status_reply](const ServerRequest& request, net::Responder responder) {
                auto task_id = bytes32_from_hex(*request.param("taskId"));
                if (!task_id) {
                    responder.reply(tl::unexpected(HttpError::bad_request(task_id.error().with_context("taskId"))));
                    return;
                }
                auto update = body_of<workerapi::StatusUpdate>(request, workerapi::status_update_from_json);
                if (!update) {
                    responder.reply(tl::unexpected(update.error()));
                    return;
                }
                const workerapi::ReplicateStatus status = update->status;
                batcher_->submit(StatusItem{identity(request), *task_id, std::move(*update)},
                                 [this, status, responder, status_reply](Result<StatusOutcome> outcome) {
                                     if (outcome && outcome->http_status == 200 && options_.on_status)
                                         options_.on_status(status);
                                     responder.reply(status_reply(outcome));
                                 });
            },
            authed);
    } else {
        server.handle(
            "POST", p + "/tasks/:taskId/status",
            [this, status_reply](const ServerRequest& request) -> Reply {
                auto task_id = bytes32_from_hex(*request.param("taskId"));
                if (!task_id) return tl::unexpected(HttpError::bad_request(task_id.error().with_context("taskId")));
                auto update = body_of<workerapi::StatusUpdate>(request, workerapi::status_update_from_json);
                if (!update) return tl::unexpected(update.error());
                auto outcome = core_.update_status(identity(request), *task_id, *update);
                if (outcome && options_.assign_on_events && !holds_slot(update->status)) (void)core_.assign_round();
                if (outcome && outcome->http_status == 200 && options_.on_status) options_.on_status(update->status);
                return status_reply(outcome);
            },
            authed);
    }

    server.handle(
        "GET", p + "/recovery",
        [this](const ServerRequest& request) -> Reply {
            auto r = core_.recovery(identity(request));
            if (!r) return tl::unexpected(error_of(r.error()));
            return json_reply(200, workerapi::to_json(*r));
        },
        authed);

    net::RouteOptions poll = authed;
    poll.timeout = options_.long_poll;
    poll.on_timeout = []() -> Reply { return HttpResponse{204, {}, {}}; };
    server.handle_async(
        "GET", p + "/notifications",
        [this](const ServerRequest& request, net::Responder responder) {
            auto q = request.query_params();
            if (!q) {
                responder.reply(tl::unexpected(HttpError::bad_request(q.error())));
                return;
            }
            std::uint64_t after = 0;
            if (auto a = q->get("after")) {
                auto v = U256::from_dec(*a);
                if (!v || *v > U256(workerapi::kMaxJsonInteger)) {
                    responder.reply(tl::unexpected(HttpError{400, "after: expected an integer ≤ 2^53 - 1", {}}));
                    return;
                }
                after = v->low_u64();
            }
            const bool wait = q->get("wait") != std::optional<std::string_view>("0");
            const Address worker = identity(request);
            auto waiter = std::make_shared<Waiter>(Waiter{after, responder});
            if (wait) {
                // Registered before reading, so a notification committed meanwhile wakes this request.
                std::lock_guard lock(waiters_mutex_);
                waiters_.emplace(worker, waiter);
            }
            responder.on_close([this, worker, waiter] { remove_waiter(worker, waiter); });
            auto batch = core_.notifications(worker, after);
            if (!batch) {
                responder.reply(tl::unexpected(error_of(batch.error())));
                remove_waiter(worker, waiter);
            } else if (!batch->notifications.empty() || !wait) {
                responder.reply(json_reply(200, workerapi::to_json(*batch)));
                remove_waiter(worker, waiter);
            }
        },
        poll);

    net::WebSocketOptions ws;
    ws.filters = {auth};
    ws.authorize_topic = [this](const ServerRequest& upgrade, std::string_view topic) -> std::optional<std::string> {
        const Address* worker = upgrade.attribute<Address>(kIdentityAttribute);
        if (worker == nullptr || topic != topic_of(*worker)) return "only your own topic worker:<address>";
        return std::nullopt;
    };
    hub_ = server.websocket(p + "/ws", std::move(ws));
}

}  // namespace wp::scheduler
