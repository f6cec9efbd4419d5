#pragma once
// The workerpool owner's transactions read back from the blocks, decoded (the "no transaction sent twice" proofs of
// issue 10: tests/pool/pool_scale_anvil_test.cpp, tests/scheduler/reconcile_anvil_test.cpp): every transaction from
// `owner` in blocks (from, to], with the tasks each initialize / initializeArray / finalize / claim /
// initializeAndClaimArray names, and any other call by its selector.
#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <boost/json.hpp>

#include <wp/chain/rpc.hpp>
#include <wp/core/address.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/ids.hpp>

namespace wp::test {

inline std::uint32_t selector_of(std::string_view signature) {
    const Bytes32 h = keccak256(ByteView(reinterpret_cast<const std::uint8_t*>(signature.data()), signature.size()));
    return (std::uint32_t{h.bytes[0]} << 24) | (std::uint32_t{h.bytes[1]} << 16) | (std::uint32_t{h.bytes[2]} << 8) |
           std::uint32_t{h.bytes[3]};
}

//! Word `i` (32 bytes) of ABI-encoded arguments (after the selector).
inline Bytes32 word(const Bytes& input, std::size_t i) {
    Bytes32 w;
    const std::size_t at = 4 + 32 * i;
    if (input.size() >= at + 32) std::copy_n(input.begin() + static_cast<std::ptrdiff_t>(at), 32, w.bytes.begin());
    return w;
}

inline std::uint64_t word_u64(const Bytes& input, std::size_t i) { return U256::from_be32(word(input, i)).low_u64(); }

//! A dynamic array argument (bytes32[] or uint256[]) at argument position `arg`.
inline std::vector<Bytes32> array_arg(const Bytes& input, std::size_t arg) {
    const std::size_t offset_words = word_u64(input, arg) / 32;
    const std::uint64_t n = word_u64(input, offset_words);
    std::vector<Bytes32> out;
    for (std::uint64_t k = 0; k < n && k < 100'000; ++k) out.push_back(word(input, offset_words + 1 + k));
    return out;
}

struct OwnerTransactions {
    std::size_t count{0};
    std::map<Bytes32, int> initialized;  //!< task → initialize calls naming it
    std::map<Bytes32, int> finalized;
    std::map<Bytes32, int> claimed;
    std::map<std::string, int> other;  //!< selector hex → calls
};

//! Every transaction from `owner` in blocks (from, to], decoded.
inline OwnerTransactions owner_transactions(chain::JsonRpcClient& rpc, const Address& owner, std::uint64_t from,
                                            std::uint64_t to) {
    const std::uint32_t initialize = selector_of("initialize(bytes32,uint256)");
    const std::uint32_t initialize_array = selector_of("initializeArray(bytes32[],uint256[])");
    const std::uint32_t finalize = selector_of("finalize(bytes32,bytes,bytes)");
    const std::uint32_t claim = selector_of("claim(bytes32)");
    const std::uint32_t init_claim_array = selector_of("initializeAndClaimArray(bytes32[],uint256[])");
    OwnerTransactions out;
    for (std::uint64_t b = from + 1; b <= to; ++b) {
        auto block =
            rpc.call("eth_getBlockByNumber", {boost::json::value(U256(b).to_hex_quantity()), boost::json::value(true)});
        EXPECT_TRUE(block) << "block " << b;
        if (!block || !block->is_object()) continue;
        for (const auto& tx : block->as_object().at("transactions").as_array()) {
            const auto& o = tx.as_object();
            auto from_addr = Address::parse(std::string(o.at("from").as_string()));
            if (!from_addr || *from_addr != owner) continue;
            ++out.count;
            auto input = from_hex(std::string(o.at("input").as_string()));
            if (!input || input->size() < 4) continue;
            const Bytes& in = *input;
            const std::uint32_t sel = (std::uint32_t{in[0]} << 24) | (std::uint32_t{in[1]} << 16) |
                                      (std::uint32_t{in[2]} << 8) | std::uint32_t{in[3]};
            if (sel == initialize) {
                ++out.initialized[task_id(word(in, 0), U256(word_u64(in, 1)))];
            } else if (sel == initialize_array || sel == init_claim_array) {
                const auto deals = array_arg(in, 0);
                const auto idxs = array_arg(in, 1);
                for (std::size_t k = 0; k < deals.size() && k < idxs.size(); ++k) {
                    const Bytes32 t = task_id(deals[k], U256::from_be32(idxs[k]));
                    ++out.initialized[t];
                    if (sel == init_claim_array) ++out.claimed[t];
                }
            } else if (sel == finalize) {
                ++out.finalized[word(in, 0)];
            } else if (sel == claim) {
                ++out.claimed[word(in, 0)];
            } else {
                ++out.other[to_hex(ByteView(in.data(), 4))];
            }
        }
    }
    return out;
}

}  // namespace wp::test
