#pragma once
// `iexec task debug <taskid> [--logs]` (SDK 9.0.1 iexec-task.js, common/execution/debug.js): the task on chain (as
// `task show` gives it) plus the workerpool's view of it, read from the workerpool's API.
//
// Locating the workerpool API, as the SDK does: the task's deal names the workerpool; chain.json's "compass" (the
// built-in Arbitrum entries have one) answers GET <compass origin>/<chainId>/workerpools/<address> with
// {"apiUrl": "…"}; then GET <apiUrl origin>/tasks/<taskid> (the SDK resolves both paths against the origin only).
// Our core serves that route (libs/wp/scheduler/pool_api.hpp). Without a compass, or when it knows no apiUrl:
// `Impossible to resolve API url for workerpool <address>`.
//
// Errors of the off-chain part are warnings (`⚠ Failed to fetch off-chain data: <message>`), the SDK's messages:
//   `Compass API error: Connection to <compass> failed with a network error`   (also timeouts: we never hang)
//   `Compass API error: Server at <compass> encountered an internal error`     (5xx)
//   `Workerpool API error: Connection to <apiUrl> failed with a network error`
//   `Workerpool API error: Server at <apiUrl> encountered an internal error`
//   `API error: <the JSON answer's "error">` or `API error: <status> <reason>` (other non-2xx JSON answers)
//   `The http response is not of JSON type`
// --raw: {"ok":true,"onchainData":<task>,"offchainData"?:{"task":{"status","statusHistory"},"replicates":[{"worker",
// "exitCode"?,"status","statusHistory"}]}}. --logs needs the requester's wallet; the replicates' logs are not
// served by our core: `⚠ Failed to fetch app logs: …`.
//
// Thread safety: none (one Context per invocation).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "context.hpp"

namespace wp::cli {

//! What task debug reads on chain.
struct TaskOnchain {
    boost::json::object task;  //!< `task show`'s --raw "task"
    Address workerpool;        //!< the deal's workerpool
    Address requester;         //!< the deal's requester
};
//! The task (`No task found for id …` when absent) and its deal (cmd_deal.cpp).
Result<TaskOnchain> load_task_onchain(Context& ctx, const Bytes32& task_id);

//! The workerpool API URL of `workerpool` from the compass (messages above).
Result<std::string> workerpool_api_url(const std::optional<std::string>& compass, std::uint64_t chain_id,
                                       const Address& workerpool, std::chrono::milliseconds timeout);
//! The SDK's offchainData of `task_id` read from the workerpool API at `api_url` (messages above).
Result<boost::json::object> fetch_task_offchain(const std::string& api_url, const Bytes32& task_id,
                                                std::chrono::milliseconds timeout);

}  // namespace wp::cli
