#pragma once
// SchedulerSession: the worker's side of the scheduler <-> worker protocol (docs/worker_protocol.md), over
// net::HttpClient (Beast stays in net) and net::WebSocketClient.
//
//   login()          GET /login/challenge, sign the EIP-712 digest with the wallet, POST /login → bearer token
//   register_worker  POST /register (capabilities); remembered, so a later re-login re-registers by itself
//   heartbeat        POST /heartbeat
//   next_notifications  the assignment stream: WebSocket push when it can be opened, else the HTTP long-poll;
//                    after every (re)connection one catch-up GET /notifications?after=<last handled>; duplicates
//                    (both paths) are dropped by seq
//   report           POST /tasks/:id/status, retried until answered (idempotent on the scheduler)
//   recovery         GET /recovery
//
// Every call re-logs in once on a 401. Transport errors and 503 answers are retried by report() and
// next_notifications() with exponential back-off (Backoff, on the injected wp::Clock: tests use a ManualClock);
// the other calls return them. Errors name the route and the HTTP status ("POST /register: 403 …").
// The wallet key is never logged; the bearer token is never logged.
//
// Thread safety: every member may be called from several threads (a mutex guards the token and the stream state);
// next_notifications() is meant for one consumer thread. interrupt() makes a blocked next_notifications() return
// (empty) soon: at the latest after `ws_poll` or the long-poll wait.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/net/http_client.hpp>
#include <wp/workerapi/messages.hpp>

namespace wp::net {
class WebSocketClient;
}

namespace wp::worker {

//! Exponential back-off: initial, doubled after each failure up to max; reset() after a success.
class Backoff {
  public:
    Backoff(std::chrono::milliseconds initial, std::chrono::milliseconds max) : initial_(initial), max_(max) {}
    //! The delay to wait before the next attempt (and doubles the following one).
    std::chrono::milliseconds next();
    void reset() { failures_ = 0; }
    unsigned failures() const { return failures_; }

  private:
    std::chrono::milliseconds initial_;
    std::chrono::milliseconds max_;
    unsigned failures_{0};
};

struct SessionOptions {
    std::string scheduler_url;  //!< e.g. "http://127.0.0.1:13000" (the /api/v1 prefix is added)
    std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};
    std::chrono::milliseconds backoff_initial{std::chrono::milliseconds(200)};
    std::chrono::milliseconds backoff_max{std::chrono::seconds(30)};
    //! Use the WebSocket push (false: long-poll only).
    bool websocket{true};
    //! How long one next_notifications() waits on the WebSocket before it returns empty.
    std::chrono::milliseconds ws_poll{std::chrono::seconds(1)};
    //! Long-poll: ask the scheduler to hold the request (false: wait=0, the caller paces).
    bool long_poll{true};
    //! report(): give up after this many attempts (0: never).
    unsigned max_report_attempts{0};
    Clock* clock{nullptr};  //!< nullptr: system_clock()
};

//! Whether `batch` (sorted by seq, nothing at or below `last`) continues `last` with no gap: seqs last+1, last+2, …
//! Pushes can arrive out of order (the core publishes after each commit, from several threads), so a batch may
//! hold a later seq while earlier ones are still on their way; such a batch is taken from the inbox over HTTP.
bool continues_without_gap(const std::vector<workerapi::Notification>& batch, std::uint64_t last);

class SchedulerSession {
  public:
    SchedulerSession(SessionOptions options, PrivateKey wallet);
    ~SchedulerSession();
    SchedulerSession(const SchedulerSession&) = delete;
    SchedulerSession& operator=(const SchedulerSession&) = delete;

    Address address() const { return wallet_.address(); }

    //! Logs in (challenge → signature → token). Errors: transport, or the scheduler's answer ("login: 403 …").
    Result<workerapi::LoginAnswer> login();
    //! Registers (logging in first when there is no token) and remembers the registration for re-logins.
    Result<workerapi::RegistrationAnswer> register_worker(const workerapi::WorkerRegistration& registration);
    Result<workerapi::HeartbeatAnswer> heartbeat(const workerapi::Heartbeat& heartbeat);
    Result<workerapi::Recovery> recovery();

    //! Reports a status until the scheduler answers (200 or 409 → the StatusAnswer; 404 → Errc::kRemote ("… 404 …");
    //! 400 → Errc::kInvalidArgument: a bug, not retried). Transport errors and 503 are retried with back-off;
    //! after max_report_attempts the last error is returned.
    Result<workerapi::StatusAnswer> report(const Bytes32& task_id, const workerapi::StatusUpdate& update);

    //! The next notifications after the last one handled (see the file comment). Returns an empty list when the
    //! wait ended without news; errors only for refusals (401 after a re-login, 403). Transport errors are
    //! retried with back-off inside.
    Result<std::vector<workerapi::Notification>> next_notifications();
    //! PUTs a result archive to a PLEASE_UPLOAD url (Bearer, application/zip; the core's result store,
    //! docs/scheduler.md) and returns the result link: the answer's "resultLink" string when it has one, else
    //! {"storage":"pool","location":"<url>"} (the store's link format). Transport errors and 5xx answers (a core
    //! restarting: the connection reset mid-upload) are retried with back-off, at most max_report_attempts times,
    //! or kMaxUploadAttempts (≈ 25 s of back-off) when that is 0; 4xx answers are returned at once.
    static constexpr unsigned kMaxUploadAttempts = 8;
    Result<std::string> upload_result(const std::string& upload_url, std::string zip);
    //! The scheduler's result-store URL of a task (<scheduler>/api/v1/results/0x<taskId>): where a TEE trust-1
    //! replicate uploads before its contributeAndFinalize (docs/worker_protocol.md "TEE simulation").
    std::string result_upload_url(const Bytes32& task_id) const;

    //! Moves the position to the inbox's current end (GET /notifications?after=<max>&wait=0 → lastSeq): used at
    //! start-up, where GET /recovery says what is held.
    Result<void> skip_to_latest();
    //! Marks a notification handled (its seq is not returned again).
    void acknowledge(std::uint64_t seq);
    std::uint64_t last_seq() const;
    //! Makes next_notifications() return soon; drops the WebSocket.
    void interrupt();
    //! True while the WebSocket push is connected.
    bool websocket_connected() const;
    //! Counters (tests): logins done, WebSocket connections opened.
    unsigned logins() const { return logins_.load(); }
    unsigned ws_connects() const { return ws_connects_.load(); }

  private:
    struct Answer {
        unsigned status{0};
        std::string body;
    };
    std::string url(std::string_view path) const;
    Result<Answer> call(const std::string& method, std::string_view path, std::string body,
                        std::optional<std::chrono::milliseconds> timeout = {});
    std::string bearer() const;
    Result<std::vector<workerapi::Notification>> poll(bool wait);
    std::vector<workerapi::Notification> fresh(std::vector<workerapi::Notification> in);
    void connect_ws();

    SessionOptions options_;
    PrivateKey wallet_;
    Clock& clock_;
    net::HttpClient http_;
    mutable std::mutex mutex_;
    std::string token_;
    std::optional<workerapi::WorkerRegistration> registration_;
    std::uint64_t last_seq_{0};
    bool caught_up_{false};
    std::unique_ptr<net::WebSocketClient> ws_;
    Clock::time_point ws_retry_at_{};
    std::atomic<bool> interrupted_{false};
    std::atomic<unsigned> logins_{0};
    std::atomic<unsigned> ws_connects_{0};
};

}  // namespace wp::worker
