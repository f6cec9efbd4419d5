#pragma once
// The worker API (docs/worker_protocol.md) on a net::HttpServer: routes under /api/v1, served by a CoreScheduler.
//
//   GET  /api/v1                         {"version":1}
//   GET  /api/v1/login/challenge?address=  LoginChallenge (EIP-712 typed data, domain "iExec Core Scheduler")
//   POST /api/v1/login                   Authorization: <hash>_<signature>_<address> → LoginAnswer (bearer token)
//   POST /api/v1/register                Bearer, WorkerRegistration → RegistrationAnswer
//   POST /api/v1/heartbeat               Bearer, Heartbeat → HeartbeatAnswer
//   GET  /api/v1/notifications?after=N[&wait=0]  Bearer → NotificationBatch; long-poll: held until a notification
//                                        after N exists or long_poll elapses (then 204)
//   GET  /api/v1/ws                      Bearer, WebSocket: subscribe to "worker:<address lowercase>", events
//                                        "notification" carrying Notification JSON (a push of the same inbox)
//   POST /api/v1/tasks/:taskId/status    Bearer, StatusUpdate → StatusAnswer (200, or 409 refused); 404 no replicate.
//                                        Group commit (status_batcher.hpp): concurrent updates share one write
//                                        transaction; each is answered only after that transaction committed
//   GET  /api/v1/recovery                Bearer → Recovery
//
// Login: the challenge is the service's EIP-712 challenge (single use, expiring); only addresses on the allow-list
// (when one is set) get a challenge or a token (403 otherwise). Tokens are service::TokenService tokens with audience
// workerapi::kTokenAudience: a TokenKeyring loaded from the data directory keeps them valid across restarts.
// Refusals answer {"error":...}; authentication failures 401 without detail (the reason is logged).
//
// Thread safety: install() before the server starts; publish() from any thread (it is the CoreScheduler's notifier).

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>

#include <wp/core/address.hpp>
#include <wp/net/http_server.hpp>
#include <wp/net/websocket.hpp>
#include <wp/service/challenge.hpp>
#include <wp/service/token.hpp>

#include "core_scheduler.hpp"
#include "status_batcher.hpp"

namespace wp::scheduler {

struct WorkerApiOptions {
    std::uint64_t chain_id{0};
    //! Only these wallets may log in (empty: anybody).
    std::set<Address> allow_list;
    std::chrono::seconds token_ttl{std::chrono::hours(12)};
    //! How long GET /notifications waits for something new.
    std::chrono::milliseconds long_poll{std::chrono::seconds(25)};
    //! Run an assignment round after each registration, heartbeat and status update (a daemon with its own
    //! assignment loop sets false).
    bool assign_on_events{true};
    //! Status updates per write transaction at most (group commit, StatusBatcher); 0: each update in its own
    //! transaction on the handler thread (the behaviour before group commit, kept for comparison).
    std::size_t status_batch{256};
    //! Called after each status update the scheduler accepted (HTTP 200), with the status, on the thread that
    //! applied it (the group commit's writer or the handler); empty: none. The daemon wakes its chain loop with it
    //! when a status means there is something to read or send on chain (a contribution, an uploaded result).
    //! Must not block.
    std::function<void(workerapi::ReplicateStatus)> on_status{};
    //! Called after each accepted registration, with the worker, on the handler thread; empty: none. The daemon
    //! marks the worker for a read of its on-chain score (worker_scores.hpp) with it. Must not block.
    std::function<void(const Address&)> on_register{};
};

class WorkerApi {
  public:
    WorkerApi(CoreScheduler& core, const service::TokenService& tokens, service::ChallengeAuth& challenges,
              WorkerApiOptions options);
    ~WorkerApi();
    WorkerApi(const WorkerApi&) = delete;
    WorkerApi& operator=(const WorkerApi&) = delete;

    //! Registers the routes and the WebSocket endpoint, and makes itself the core's notifier.
    void install(net::HttpServer& server);
    //! Pushes a committed notification to the worker's WebSocket topic and wakes its long-polls.
    void publish(const Address& worker, const workerapi::Notification& notification);

    //! The WebSocket topic of a worker.
    static std::string topic_of(const Address& worker);
    //! The group commit's counters (all zero with status_batch 0).
    StatusBatcherStats status_stats() const;

  private:
    struct Waiter {
        std::uint64_t after{0};
        net::Responder responder;
    };
    void wake(const Address& worker);
    void remove_waiter(const Address& worker, const std::shared_ptr<Waiter>& waiter);

    CoreScheduler& core_;
    const service::TokenService& tokens_;
    service::ChallengeAuth& challenges_;
    WorkerApiOptions options_;
    std::shared_ptr<net::WebSocketHub> hub_;
    std::mutex waiters_mutex_;
    std::multimap<Address, std::shared_ptr<Waiter>> waiters_;
    std::unique_ptr<StatusBatcher> batcher_;  // null with status_batch 0
};

//! The ChallengeAuthOptions of the worker login (domain workerapi::kLoginDomainName).
service::ChallengeAuthOptions worker_login_options();

}  // namespace wp::scheduler
