#include "match.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include <wp/core/hex.hpp>

#include "ids.hpp"
#include "tag.hpp"

namespace wp {

namespace {

tl::unexpected<MatchRevert> fail(std::uint8_t code, std::string explanation) {
    char reason[32];
    std::snprintf(reason, sizeof reason, "iExecV5-matchOrders-0x%02x", code);
    return tl::unexpected<MatchRevert>(MatchRevert{RevertKind::kReason, reason, std::move(explanation)});
}

tl::unexpected<MatchRevert> fail_reason(std::string reason, std::string explanation) {
    return tl::unexpected<MatchRevert>(MatchRevert{RevertKind::kReason, std::move(reason), std::move(explanation)});
}

tl::unexpected<MatchRevert> fail_empty(std::string explanation) {
    return tl::unexpected<MatchRevert>(MatchRevert{RevertKind::kEmpty, "", std::move(explanation)});
}

tl::unexpected<MatchRevert> fail_panic(std::string explanation) {
    return tl::unexpected<MatchRevert>(MatchRevert{RevertKind::kPanic, "Panic(0x11)", std::move(explanation)});
}

std::string addr(const Address& a) { return a.to_checksum(); }

std::string tag_hex(const Bytes32& t) { return to_hex(t); }

// The signature checks (0x21, 0x31, 0x41, 0x50).
std::optional<tl::unexpected<MatchRevert>> check_signature(SignatureCheck check, std::uint8_t code, const char* what,
                                                           const Address& signer) {
    switch (check) {
        case SignatureCheck::kValid: return std::nullopt;
        case SignatureCheck::kInvalid:
            return fail(code, std::string(what) + " order is neither presigned nor validly signed by " + addr(signer));
        case SignatureCheck::kInvalidFormat:
            return fail_reason("invalid-signature-format",
                               std::string(what) + " order signature is neither 65 nor 64 " + "bytes long and " +
                                   addr(signer) + " is an EOA that did not presign it");
    }
    return std::nullopt;
}

// _transfer(account → hub) of a lock.
std::optional<tl::unexpected<MatchRevert>> check_lock(const Address& account, const U256& amount,
                                                      const std::optional<U256>& balance, const char* who) {
    if (account.is_zero())
        return fail_reason("IexecEscrow: Transfer from empty address", std::string(who) + " is the zero address");
    if (balance && amount > *balance)
        return fail_reason("IexecEscrow: Transfer amount exceeds balance",
                           std::string(who) + " " + addr(account) + " must lock " + amount.to_dec() +
                               " nRLC but has a free balance of " + balance->to_dec());
    return std::nullopt;
}

}  // namespace

Error MatchRevert::to_error() const {
    const std::string head = kind == RevertKind::kEmpty ? std::string("revert without data") : reason;
    return Error{kind == RevertKind::kPanic ? Errc::kOverflow : Errc::kInvalidArgument, head + ": " + explanation};
}

bool is_authorized_by_restriction(const Address& restriction, const Address& account,
                                  const std::function<bool(const Address&, const Address&)>& group_member) {
    if (restriction.is_zero() || restriction == account) return true;
    return group_member ? group_member(restriction, account) : false;
}

Bytes32 match_tag(const AppOrder& app, const DatasetOrder& dataset, const RequestOrder& request, PocoVersion version) {
    const Bytes32 dataset_tag = version == PocoVersion::kV6_2 ? tag_strip_tee_framework(dataset.tag) : dataset.tag;
    return tag_or(tag_or(app.tag, dataset_tag), request.tag);
}

Result<U256> compute_deal_volume(const AppOrder& app, const DatasetOrder& dataset, const WorkerpoolOrder& workerpool,
                                 const RequestOrder& request, const MatchFacts& facts) {
    auto remaining = [](const U256& volume, const U256& consumed, const char* what) -> Result<U256> {
        auto r = checked_sub(volume, consumed);
        if (!r)
            return make_error(Errc::kOverflow, std::string("computeDealVolume: ") + what + " consumed " +
                                                   consumed.to_dec() + " exceeds its volume " + volume.to_dec());
        return *r;
    };
    WP_TRY(U256 volume, remaining(app.volume, facts.consumed_app, "app order"));
    if (!dataset.dataset.is_zero()) {
        WP_TRY(U256 d, remaining(dataset.volume, facts.consumed_dataset, "dataset order"));
        volume = std::min(volume, d);
    }
    WP_TRY(U256 w, remaining(workerpool.volume, facts.consumed_workerpool, "workerpool order"));
    WP_TRY(U256 r, remaining(request.volume, facts.consumed_request, "request order"));
    return std::min({volume, w, r});
}

tl::expected<MatchedDeal, MatchRevert> match_orders(const AppOrder& app, const DatasetOrder& dataset,
                                                    const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                                    const MatchFacts& facts) {
    const AppOrder& A = app;
    const DatasetOrder& D = dataset;
    const WorkerpoolOrder& W = workerpool;
    const RequestOrder& R = request;

    // ---- Environment and prices.
    if (!(R.category == W.category))
        return fail(0x00,
                    "request category " + R.category.to_dec() + " != workerpool order category " + W.category.to_dec());
    if (!(R.category < facts.category_count))
        return fail(0x01, "request category " + R.category.to_dec() + " does not exist (" +
                              facts.category_count.to_dec() + " categories)");
    if (!(R.trust <= W.trust))
        return fail(0x02, "request trust " + R.trust.to_dec() + " > workerpool order trust " + W.trust.to_dec());
    if (!(R.appmaxprice >= A.appprice))
        return fail(0x03, "request appmaxprice " + R.appmaxprice.to_dec() + " < app price " + A.appprice.to_dec());
    if (!(R.datasetmaxprice >= D.datasetprice))
        return fail(0x04, "request datasetmaxprice " + R.datasetmaxprice.to_dec() + " < dataset price " +
                              D.datasetprice.to_dec());
    if (!(R.workerpoolmaxprice >= W.workerpoolprice))
        return fail(0x05, "request workerpoolmaxprice " + R.workerpoolmaxprice.to_dec() + " < workerpool price " +
                              W.workerpoolprice.to_dec());
    const Bytes32 tag = match_tag(A, D, R, facts.version);
    const Bytes32 missing = tag_and(tag, (~U256::from_be32(W.tag)).to_be32());
    if (!missing.is_zero())
        return fail(0x06, "the workerpool order tag " + tag_hex(W.tag) + " lacks the requested bits " +
                              tag_hex(missing) + " (app | dataset | request tag = " + tag_hex(tag) + ")");
    if (((tag[31] ^ A.tag[31]) & 0x01) != 0)
        return fail(0x07, "the dataset or request order requires TEE (bit 0) but the app order tag " + tag_hex(A.tag) +
                              " does not have it");

    // ---- Matching and restrictions.
    if (!(R.app == A.app)) return fail(0x10, "request app " + addr(R.app) + " != app order app " + addr(A.app));
    if (!(R.dataset == D.dataset))
        return fail(0x11, "request dataset " + addr(R.dataset) + " != dataset order dataset " + addr(D.dataset));
    struct Restriction {
        std::uint8_t code;
        const Address* restriction;
        const Address* account;
        const char* text;
    };
    const Restriction restrictions[] = {
        {0x12, &R.workerpool, &W.workerpool, "request workerpool restriction"},
        {0x13, &A.datasetrestrict, &D.dataset, "app order datasetrestrict"},
        {0x14, &A.workerpoolrestrict, &W.workerpool, "app order workerpoolrestrict"},
        {0x15, &A.requesterrestrict, &R.requester, "app order requesterrestrict"},
        {0x16, &D.apprestrict, &A.app, "dataset order apprestrict"},
        {0x17, &D.workerpoolrestrict, &W.workerpool, "dataset order workerpoolrestrict"},
        {0x18, &D.requesterrestrict, &R.requester, "dataset order requesterrestrict"},
        {0x19, &W.apprestrict, &A.app, "workerpool order apprestrict"},
        {0x1a, &W.datasetrestrict, &D.dataset, "workerpool order datasetrestrict"},
        {0x1b, &W.requesterrestrict, &R.requester, "workerpool order requesterrestrict"},
    };
    for (const auto& r : restrictions) {
        if (!is_authorized_by_restriction(*r.restriction, *r.account, facts.group_member))
            return fail(r.code,
                        std::string(r.text) + " " + addr(*r.restriction) + " does not authorize " + addr(*r.account));
    }

    // ---- Authenticity.
    MatchedDeal out;
    out.has_dataset = !D.dataset.is_zero();
    out.app_hash = order_hash(facts.domain_separator, Order(A));
    if (!facts.app.owner) return fail_empty("owner() of the app " + addr(A.app) + " failed (not an app contract)");
    const Address app_owner = *facts.app.owner;
    if (!facts.app.registered) return fail(0x20, "app " + addr(A.app) + " is not registered in the app registry");
    if (auto e = check_signature(facts.app.signature, 0x21, "app", app_owner)) return *e;

    Address dataset_owner;
    if (out.has_dataset) {
        out.dataset_hash = order_hash(facts.domain_separator, Order(D));
        if (!facts.dataset.owner)
            return fail_empty("owner() of the dataset " + addr(D.dataset) + " failed (not a dataset contract)");
        dataset_owner = *facts.dataset.owner;
        if (!facts.dataset.registered)
            return fail(0x30, "dataset " + addr(D.dataset) + " is not registered in the dataset registry");
        if (auto e = check_signature(facts.dataset.signature, 0x31, "dataset", dataset_owner)) return *e;
    }

    out.workerpool_hash = order_hash(facts.domain_separator, Order(W));
    if (!facts.workerpool.owner)
        return fail_empty("owner() of the workerpool " + addr(W.workerpool) + " failed (not a workerpool contract)");
    const Address workerpool_owner = *facts.workerpool.owner;
    if (!facts.workerpool.registered)
        return fail(0x40, "workerpool " + addr(W.workerpool) + " is not registered in the workerpool registry");
    if (auto e = check_signature(facts.workerpool.signature, 0x41, "workerpool", workerpool_owner)) return *e;

    out.request_hash = order_hash(facts.domain_separator, Order(R));
    if (auto e = check_signature(facts.request_signature, 0x50, "request", R.requester)) return *e;

    // ---- Availability.
    auto volume = compute_deal_volume(A, D, W, R, facts);
    if (!volume) return fail_panic(volume.error().message);
    if (volume->is_zero())
        return fail(
            0x60, "no volume left: remaining app " + (A.volume.native() - facts.consumed_app.native()).str() +
                      (out.has_dataset ? ", dataset " + (D.volume.native() - facts.consumed_dataset.native()).str()
                                       : std::string()) +
                      ", workerpool " + (W.volume.native() - facts.consumed_workerpool.native()).str() + ", request " +
                      (R.volume.native() - facts.consumed_request.native()).str());
    out.volume = *volume;

    // ---- Record.
    out.deal_id = deal_id(out.request_hash, facts.consumed_request);
    Deal& deal = out.deal;
    deal.app = {A.app, app_owner, A.appprice};
    deal.dataset = {D.dataset, dataset_owner, out.has_dataset ? D.datasetprice : U256(0)};
    deal.workerpool = {W.workerpool, workerpool_owner, W.workerpoolprice};
    deal.trust = std::max(R.trust, U256(1));
    deal.category = R.category;
    deal.tag = tag;
    deal.requester = R.requester;
    deal.beneficiary = R.beneficiary;
    deal.callback = R.callback;
    deal.params = R.params;
    deal.start_time = facts.timestamp;
    deal.bot_first = facts.consumed_request;
    deal.bot_size = out.volume;
    auto stake = worker_stake(W.workerpoolprice, facts.worker_stake_ratio_policy);
    if (!stake) return fail_panic("deal.workerStake: " + stake.error().message);
    deal.worker_stake = *stake;
    deal.scheduler_reward_ratio = facts.scheduler_reward_ratio_policy;
    deal.sponsor = facts.sponsor.value_or(R.requester);

    // ---- Locks.
    auto price = task_price(deal);
    if (!price) return fail_panic(price.error().message);
    auto sponsor_amount = sponsor_lock(*price, out.volume);
    if (!sponsor_amount) return fail_panic(sponsor_amount.error().message);
    if (auto e = check_lock(deal.sponsor, *sponsor_amount, facts.sponsor_balance, "the sponsor")) return *e;
    auto pool_amount = scheduler_lock(deal.workerpool.price, out.volume);
    if (!pool_amount) return fail_panic(pool_amount.error().message);
    std::optional<U256> pool_balance = facts.workerpool_owner_balance;
    if (deal.sponsor == workerpool_owner && facts.sponsor_balance) {
        pool_balance = U256(U256::Native(facts.sponsor_balance->native() - sponsor_amount->native()));
    }
    if (auto e = check_lock(workerpool_owner, *pool_amount, pool_balance, "the workerpool owner")) return *e;
    out.locks = {{EscrowOp::kLock, deal.sponsor, *sponsor_amount, Bytes32{}},
                 {EscrowOp::kLock, workerpool_owner, *pool_amount, Bytes32{}}};
    return out;
}

}  // namespace wp
