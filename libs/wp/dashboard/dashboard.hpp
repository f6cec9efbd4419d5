#pragma once
// "My Workerpool Dashboard": the web page the scheduler (`iexec-pool core`) serves. Plain static assets (assets/:
// index.html, style.css, app.js; no CDN, no external font, no build step) compiled into the binary, and mount()
// which serves them from a net::HttpServer. The page is live: it renders the snapshot below, subscribes to the
// WebSocket topic "dashboard" and polls while the socket is down. Usable on a phone (one column under 800 px).
//
// The data contract (what the core serves; every field optional, the page shows "–" for a missing one):
//   GET <api_base>/dashboard -> 200 application/json
//   { "pool":     { "address": "0x…", "owner": "0x…", "description": "…" },
//     "account":  { "stake": "<nRLC>", "locked": "<nRLC>",                          amounts: decimal strings
//                   "earnings": [ { "time": <unix s>, "total": "<nRLC earned so far>" }, … ] },   oldest first
//     "workers":  [ { "address": "0x…", "alive": true, "slots": 2, "running": 1, "tasks": ["0x<taskid>"],
//                     "lastSeen": <unix s>, "score": 12, "tee": true } ],            tee: TEE simulation enabled
//     "tasks":    { "byStatus": { "COMPLETED": 18, "RUNNING": 2, … },
//                   "throughput": [ { "time": <unix s>, "completed": 3 }, … ] },    completions per interval
//     "deals":    [ { "dealid": "0x…", "app": "0x…", "appName": "echo", "category": 0, "botSize": 20,
//                     "completed": 18, "failed": 0, "status": "RUNNING" } ],
//     "orders":   [ { "orderHash": "0x…", "remaining": 80, "volume": 100, "price": "<nRLC>", "tag": "0x…",
//                     "category": 0, "fills": [ { "dealid": "0x…", "volume": 20, "time": <unix s> } ] } ],
//     "failures": [ { "time": <unix s>, "taskid": "0x…", "reason": "app exited with code 1" } ] }
//   WebSocket <ws_path>, topic "dashboard" (net/ws_protocol.hpp): an event named "snapshot" whose data is the object
//   above is rendered as is; any other event makes the page fetch the snapshot again.
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
    //! The JSON API the page reads (<api_base>/dashboard): a path on the same origin, e.g. "/api".
    std::string api_base{"/api"};
    //! The WebSocket path on the same origin ("" : no WebSocket, the page polls).
    std::string ws_path{"/api/ws"};
};

//! index.html with the options filled in (what P/ serves). Same errors as mount().
Result<std::string> render_index(const MountOptions& options);

//! Registers the routes above on `server` (before server.start()). Errors (Errc::kInvalidArgument, nothing is
//! registered): "dashboard prefix '<p>': …" (must be empty or start with '/', no trailing '/', no empty segment,
//! only letters, digits and -._~), "dashboard api_base '<p>': …" / "dashboard ws_path '<p>': …" (must start with
//! '/', only letters, digits and -._~/).
Result<void> mount(net::HttpServer& server, const MountOptions& options = {});

}  // namespace wp::dashboard
