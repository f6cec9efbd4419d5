#include "broadcaster.hpp"

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <wp/core/hex.hpp>

namespace wp::chain {

const char* to_string(SendVerdict verdict) {
    switch (verdict) {
        case SendVerdict::kAccepted: return "accepted";
        case SendVerdict::kKnown: return "known";
        case SendVerdict::kNonceTooLow: return "nonce-too-low";
        case SendVerdict::kUnderpriced: return "underpriced";
        case SendVerdict::kRejected: return "rejected";
        case SendVerdict::kTransport: return "transport";
    }
    return "?";
}

SendVerdict classify_send(const RpcError& error) {
    // Transport failures and rate limits (classify_rpc_error, rpc.hpp: the one classifier of the chain module) say
    // nothing about the transaction: try again later.
    if (is_retryable(classify_rpc_error(error))) return SendVerdict::kTransport;
    if (!error.is_rpc_error()) return SendVerdict::kRejected;
    std::string m = error.rpc_message;
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (m.find("already known") != std::string::npos || m.find("known transaction") != std::string::npos ||
        m.find("already imported") != std::string::npos || m.find("already in") != std::string::npos) {
        return SendVerdict::kKnown;
    }
    if (m.find("nonce too low") != std::string::npos || m.find("nonce is too low") != std::string::npos) {
        return SendVerdict::kNonceTooLow;
    }
    if (m.find("replacement") != std::string::npos && m.find("underpriced") != std::string::npos) {
        return SendVerdict::kUnderpriced;
    }
    return SendVerdict::kRejected;
}

Broadcaster::Broadcaster(JsonRpcClient& rpc, std::size_t batch_size)
    : rpc_(rpc), batch_size_(std::max<std::size_t>(batch_size, 1)) {}

Broadcaster::Report Broadcaster::send(std::span<const ByteView> raws, const OnAnswer& on_answer) {
    Report report;
    for (std::size_t begin = 0; begin < raws.size(); begin += batch_size_) {
        const std::size_t end = std::min(raws.size(), begin + batch_size_);
        std::vector<RpcCall> calls;
        calls.reserve(end - begin);
        for (std::size_t i = begin; i < end; ++i) {
            calls.push_back({"eth_sendRawTransaction", boost::json::array{boost::json::string(to_hex(raws[i]))}});
        }
        auto answers = rpc_.batch(std::move(calls));
        ++report.batches;
        if (!answers) {
            report.unsent_from = begin;
            report.exchange_error = std::move(answers.error());
            return report;
        }
        bool stop = false;
        for (std::size_t i = begin; i < end; ++i) {
            const auto& answer = (*answers)[i - begin];
            if (answer) {
                on_answer(i, SendVerdict::kAccepted, nullptr);
                continue;
            }
            const SendVerdict verdict = classify_send(answer.error());
            if (verdict == SendVerdict::kTransport) stop = true;
            on_answer(i, verdict, &answer.error());
        }
        if (stop) {
            report.unsent_from = end;
            return report;
        }
    }
    report.unsent_from = raws.size();
    return report;
}

}  // namespace wp::chain
