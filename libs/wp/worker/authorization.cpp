#include "authorization.hpp"

#include <wp/core/hex.hpp>
#include <wp/crypto/eip191.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::worker {

Result<Address> authorization_signer(const workerapi::WorkerpoolAuthorization& authorization) {
    auto sig = Signature::parse(ByteView(authorization.signature.data(), authorization.signature.size()),
                                Signature::Format::kStrict);
    if (!sig) return make_error(Errc::kInvalidArgument, "authorization: signature: " + sig.error().message);
    const Bytes32 hash =
        authorization_hash(authorization.worker, authorization.task_id, authorization.enclave_challenge);
    auto signer = eip191_recover(hash.view(), *sig);
    if (!signer) return make_error(Errc::kInvalidArgument, "authorization: signature: " + signer.error().message);
    return *signer;
}

Result<void> verify_authorization(const workerapi::WorkerpoolAuthorization& authorization, const Address& worker,
                                  const Bytes32& task_id, const Address& workerpool_owner) {
    if (authorization.worker != worker)
        return make_error(Errc::kInvalidArgument, "authorization: worker is " + authorization.worker.to_checksum() +
                                                      ", this worker is " + worker.to_checksum());
    if (authorization.task_id != task_id)
        return make_error(Errc::kInvalidArgument, "authorization: taskId is " + to_hex(authorization.task_id.view()) +
                                                      ", the task is " + to_hex(task_id.view()));
    WP_TRY(const Address signer, authorization_signer(authorization));
    if (signer != workerpool_owner)
        return make_error(Errc::kInvalidArgument, "authorization: signed by " + signer.to_checksum() +
                                                      ", the workerpool owner is " + workerpool_owner.to_checksum());
    return {};
}

}  // namespace wp::worker
