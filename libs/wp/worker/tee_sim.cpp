#include "tee_sim.hpp"

#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::worker {

TeeFramework tee_framework(const Bytes32& tag) noexcept {
    const std::uint8_t low = tag[31];
    if ((low & 0x01) == 0) return TeeFramework::kNone;
    if (low & 0x02) return TeeFramework::kScone;
    if (low & 0x04) return TeeFramework::kGramine;
    if (low & 0x08) return TeeFramework::kTdx;
    return TeeFramework::kAgnostic;
}

std::string_view to_string(TeeFramework framework) noexcept {
    switch (framework) {
        case TeeFramework::kNone: return "none";
        case TeeFramework::kScone: return "scone";
        case TeeFramework::kGramine: return "gramine";
        case TeeFramework::kTdx: return "tdx";
        case TeeFramework::kAgnostic: return "agnostic";
    }
    return "none";
}

SimulatedEnclave SimulatedEnclave::generate() { return SimulatedEnclave(PrivateKey::generate()); }

SimulatedEnclave SimulatedEnclave::from_key(PrivateKey key) { return SimulatedEnclave(std::move(key)); }

Bytes SimulatedEnclave::sign_result(const Bytes32& result_hash, const Bytes32& result_seal) const {
    return eip191_sign(key_, enclave_message_hash(result_hash, result_seal).view()).to_bytes65();
}

Result<SimulatedEnclave> enclave_from_assignment(const workerapi::Assignment& a) {
    if (!a.tee_simulation)
        return make_error(Errc::kInvalidArgument,
                          "tee-simulation: the assignment of task " + to_hex(a.task_id.view()) +
                              " carries no enclave key (the scheduler does not run the TEE simulation)");
    auto key = PrivateKey::from_bytes(a.tee_simulation->enclave_key.view());
    if (!key)
        return make_error(Errc::kInvalidArgument, "tee-simulation: the enclave key is not a secp256k1 secret key");
    SimulatedEnclave enclave = SimulatedEnclave::from_key(std::move(*key));
    if (enclave.challenge() != a.authorization.enclave_challenge)
        return make_error(Errc::kInvalidArgument, "tee-simulation: the enclave key's address " +
                                                      enclave.challenge().to_checksum() +
                                                      " differs from the authorization's enclave challenge " +
                                                      a.authorization.enclave_challenge.to_checksum());
    return enclave;
}

Result<RunOutcome> TeeSimRuntime::run(const RunSpec& spec, const std::atomic<bool>& cancel) {
    auto out = inner_->run(spec, cancel);
    if (!out) return make_error(out.error().with_context(name()));
    out->log_tail = std::string("[") + kTeeSimulationLabel + "] no enclave: the app ran in " + inner_->name() + "\n" +
                    out->log_tail;
    return out;
}

}  // namespace wp::worker
