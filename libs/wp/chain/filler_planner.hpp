#pragma once
// FillerPlanner: TxManager's filler job (tx_manager.hpp, "Nonce rules"), without I/O: which free or blocked nonces
// get a nonce filler (a 0-value self-transfer of 21,000 gas) in this round, and the filler's request.
//
//   due(nonces, slots)   first lowers the next nonce over free nonces at its top (NonceAllocator::trim: nothing
//                        above them in flight, so no filler is needed), then the free / blocked nonces whose filler
//                        back-off has passed and that no live slot holds, in order;
//   request(self)        the filler's TxRequest: to = the wallet itself, no data, value 0, kGas, "nonce filler".
// The manager signs each (TxStarter), adds its slot (SlotKind::kFiller) and calls NonceAllocator::filled(nonce).
//
// Thread safety: none (the NonceAllocator and the slots are the manager's, under its lock).

#include <cstdint>
#include <vector>

#include <wp/core/address.hpp>

#include "nonce_allocator.hpp"
#include "signing.hpp"
#include "tx_slot.hpp"

namespace wp::chain {

class FillerPlanner {
  public:
    static constexpr std::uint64_t kGas = 21000;
    static constexpr const char* kDescription = "nonce filler";

    static std::vector<std::uint64_t> due(NonceAllocator& nonces, const SlotMap& slots);
    static TxRequest request(const Address& self) { return TxRequest{self, {}, U256(), kGas, kDescription}; }
};

}  // namespace wp::chain
