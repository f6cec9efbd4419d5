#pragma once
// The WorkerpoolAuthorization check a worker makes before working on an assignment (docs/worker_protocol.md,
// "The Assignment"): the signature must be the EIP-191 personal-sign of
// keccak256(worker (20) ‖ taskid (32) ‖ enclaveChallenge (20)) (protocol/ids.hpp, authorization_hash) by the
// workerpool's owner — the address PoCo's contribute / contributeAndFinalize compare the signer with
// (deal.workerpool.owner, recorded at match time; ChainPort::workerpool_owner reads it). A worker that contributed
// with a bad authorization would only waste gas on a reverted transaction, and one that worked for a scheduler
// that does not own the pool would never be paid: both are refused before anything runs.
//
// Errors (Errc::kInvalidArgument, each naming the field and the rule):
//   "authorization: worker is 0x…, this worker is 0x…"; "authorization: taskId is 0x…, the task is 0x…";
//   "authorization: signature: <the parser's reason>" (65 bytes r ‖ s ‖ v, v 27/28, low s: PoCo's rules);
//   "authorization: signed by 0x…, the workerpool owner is 0x…".
// Pure function: thread-safe, no I/O.

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/workerapi/messages.hpp>

namespace wp::worker {

//! The signer the authorization's signature recovers to (the signature read with PoCo's strict rules).
Result<Address> authorization_signer(const workerapi::WorkerpoolAuthorization& authorization);

//! Checks that `authorization` is for (`worker`, `task_id`) and signed by `workerpool_owner`.
Result<void> verify_authorization(const workerapi::WorkerpoolAuthorization& authorization, const Address& worker,
                                  const Bytes32& task_id, const Address& workerpool_owner);

}  // namespace wp::worker
