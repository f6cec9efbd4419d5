#include "order_policy.hpp"

#include <algorithm>
#include <map>

#include <wp/core/hex.hpp>
#include <wp/protocol/tag.hpp>
#include <wp/protocol/types.hpp>

namespace wp::scheduler {
namespace {

Error offers_error(std::size_t index, const std::string& what) {
    return Error{Errc::kInvalidArgument, "core.orders.offers: offer " + std::to_string(index) + ": " + what};
}

// Concatenation by appends (GCC 12 -Wrestrict warns about "literal" + std::string(view) chains).
std::string cat(std::initializer_list<std::string_view> parts) {
    std::string out;
    for (auto p : parts) out.append(p);
    return out;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

Result<std::uint64_t> parse_u64(std::string_view text) {
    auto v = U256::from_dec(text);
    if (!v) return tl::unexpected(v.error());
    if (!v->fits_u64()) return make_error(Errc::kOverflow, cat({text, " is above 2^64 - 1"}));
    return v->low_u64();
}

// "0x0", "0x9", "0x" + up to 64 hex digits (a number), or names ("tee,tdx": protocol parse_tag).
Result<Bytes32> parse_offer_tag(std::string_view text) {
    if (text.size() > 2 && text.size() < 66 && (text.substr(0, 2) == "0x" || text.substr(0, 2) == "0X")) {
        std::string hex("0x");  // built by appends: GCC 12 warns (-Wrestrict) about "0x" + std::string(...)
        hex.append(text.substr(2));
        auto v = U256::from_hex(hex);
        if (!v) return make_error(Errc::kInvalidArgument, cat({text, " is not a hex number"}));
        return v->to_be32();
    }
    // Names are comma-separated in the protocol's syntax; in an offer they are joined by '+' ("tee+tdx").
    std::string names(text);
    std::replace(names.begin(), names.end(), '+', ',');
    return parse_tag(std::string_view(names));
}

Result<U256> mul3(std::uint64_t a, std::uint64_t b, std::uint64_t c) {
    WP_TRY(U256 ab, checked_mul(U256(a), U256(b)));
    return checked_mul(ab, U256(c));
}

}  // namespace

std::string Offer::key() const {
    return "category=" + std::to_string(category) + ",tag=" + to_hex(tag.view()) + ",price=" + price.to_dec() +
           ",trust=" + std::to_string(trust);
}

Result<std::vector<Offer>> parse_offers(std::string_view text) {
    std::vector<Offer> out;
    if (trim(text).empty()) return out;
    std::size_t index = 0;
    while (true) {
        const auto semi = text.find(';');
        std::string_view item = trim(text.substr(0, semi));
        ++index;
        if (!item.empty()) {
            if (out.size() == kMaxOffers)
                return tl::unexpected(offers_error(index, "more than " + std::to_string(kMaxOffers) + " offers"));
            Offer o;
            bool has_category = false, has_tag = false, has_price = false, has_trust = false;
            std::string_view rest = item;
            while (true) {
                const auto comma = rest.find(',');
                std::string_view field = trim(rest.substr(0, comma));
                const auto eq = field.find('=');
                if (eq == std::string_view::npos)
                    return tl::unexpected(offers_error(index, cat({"\"", field, "\" is not name=value"})));
                const std::string_view name = trim(field.substr(0, eq));
                const std::string_view value = trim(field.substr(eq + 1));
                auto seen = [&](bool& flag) -> Result<void> {
                    if (flag) return tl::unexpected(offers_error(index, cat({name, " given twice"})));
                    flag = true;
                    return {};
                };
                auto with_name = [&](const Error& e) { return offers_error(index, cat({name, ": ", e.message})); };
                if (name == "category") {
                    WP_TRY_VOID(seen(has_category));
                    auto v = parse_u64(value);
                    if (!v) return tl::unexpected(with_name(v.error()));
                    o.category = *v;
                } else if (name == "tag") {
                    WP_TRY_VOID(seen(has_tag));
                    auto v = parse_offer_tag(value);
                    if (!v) return tl::unexpected(with_name(v.error()));
                    o.tag = *v;
                } else if (name == "price") {
                    WP_TRY_VOID(seen(has_price));
                    auto v = U256::from_dec(value);
                    if (!v) return tl::unexpected(with_name(v.error()));
                    o.price = *v;
                } else if (name == "trust") {
                    WP_TRY_VOID(seen(has_trust));
                    auto v = parse_u64(value);
                    if (!v) return tl::unexpected(with_name(v.error()));
                    if (*v > 10000) return tl::unexpected(offers_error(index, "trust: above 10000"));
                    o.trust = *v;
                } else {
                    return tl::unexpected(
                        offers_error(index, cat({"unknown field \"", name, "\" (category, tag, price, trust)"})));
                }
                if (comma == std::string_view::npos) break;
                rest = rest.substr(comma + 1);
            }
            if (!has_category) return tl::unexpected(offers_error(index, "category is required"));
            // The seed's market rule: a TEE tag needs trust 1 (0 counts as 1).
            if (tag_has_bit(o.tag, kTagBitTee) && o.trust > 1)
                return tl::unexpected(offers_error(index, "a TEE tag requires trust 0 or 1"));
            for (std::size_t j = 0; j < out.size(); ++j)
                if (out[j].category == o.category && out[j].tag == o.tag)
                    return tl::unexpected(
                        offers_error(index, "same category and tag as offer " + std::to_string(j + 1)));
            out.push_back(o);
        }
        if (semi == std::string_view::npos) break;
        text = text.substr(semi + 1);
    }
    return out;
}

Result<std::uint64_t> replicas_for_trust(std::uint64_t trust) {
    WP_TRY(ReplicationPlan plan, plan_replication(trust, {}, 0, 1, U256(0)));
    return std::max<std::uint64_t>(plan.more, 1);
}

Result<std::vector<OfferPlan>> plan_volumes(const std::vector<Offer>& offers,
                                            const std::vector<std::uint64_t>& category_seconds,
                                            const std::vector<WorkerSnapshot>& workers,
                                            const std::vector<BacklogEntry>& backlog, const CapacityParams& params) {
    if (category_seconds.size() != offers.size())
        return make_error(Errc::kInvalidArgument, "plan_volumes: one category time per offer");
    const std::uint64_t safety = std::min<std::uint64_t>(params.safety_periods, kContributionDeadlineRatio);
    const std::uint64_t rounds = kContributionDeadlineRatio - safety;

    U256 backlog_s(0);
    for (const auto& b : backlog) {
        WP_TRY(std::uint64_t r, replicas_for_trust(b.trust));
        WP_TRY(U256 owed, mul3(b.tasks, r, b.category_seconds));
        WP_TRY(backlog_s, checked_add(backlog_s, owed));
    }

    std::vector<OfferPlan> out;
    U256 earlier(0);
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const Offer& o = offers[i];
        OfferPlan p;
        p.category_seconds = category_seconds[i];
        WP_TRY(p.replicas, replicas_for_trust(o.trust));
        p.backlog = backlog_s;
        p.earlier = earlier;
        if (p.category_seconds > 0) {
            TaskSnapshot probe;
            probe.tag = o.tag;
            probe.trust = o.trust;
            probe.category_seconds = p.category_seconds;
            probe.contribution_deadline_s = std::int64_t{1} << 60;
            for (const auto& w : workers) {
                if (!w.alive || w.free_slots == 0) continue;
                if (filter(probe, w, 0)) continue;
                p.slots += w.free_slots;
            }
            WP_TRY(p.budget, mul3(p.slots, rounds, p.category_seconds));
            WP_TRY(const U256 charged, checked_add(backlog_s, earlier));
            if (p.slots > 0 && p.budget > charged) {
                WP_TRY(const U256 per_task, mul3(p.replicas, p.category_seconds, 1));
                WP_TRY(const U256 spare, checked_sub(p.budget, charged));
                WP_TRY(const U256 v, checked_div(spare, per_task));
                p.volume = v.fits_u64() ? std::min(v.low_u64(), params.max_volume) : params.max_volume;
            }
            WP_TRY(U256 taken, mul3(p.volume, p.replicas, p.category_seconds));
            WP_TRY(earlier, checked_add(earlier, taken));
        }
        out.push_back(p);
    }
    return out;
}

std::string_view to_string(PolicyOrderState s) noexcept {
    switch (s) {
        case PolicyOrderState::kPublishing: return "publishing";
        case PolicyOrderState::kOpen: return "open";
        case PolicyOrderState::kUnpublishing: return "unpublishing";
        case PolicyOrderState::kClosed: return "closed";
    }
    return "?";
}

Result<PolicyOrderState> policy_order_state_from_int(std::int64_t v) {
    if (v < 0 || v > 3) return make_error(Errc::kDecoding, "policy order state: " + std::to_string(v) + " unknown");
    return static_cast<PolicyOrderState>(v);
}

Result<PolicyDecision> reconcile(const std::vector<Offer>& offers, const std::vector<std::uint64_t>& volumes,
                                 const std::vector<PolicyOrderRow>& rows) {
    if (volumes.size() != offers.size()) return make_error(Errc::kInvalidArgument, "reconcile: one volume per offer");
    PolicyDecision d;
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < offers.size(); ++i) index.emplace(offers[i].key(), i);
    struct Seen {
        bool pending{false};
        std::uint64_t open{0};
        std::vector<Bytes32> hashes;
    };
    std::vector<Seen> seen(offers.size());
    for (const auto& r : rows) {
        if (r.state == PolicyOrderState::kClosed) continue;
        auto it = index.find(r.offer);
        if (it == index.end()) {
            if (r.state == PolicyOrderState::kOpen) d.unpublish.push_back(r.order_hash);
            continue;
        }
        Seen& s = seen[it->second];
        if (r.state != PolicyOrderState::kOpen) {
            s.pending = true;
            continue;
        }
        s.open += r.remaining;
        s.hashes.push_back(r.order_hash);
    }
    for (std::size_t i = 0; i < offers.size(); ++i) {
        const Seen& s = seen[i];
        if (s.pending || s.open == volumes[i]) continue;
        d.unpublish.insert(d.unpublish.end(), s.hashes.begin(), s.hashes.end());
        if (volumes[i] > 0) d.publish.push_back({i, volumes[i]});
    }
    return d;
}

}  // namespace wp::scheduler
