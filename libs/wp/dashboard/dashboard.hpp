#pragma once
// "My Workerpool Dashboard": the web page the scheduler (`iexec-pool core`) serves. Plain static assets (assets/:
// index.html, style.css, app.js; no CDN, no external font, no build step) compiled into the binary, and mount()
// which serves them from a net::HttpServer. The page reads the core's dashboard JSON API and subscribes to its
// WebSocket, both defined by the core in docs/scheduler.md ("HTTP API of the daemon"):
//   GET <api_base>/summary, /workers, /tasks?limit=15, /tasks/<id> (on demand), /deals?limit=20, /orders?limit=20,
//   /account, /failures?limit=20, /throughput (only /summary is required: the page shows "–" or an empty table for an
//   answer that fails);
//   WebSocket <ws_path>, topic "dashboard": "summary", "throughput" and "account" events are rendered at once,
//   "failure" is prepended to the failures, "task", "worker" and "fills" make the page fetch again (at most once per
//   300 ms); without the socket it polls every 3 s.
// What it shows: workers (alive, slots used / total, current tasks, last seen, score, TEE frameworks), tasks by
// status and completions per minute (last hour) and per hour (last day), the recent tasks and one task's details
// (history, replicates with their reported statuses, on-chain intents with their transactions, result link), deals
// with their progress, the pool's open orders (remaining / volume, price, tag, category, filled) and the fills seen
// on chain, the owner's stake and locked amounts and the earnings curve (stored snapshots), recent failures by kind
// with their reasons. Every value is written as text, never as HTML. Usable on a phone (one column under 800 px).
//
// Served routes (GET and HEAD), with prefix P (default "/dashboard"):
//   P           302 to P + "/"
//   P/          index.html, with the api_base and ws_path filled in (<meta name="wp-api"> / <meta name="wp-ws">)
//   P/<file>    style.css, app.js; any other name 404
// Every answer carries Cache-Control: no-cache, X-Content-Type-Options: nosniff and a Content-Security-Policy that
// allows only this origin (scripts, styles, fetch and WebSocket), so nothing is ever loaded from elsewhere.
//
// Thread safety: assets() / find_asset() are pure (static data); mount() must be called before server.start(),
// like every HttpServer route; the handlers it installs are thread-safe (read-only data).

#include <span>
#include <string>
#include <string_view>

#include <wp/core/result.hpp>

namespace wp::net {
class HttpServer;
}

namespace wp::dashboard {

struct Asset {
    std::string_view name;          //!< "index.html", "app.js", "style.css"
    std::string_view content_type;  //!< "text/html; charset=utf-8", …
    std::string_view body;          //!< the file as shipped (index.html still has its {{API_BASE}} placeholders)
};

//! Every embedded asset, index.html first.
std::span<const Asset> assets();
//! The asset named `name`, or nullptr.
const Asset* find_asset(std::string_view name);

struct MountOptions {
    //! Where the page lives: "" (the server's root) or "/name[/name…]" without a trailing '/'.
    std::string prefix{"/dashboard"};
    //! The JSON API the page reads (<api_base>/summary, …): a path on the same origin.
    std::string api_base{"/api/v1/dashboard"};
    //! The WebSocket path on the same origin ("" : no WebSocket, the page polls).
    std::string ws_path{"/api/v1/dashboard/ws"};
};

//! index.html with the options filled in (what P/ serves). Same errors as mount().
Result<std::string> render_index(const MountOptions& options);

//! Registers the routes above on `server` (before server.start()). Errors (Errc::kInvalidArgument, nothing is
//! registered): "dashboard prefix '<p>': …" (must be empty or start with '/', no trailing '/', no empty segment,
//! only letters, digits and -._~), "dashboard api_base '<p>': …" / "dashboard ws_path '<p>': …" (must start with
//! '/', only letters, digits and -._~/).
Result<void> mount(net::HttpServer& server, const MountOptions& options = {});

}  // namespace wp::dashboard
