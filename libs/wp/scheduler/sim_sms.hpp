#pragma once
// SimulatedSms: the core's stand-in for the reference stack's Secret Management Service, TEE SIMULATION ONLY.
//
// In the reference stack (scheduler-worker.md §3 step 5, protocol.md §6.2) the SMS of the task's TEE framework
// generates a per-task enclave key inside its own trusted environment and answers the core with the key's address,
// the task's **enclave challenge**; the core puts that address in the WorkerpoolAuthorization; the enclave signs the
// result with the key and PoCo checks that signature against the challenge. Here nothing is an enclave: this class
// derives the key in the core's process, the core hands it to the assigned worker over the authenticated worker API
// (workerapi::Assignment::tee_simulation), and the app runs in an ordinary runtime. It exists so that the TEE
// protocol path (tags tee+scone 0x3, tee+gramine 0x5, tee+tdx 0x9; contributeAndFinalize at trust 1) runs end to
// end. It gives no confidentiality and no attestation.
//
// Key derivation (docs/scheduler.md "TEE simulation"): enclave key of task T =
//   HMAC-SHA256(secret, "iexec-pool simulated-sms enclave-key v1" ‖ T ‖ counter), counter = 0, 1, … until the 32
//   bytes are a valid secp256k1 secret (a miss has probability ~2^-128).
// The secret (32 random bytes) lives in `<core data dir>/sim-sms-secret` (hex, mode 0600, created on first use,
// written to a temporary file then renamed). Keys are never stored: the same task gets the same key and challenge
// after a restart, and the database holds only the challenge (an address). Losing the file changes every key (the
// enclave challenges already signed in authorizations then no longer match: those tasks fail and are claimed).
//
// Thread safety: immutable after construction; every member may be called from any thread.

#include <filesystem>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

namespace wp::scheduler {

//! The label used in logs, status and docs for everything the simulation does.
inline constexpr const char* kTeeSimulationLabel = "tee-simulation";
//! The secret's file name inside the core's data folder.
inline constexpr const char* kSimSmsSecretFile = "sim-sms-secret";

//! True when the deal's tag asks for a TEE (bit 0): its tasks get an enclave challenge.
bool needs_enclave(const Bytes32& tag) noexcept;

class SimulatedSms {
  public:
    //! Loads `<dir>/sim-sms-secret`, or creates it (32 random bytes, 0600) when missing. Errors: Errc::kIo naming the
    //! file (cannot read / write, or readable by group or others), Errc::kDecoding when its content is not
    //! 0x + 64 hex digits.
    static Result<SimulatedSms> open(const std::filesystem::path& dir);
    //! From a given secret (tests; a fresh random one for an in-memory core).
    static SimulatedSms from_secret(const Bytes32& secret) { return SimulatedSms(secret); }
    static SimulatedSms random();

    //! The task's enclave key (deterministic, see the file comment). Never log it.
    PrivateKey enclave_key(const Bytes32& task_id) const;
    //! The task's enclave challenge: the address of enclave_key(task_id).
    Address enclave_challenge(const Bytes32& task_id) const { return enclave_key(task_id).address(); }

  private:
    explicit SimulatedSms(const Bytes32& secret) : secret_(secret) {}
    Bytes32 secret_;
};

}  // namespace wp::scheduler
