#pragma once
// TEE SIMULATION. Nothing here is an enclave or gives any confidentiality: the "enclave" key lives in the
// worker's memory and the app runs in an ordinary runtime. It exists so that the TEE protocol path of PoCo
// (tags tee+scone 0x3, tee+gramine 0x5, tee+tdx 0x9 — every order the SDK 9.0.1 creates is tee+tdx; contribute
// with an enclave challenge, contributeAndFinalize at trust 1) runs end to end on a devnet. Every name, log line
// and status says "simulation" (kTeeSimulationLabel).
//
// What a real TEE stack provides and this one imitates (scheduler-worker.md §6.4, protocol.md §6.2):
//   - an enclave key per task, whose address is the task's enclave challenge (the scheduler's
//     WorkerpoolAuthorization signs keccak256(worker ‖ taskid ‖ enclaveChallenge));
//   - the enclave signature: EIP-191 personal-sign by that key of keccak256(resultHash ‖ resultSeal), 65 bytes
//     r ‖ s ‖ v — what PoCo's contribute / contributeAndFinalize verify (_verifySignatureOfEthSignedMessage with
//     the enclave challenge as signer).
// TeeSimRuntime wraps another runtime (sandbox or Docker): the app runs there unchanged; its name is
// "tee-sim(<inner>)".
// Thread safety: SimulatedEnclave is immutable after creation; TeeSimRuntime is as thread-safe as the inner one.

#include <memory>
#include <string>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/crypto/secp256k1.hpp>

#include <wp/core/result.hpp>
#include <wp/workerapi/messages.hpp>

#include "runtime.hpp"

namespace wp::worker {

inline constexpr const char* kTeeSimulationLabel = "tee-simulation";

//! The TEE framework a deal's tag asks for (bit 0 = tee, then scone bit 1, gramine bit 2, tdx bit 3).
enum class TeeFramework : std::uint8_t { kNone, kScone, kGramine, kTdx, kAgnostic };
//! kNone when bit 0 is clear; otherwise the first framework bit set (scone, gramine, tdx), or kAgnostic.
TeeFramework tee_framework(const Bytes32& tag) noexcept;
std::string_view to_string(TeeFramework framework) noexcept;  //!< "none", "scone", "gramine", "tdx", "agnostic"

class SimulatedEnclave {
  public:
    //! A fresh key from the OS CSPRNG (one per task).
    static SimulatedEnclave generate();
    //! Wraps a given key (e.g. one the scheduler side generated and handed over with the authorization).
    static SimulatedEnclave from_key(PrivateKey key);

    //! The enclave challenge: the address of the key.
    Address challenge() const { return key_.address(); }
    //! EIP-191 signature of keccak256(resultHash ‖ resultSeal) (protocol/ids.hpp enclave_message_hash), 65 bytes.
    Bytes sign_result(const Bytes32& result_hash, const Bytes32& result_seal) const;
    //! The key itself, for handing over (never log it).
    const PrivateKey& key() const { return key_; }

  private:
    explicit SimulatedEnclave(PrivateKey key) : key_(std::move(key)) {}
    PrivateKey key_;
};

//! The enclave of a TEE assignment: the key the core's simulated SMS handed over (Assignment::tee_simulation), checked
//! before anything runs. Errors (Errc::kInvalidArgument, each starting "tee-simulation: "): the assignment carries
//! no enclave key; the key is not a secp256k1 secret; its address differs from the authorization's enclave challenge
//! (PoCo would refuse the enclave signature). The key itself never appears in a message.
Result<SimulatedEnclave> enclave_from_assignment(const workerapi::Assignment& assignment);

class TeeSimRuntime : public AppRuntime {
  public:
    explicit TeeSimRuntime(std::shared_ptr<AppRuntime> inner) : inner_(std::move(inner)) {}
    std::string name() const override { return "tee-sim(" + inner_->name() + ")"; }
    Result<RunOutcome> run(const RunSpec& spec, const std::atomic<bool>& cancel) override;

  private:
    std::shared_ptr<AppRuntime> inner_;
};

}  // namespace wp::worker
