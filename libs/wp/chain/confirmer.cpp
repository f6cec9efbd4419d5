#include "confirmer.hpp"

#include <wp/core/hex.hpp>

#include "fees.hpp"

namespace wp::chain {

std::vector<Confirmer::Item> Confirmer::due(const SlotMap& slots, std::uint64_t head) {
    std::vector<Item> out;
    for (const auto& [nonce, slot] : slots) {
        if (!slot.receipt || !at_depth(*slot.receipt, slot.confirmations, head)) continue;
        out.push_back(Item{.slot = SlotRef{nonce, slot.id},
                           .description = slot.description,
                           .kind = slot.kind,
                           .confirmations = slot.confirmations,
                           .request = slot.request,
                           .receipt = *slot.receipt});
    }
    return out;
}

RpcCall Confirmer::recheck_call(const Item& item) {
    return {"eth_getTransactionReceipt",
            boost::json::array{boost::json::string(to_hex(item.receipt.transaction_hash))}};
}

Confirmer::Recheck Confirmer::read_recheck(const Item& item, const RpcResult<boost::json::value>& answer) {
    if (!answer) return Recheck{.kind = Recheck::Kind::kUnknown, .error = answer.error().message};
    if (answer->is_null()) return Recheck{.kind = Recheck::Kind::kGone};
    auto receipt = parse_receipt(*answer);
    if (!receipt) {
        return Recheck{.kind = Recheck::Kind::kUnknown,
                       .error = receipt.error().with_context("eth_getTransactionReceipt").message};
    }
    if (receipt->block_hash == item.receipt.block_hash) return Recheck{.kind = Recheck::Kind::kSame};
    return Recheck{.kind = Recheck::Kind::kMoved, .receipt = std::move(*receipt)};
}

RpcCall Confirmer::replay_call(const Item& item, const Address& from) {
    CallRequest call;
    call.from = from;
    call.to = item.request.to;
    call.data = item.request.data;
    if (item.request.value != U256()) call.value = item.request.value;
    call.gas = item.request.gas_limit;
    return {"eth_call",
            boost::json::array{to_json(call), boost::json::string(BlockTag::number(item.receipt.block_number).str())}};
}

std::optional<DecodedRevert> Confirmer::read_replay(const Item& item, const RpcResult<boost::json::value>& answer,
                                                    const RevertDecoder& decoder) {
    DecodedRevert decoded;
    if (answer) {
        // The replay did not revert (the state changed since): say what we know.
        decoded.kind = DecodedRevert::Kind::kUnknown;
        if (item.receipt.gas_used >= item.request.gas_limit) {
            decoded.reason = "out of gas (gas limit " + std::to_string(item.request.gas_limit) + ")";
        } else {
            decoded.reason =
                "unknown reason (the replay at block " + std::to_string(item.receipt.block_number) + " did not revert)";
        }
        return decoded;
    }
    if (auto revert = revert_of(answer.error(), decoder)) return std::move(*revert);
    if (is_retryable(classify_rpc_error(answer.error()))) return std::nullopt;  // replay again next round
    auto data = answer.error().revert_data();
    return decoder.decode(data ? ByteView(*data) : ByteView());
}

std::string Confirmer::revert_message(const Item& item, const DecodedRevert& decoded) {
    std::string message;
    if (decoded.kind == DecodedRevert::Kind::kUnknown && decoded.data.empty() && !decoded.reason.empty()) {
        message = item.description + ": reverted: " + decoded.reason;
    } else {
        message = describe_revert(item.description, "reverted", decoded);
    }
    return message + " (nonce " + std::to_string(item.slot.nonce) + ", tx " + to_hex(item.receipt.transaction_hash) +
           ")";
}

}  // namespace wp::chain
