#include "receipt_tracker.hpp"

#include <wp/core/hex.hpp>

namespace wp::chain {

ReceiptTracker::Query ReceiptTracker::plan(const SlotMap& slots, std::uint64_t latest_count) {
    Query q;
    for (const auto& [nonce, slot] : slots) {
        if (slot.receipt || nonce >= latest_count) continue;
        for (const auto& attempt : slot.attempts) {
            q.calls.push_back(
                {"eth_getTransactionReceipt", boost::json::array{boost::json::string(to_hex(attempt.hash))}});
            q.owner.push_back(SlotRef{nonce, slot.id});
        }
    }
    return q;
}

std::vector<ReceiptTracker::Finding> ReceiptTracker::read(const Query& query,
                                                          const std::vector<RpcResult<boost::json::value>>& answers) {
    std::vector<Finding> out;
    for (std::size_t i = 0; i < query.owner.size(); ++i) {
        if (out.empty() || out.back().slot != query.owner[i]) out.push_back(Finding{.slot = query.owner[i]});
        Finding& f = out.back();
        if (f.kind == Finding::Kind::kMined) continue;  // an earlier hash of the slot was mined
        if (i >= answers.size()) {
            if (f.error.empty()) f.error = "eth_getTransactionReceipt: no answer";
            f.kind = Finding::Kind::kUnknown;
            continue;
        }
        const auto& answer = answers[i];
        if (!answer) {
            if (f.error.empty()) f.error = answer.error().message;
            f.kind = Finding::Kind::kUnknown;
            continue;
        }
        if (answer->is_null()) continue;
        auto receipt = parse_receipt(*answer);
        if (!receipt) {
            if (f.error.empty()) f.error = receipt.error().with_context("eth_getTransactionReceipt").message;
            f.kind = Finding::Kind::kUnknown;
            continue;
        }
        f.kind = Finding::Kind::kMined;
        f.receipt = std::move(*receipt);
    }
    return out;
}

}  // namespace wp::chain
