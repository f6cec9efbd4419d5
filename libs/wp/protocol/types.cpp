#include "types.hpp"

namespace wp {

const Address& kitty_address() noexcept {
    static const Address kitty = [] {
        FixedBytes<20> b{{0x99, 0xc2, 0x26, 0x84, 0x79, 0xb9, 0x3f, 0xde, 0x36, 0x23,
                          0x23, 0x51, 0x22, 0x98, 0x15, 0xdf, 0x80, 0x83, 0x7e, 0x23}};
        return Address(b);
    }();
    return kitty;
}

std::string_view to_string(TaskStatus status) noexcept {
    switch (status) {
        case TaskStatus::kUnset: return "UNSET";
        case TaskStatus::kActive: return "ACTIVE";
        case TaskStatus::kRevealing: return "REVEALING";
        case TaskStatus::kCompleted: return "COMPLETED";
        case TaskStatus::kFailed: return "FAILED";
    }
    return "UNKNOWN";
}

std::string_view to_string(ContributionStatus status) noexcept {
    switch (status) {
        case ContributionStatus::kUnset: return "UNSET";
        case ContributionStatus::kContributed: return "CONTRIBUTED";
        case ContributionStatus::kProved: return "PROVED";
        case ContributionStatus::kRejected: return "REJECTED";
    }
    return "UNKNOWN";
}

}  // namespace wp
