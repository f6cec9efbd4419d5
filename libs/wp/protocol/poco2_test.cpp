#include "poco2.hpp"

#include <gtest/gtest.h>

#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>
#include <wp/crypto/eip191.hpp>

#include "ids.hpp"
#include "tag.hpp"

// Every expectation below is derived by hand from IexecPoco2Facet.sol (PoCo 6.1.0; the line numbers
// cited are those of that file) and protocol.md §6 / §13; the money figures of the worked scenarios
// are the ones protocol.md §6.6–§6.8 records as observed on anvil.

namespace wp {
namespace {

constexpr std::uint64_t kG = 1'000'000'000;  // 1 RLC in nRLC

Address addr(std::string_view s) { return *Address::parse(s); }
PrivateKey key(std::uint8_t n) {
    std::string hex = "0x";
    hex.append(62, '0');
    const char digits[] = "0123456789abcdef";
    hex.push_back(digits[n >> 4]);
    hex.push_back(digits[n & 0xf]);
    return *PrivateKey::from_hex(hex);
}

const PrivateKey kSchedulerKey = key(1);
const PrivateKey kWorker1 = key(2);
const PrivateKey kWorker2 = key(3);
const PrivateKey kWorker3 = key(4);
const PrivateKey kWorker4 = key(5);
const PrivateKey kEnclaveKey = key(6);
const PrivateKey kTeebrokerKey = key(7);
const PrivateKey kStranger = key(8);

const Address kHub = addr("0x3eca1B216A7DF1C7689aEb259fFB83ADFB894E7f");
const Address kPool = addr("0x00000000000000000000000000000000000000c1");
const Address kApp = addr("0x00000000000000000000000000000000000000a1");
const Address kRequester = addr("0x1000000000000000000000000000000000000001");
const Address kAppOwner = addr("0x2000000000000000000000000000000000000002");
const Address kCallback = addr("0x6000000000000000000000000000000000000006");

const Bytes32 kDealId = keccak256(as_bytes("deal"));
const Bytes32 kDigestA = keccak256(as_bytes("result A"));
const Bytes32 kDigestB = keccak256(as_bytes("result B"));

// The deal of §6.6's worked cases: app 5e9 + workerpool 10e9 (P = 15e9), workerStake = 10e9·30/100
// = 3e9, schedulerRewardRatio 1, no dataset; started at 1000 in a category with timeref 100, so
// contributionDeadline = 1000 + 7·100 = 1700 and finalDeadline = 1000 + 10·100 = 2000.
Deal make_deal(std::uint64_t trust) {
    Deal d;
    d.app = {kApp, kAppOwner, 5 * kG};
    d.workerpool = {kPool, kSchedulerKey.address(), 10 * kG};
    d.trust = trust;
    d.requester = kRequester;
    d.beneficiary = kRequester;
    d.start_time = 1000;
    d.bot_first = 0;
    d.bot_size = 2;
    d.worker_stake = 3 * kG;
    d.scheduler_reward_ratio = 1;
    d.sponsor = kRequester;
    return d;
}

InitializeFacts init_facts(const Deal& deal, std::uint64_t idx = 0) {
    InitializeFacts f;
    f.deal_id = kDealId;
    f.idx = idx;
    f.deal = deal;
    f.timeref = 100;
    return f;
}

TaskOutcome initialized(const Deal& deal, std::uint64_t idx = 0) {
    auto r = apply_initialize(init_facts(deal, idx));
    EXPECT_TRUE(r.has_value());
    return *r;
}

ContributeFacts contribute_facts(const Deal& deal, const TaskRecord& record, const PrivateKey& worker,
                                 const Bytes32& digest, std::uint64_t now) {
    ContributeFacts f;
    f.task_id = task_id(kDealId, record.task.idx);
    f.result_hash = result_hash(f.task_id, digest);
    f.result_seal = result_seal(worker.address(), f.task_id, digest);
    f.authorization_sign = sign_authorization(kSchedulerKey, worker.address(), f.task_id, Address{});
    f.caller = worker.address();
    f.now = now;
    f.deal = deal;
    f.record = record;
    f.hub = kHub;
    return f;
}

// contribute that must succeed; returns the outcome.
TaskOutcome contribute_ok(const ContributeFacts& f) {
    auto r = apply_contribute(f);
    EXPECT_TRUE(r.has_value()) << (r ? "" : std::string(to_string(r.error().check)) + ": " + r.error().explanation);
    return *r;
}

void expect_bare(const TaskResult<void>& r, TaskCheck check) {
    ASSERT_FALSE(r.has_value()) << "expected " << to_string(check);
    EXPECT_EQ(r.error().kind, RevertKind::kEmpty);
    EXPECT_EQ(r.error().reason, "");
    EXPECT_EQ(r.error().check, check) << to_string(r.error().check) << ": " << r.error().explanation;
    EXPECT_FALSE(r.error().explanation.empty());
}

void expect_reason(const TaskResult<void>& r, TaskCheck check, std::string_view reason) {
    ASSERT_FALSE(r.has_value()) << "expected " << reason;
    EXPECT_EQ(r.error().kind, RevertKind::kReason);
    EXPECT_EQ(r.error().reason, reason);
    EXPECT_EQ(r.error().check, check) << to_string(r.error().check) << ": " << r.error().explanation;
}

void expect_ok(const TaskResult<void>& r) {
    EXPECT_TRUE(r.has_value()) << (r ? "" : std::string(to_string(r.error().check)) + ": " + r.error().explanation);
}

BalanceMovement mv(EscrowOp op, const Address& a, const U256& v, const Bytes32& ref = {}) { return {op, a, v, ref}; }

std::vector<std::string> event_names(const std::vector<TaskEvent>& events) {
    std::vector<std::string> out;
    for (const auto& e : events) out.emplace_back(to_string(e.kind));
    return out;
}

// ---- names -------------------------------------------------------------------------------------------

TEST(Poco2, Names) {
    EXPECT_EQ(to_string(TaskCheck::kArrayLengths), "array-lengths");
    EXPECT_EQ(to_string(TaskCheck::kContributeDeadline), "contribute.deadline");
    EXPECT_EQ(to_string(TaskCheck::kFinalizeRevealsIncomplete), "finalize.reveals-incomplete");
    EXPECT_EQ(to_string(TaskCheck::kArithmetic), "arithmetic");
    EXPECT_EQ(to_string(TaskEventKind::kTransfer), "Transfer");
    EXPECT_EQ(to_string(TaskEventKind::kTaskClaimed), "TaskClaimed");
    EXPECT_EQ(to_string(TaskEventKind::kFaultyContribution), "FaultyContribution");
    TaskRevert r;
    r.kind = RevertKind::kEmpty;
    r.explanation = "x";
    // Sliced to the MatchRevert shape, CLI code prints it like a matchOrders revert.
    const MatchRevert& base = r;
    EXPECT_EQ(base.to_error().message, "revert without data: x");
}

// ---- signatures (SignatureVerifier.sol L56–L83) ----------------------------------------------------------

TEST(Poco2Signature, VerifyEthSignedMessage) {
    const Bytes32 h = keccak256(as_bytes("message"));
    const Signature sig = eip191_sign(kWorker1, h.view());
    const Address signer = kWorker1.address();
    EXPECT_EQ(verify_eth_signed_message(signer, h, sig.to_bytes65()), SignatureCheck::kValid);
    EXPECT_EQ(verify_eth_signed_message(signer, h, sig.to_compact64()), SignatureCheck::kValid);  // EIP-2098
    EXPECT_EQ(verify_eth_signed_message(kWorker2.address(), h, sig.to_bytes65()), SignatureCheck::kInvalid);
    // v = 0/1 is not accepted by OZ tryRecover (§3.4).
    Bytes v01 = sig.to_bytes65();
    v01[64] = static_cast<std::uint8_t>(v01[64] - 27);
    EXPECT_EQ(verify_eth_signed_message(signer, h, v01), SignatureCheck::kInvalid);
    // Any other length on an EOA: revert "invalid-signature-format" (an empty signature included).
    EXPECT_EQ(verify_eth_signed_message(signer, h, Bytes{}), SignatureCheck::kInvalidFormat);
    EXPECT_EQ(verify_eth_signed_message(signer, h, Bytes(66, 1)), SignatureCheck::kInvalidFormat);
    // A malformed 65-byte signature recovers to address 0, which "matches" account 0 (L82).
    EXPECT_EQ(verify_eth_signed_message(Address{}, h, Bytes(65, 0)), SignatureCheck::kValid);
    // An account with code: its ERC-1271 verdict, whatever the signature's length; the oracle
    // receives the EIP-191 digest.
    Bytes32 seen;
    Erc1271Oracle oracle = [&](const Address& a, const Bytes32& digest, ByteView) -> std::optional<bool> {
        if (a != kPool) return std::nullopt;
        seen = digest;
        return true;
    };
    EXPECT_EQ(verify_eth_signed_message(kPool, h, Bytes{}, oracle), SignatureCheck::kValid);
    EXPECT_EQ(seen, eip191_hash(h));
    EXPECT_EQ(verify_eth_signed_message(signer, h, sig.to_bytes65(), oracle), SignatureCheck::kValid);
    Erc1271Oracle refuse = [](const Address&, const Bytes32&, ByteView) -> std::optional<bool> { return false; };
    EXPECT_EQ(verify_eth_signed_message(signer, h, sig.to_bytes65(), refuse), SignatureCheck::kInvalid);
}

TEST(Poco2Signature, AuthorizationSignerAndTee) {
    Deal d = make_deal(1);
    const Address enclave = kEnclaveKey.address();
    const Address broker = kTeebrokerKey.address();
    EXPECT_EQ(authorization_signer(d, Address{}, broker), d.workerpool.owner);  // standard task
    EXPECT_EQ(authorization_signer(d, enclave, Address{}), d.workerpool.owner);  // no teebroker configured
    EXPECT_EQ(authorization_signer(d, enclave, broker), broker);
    EXPECT_FALSE(deal_requires_enclave(d));
    d.tag = make_tag(0x1);
    EXPECT_TRUE(deal_requires_enclave(d));
    d.tag = make_tag(0x100);  // bit 8 is not the TEE bit
    EXPECT_FALSE(deal_requires_enclave(d));
}

// ---- initialize (L80–L104) ------------------------------------------------------------------------------

TEST(Poco2Initialize, Passes) {
    const Deal deal = make_deal(1);
    auto r = apply_initialize(init_facts(deal, 1));
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->task_id, task_id(kDealId, 1));
    const Task& t = r->record.task;
    EXPECT_EQ(t.status, TaskStatus::kActive);
    EXPECT_EQ(t.deal_id, kDealId);
    EXPECT_EQ(t.idx, U256(1));
    EXPECT_EQ(t.timeref, U256(100));
    EXPECT_EQ(t.contribution_deadline, U256(1700));  // 1000 + 7·100
    EXPECT_EQ(t.final_deadline, U256(2000));         // 1000 + 10·100
    EXPECT_EQ(r->record.consensus.total, U256(1));   // L99
    ASSERT_EQ(r->events.size(), 1u);
    EXPECT_EQ(r->events[0].kind, TaskEventKind::kTaskInitialize);
    EXPECT_EQ(r->events[0].task_id, r->task_id);
    EXPECT_EQ(r->events[0].account, kPool);
    EXPECT_TRUE(r->movements.empty());
}

TEST(Poco2Initialize, Reverts) {
    Deal deal = make_deal(1);
    deal.bot_first = 5;  // a second deal of the same request order: tasks 5 and 6
    expect_bare(check_initialize(init_facts(deal, 4)), TaskCheck::kInitializeIdxBelowFirst);  // L84
    expect_ok(check_initialize(init_facts(deal, 5)));
    expect_ok(check_initialize(init_facts(deal, 6)));
    expect_bare(check_initialize(init_facts(deal, 7)), TaskCheck::kInitializeIdxPastEnd);  // L85
    expect_bare(check_initialize(init_facts(Deal{}, 0)), TaskCheck::kInitializeIdxPastEnd);  // unknown deal
    auto f = init_facts(make_deal(1), 0);
    f.task_status = TaskStatus::kFailed;
    expect_bare(check_initialize(f), TaskCheck::kInitializeNotUnset);  // L89
    f.task_status = TaskStatus::kActive;
    expect_bare(check_initialize(f), TaskCheck::kInitializeNotUnset);
    // botFirst + botSize overflowing panics in L85 before the comparison.
    deal.bot_first = U256::max();
    auto g = init_facts(deal, 0);
    g.idx = U256::max();
    auto r = check_initialize(g);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, RevertKind::kPanic);
    EXPECT_EQ(r.error().reason, "Panic(0x11)");
    EXPECT_EQ(r.error().check, TaskCheck::kArithmetic);
    // L94 reads m_categories[deal.category], an array: a missing category panics 0x32 after L89.
    auto h = init_facts(make_deal(1), 0);
    h.category_exists = false;
    auto p = check_initialize(h);
    ASSERT_FALSE(p);
    EXPECT_EQ(p.error().reason, "Panic(0x32)");
    h.task_status = TaskStatus::kActive;
    expect_bare(check_initialize(h), TaskCheck::kInitializeNotUnset);
}

TEST(Poco2Initialize, Array) {
    const Deal deal = make_deal(1);
    const std::vector<InitializeFacts> two{init_facts(deal, 0), init_facts(deal, 1)};
    auto r = apply_initialize_array(two, 2);
    ASSERT_TRUE(r.has_value());
    ASSERT_EQ(r->size(), 2u);
    EXPECT_EQ((*r)[1].task_id, task_id(kDealId, 1));
    // L558: unequal lengths.
    auto bad = apply_initialize_array(two, 3);
    ASSERT_FALSE(bad);
    EXPECT_EQ(bad.error().check, TaskCheck::kArrayLengths);
    EXPECT_EQ(bad.error().kind, RevertKind::kEmpty);
    // The same task twice: the second initialize sees ACTIVE (L89), the whole call reverts.
    const std::vector<InitializeFacts> dup{init_facts(deal, 0), init_facts(deal, 0)};
    auto d = apply_initialize_array(dup, 2);
    ASSERT_FALSE(d);
    EXPECT_EQ(d.error().check, TaskCheck::kInitializeNotUnset);
    EXPECT_EQ(d.error().explanation.rfind("item 1: ", 0), 0u);
}

TEST(Poco2Initialize, AndClaimArray) {
    const Deal deal = make_deal(1);
    const std::vector<InitializeFacts> items{init_facts(deal, 0)};
    // finalDeadline 2000 ≤ now is required by claim (L359).
    auto early = apply_initialize_and_claim_array(items, 1, 1999, kHub);
    ASSERT_FALSE(early);
    EXPECT_EQ(early.error().check, TaskCheck::kClaimBeforeFinalDeadline);
    auto lengths = apply_initialize_and_claim_array(items, 0, 2000, kHub);
    ASSERT_FALSE(lengths);
    EXPECT_EQ(lengths.error().check, TaskCheck::kArrayLengths);
    auto r = apply_initialize_and_claim_array(items, 1, 2000, kHub);
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ((*r)[0].record.task.status, TaskStatus::kFailed);
    EXPECT_EQ(event_names((*r)[0].events), (std::vector<std::string>{"TaskInitialize", "Transfer", "Unlock", "Seize",
                                                                     "Reward", "Lock", "TaskClaimed"}));
}

// ---- contribute (L106–L181) ------------------------------------------------------------------------------

TEST(Poco2Contribute, PassesTrustOne) {
    const Deal deal = make_deal(1);
    const TaskRecord rec = initialized(deal).record;
    auto f = contribute_facts(deal, rec, kWorker1, kDigestA, 1500);
    f.caller_balance = 3 * kG;  // exactly the stake
    const TaskOutcome out = contribute_ok(f);
    // w = max(0/3, 3) − 1 = 2; group[A] = 2, total = 1 + 2 = 3; trust 1: 2·1 > 3·0 → consensus.
    EXPECT_TRUE(out.consensus_reached);
    const Task& t = out.record.task;
    EXPECT_EQ(t.status, TaskStatus::kRevealing);
    EXPECT_EQ(t.consensus_value, f.result_hash);
    EXPECT_EQ(t.reveal_deadline, U256(1700));  // 1500 + 2·100
    EXPECT_EQ(t.reveal_counter, U256(0));
    EXPECT_EQ(t.winner_counter, U256(1));
    EXPECT_EQ(t.contributors, std::vector<Address>{kWorker1.address()});
    const Contribution c = out.record.contribution_of(kWorker1.address());
    EXPECT_EQ(c.status, ContributionStatus::kContributed);
    EXPECT_EQ(c.result_hash, f.result_hash);
    EXPECT_EQ(c.result_seal, f.result_seal);
    EXPECT_EQ(c.weight, U256(1));  // log2(2)
    EXPECT_EQ(out.record.consensus.group_of(f.result_hash), U256(2));
    EXPECT_EQ(out.record.consensus.total, U256(3));
    EXPECT_EQ(out.movements, (std::vector<BalanceMovement>{mv(EscrowOp::kLock, kWorker1.address(), 3 * kG)}));
    // §11.7: contribute (trust 1) → Transfer, Lock(worker, workerStake), TaskContribute, TaskConsensus.
    ASSERT_EQ(event_names(out.events),
              (std::vector<std::string>{"Transfer", "Lock", "TaskContribute", "TaskConsensus"}));
    EXPECT_EQ(out.events[0].account, kWorker1.address());
    EXPECT_EQ(out.events[0].to, kHub);
    EXPECT_EQ(out.events[0].amount, U256(3 * kG));
    EXPECT_EQ(out.events[2].account, kWorker1.address());
    EXPECT_EQ(out.events[2].value, f.result_hash);
    EXPECT_EQ(out.events[3].value, f.result_hash);
}

TEST(Poco2Contribute, RevertsInOrder) {
    const Deal deal = make_deal(3);
    const TaskRecord rec = initialized(deal).record;
    const auto base = contribute_facts(deal, rec, kWorker1, kDigestA, 1500);
    expect_ok(check_contribute(base));

    auto f = base;  // L121: a task never initialized
    f.record = TaskRecord{};
    expect_bare(check_contribute(f), TaskCheck::kContributeNotActive);
    f = base;
    f.record.task.status = TaskStatus::kRevealing;
    expect_bare(check_contribute(f), TaskCheck::kContributeNotActive);

    f = base;  // L122: strict, contributionDeadline 1700 > now
    f.now = 1699;
    expect_ok(check_contribute(f));
    f.now = 1700;
    expect_bare(check_contribute(f), TaskCheck::kContributeDeadline);

    // L123: a second contribution of the same worker (trust 3: the first does not reach consensus).
    const TaskOutcome once = contribute_ok(base);
    EXPECT_FALSE(once.consensus_reached);  // 2·3 > 3·2 is false
    f = base;
    f.record = once.record;
    expect_bare(check_contribute(f), TaskCheck::kContributeAlreadyDone);

    // L126: TEE deal without an enclave challenge.
    Deal tee = deal;
    tee.tag = make_tag(0x1);
    f = base;
    f.deal = tee;
    expect_bare(check_contribute(f), TaskCheck::kContributeTeeNeedsEnclave);

    // L129: authorization signed by someone else / for another worker / bad length.
    f = base;
    f.authorization_sign = sign_authorization(kStranger, kWorker1.address(), f.task_id, Address{});
    expect_bare(check_contribute(f), TaskCheck::kContributeAuthorization);
    f.authorization_sign = sign_authorization(kSchedulerKey, kWorker2.address(), f.task_id, Address{});
    expect_bare(check_contribute(f), TaskCheck::kContributeAuthorization);
    f.authorization_sign = Bytes(10, 0xab);
    expect_reason(check_contribute(f), TaskCheck::kContributeAuthorization, "invalid-signature-format");
    // The EIP-2098 compact form is accepted.
    f.authorization_sign =
        eip191_sign(kSchedulerKey, authorization_hash(kWorker1.address(), f.task_id, Address{}).view()).to_compact64();
    expect_ok(check_contribute(f));

    // L157: the stake lock.
    f = base;
    f.caller_balance = 3 * kG - 1;
    expect_reason(check_contribute(f), TaskCheck::kContributeStakeLock, "IexecEscrow: Transfer amount exceeds balance");
}

TEST(Poco2Contribute, EnclaveAndTeebroker) {
    Deal deal = make_deal(1);
    deal.tag = make_tag(0x3);  // tee + scone
    const TaskRecord rec = initialized(deal).record;
    const Address enclave = kEnclaveKey.address();
    auto base = contribute_facts(deal, rec, kWorker1, kDigestA, 1500);
    base.enclave_challenge = enclave;
    base.authorization_sign = sign_authorization(kSchedulerKey, kWorker1.address(), base.task_id, enclave);
    base.enclave_sign = eip191_sign(kEnclaveKey, enclave_message_hash(base.result_hash, base.result_seal).view())
                            .to_bytes65();
    // No teebroker: the scheduler signs the TEE authorization.
    expect_ok(check_contribute(base));
    auto out = contribute_ok(base);
    EXPECT_EQ(out.record.contribution_of(kWorker1.address()).enclave_challenge, enclave);

    // With a teebroker the scheduler's signature no longer authorizes (L131), the broker's does.
    auto f = base;
    f.teebroker = kTeebrokerKey.address();
    expect_bare(check_contribute(f), TaskCheck::kContributeAuthorization);
    f.authorization_sign = sign_authorization(kTeebrokerKey, kWorker1.address(), f.task_id, enclave);
    expect_ok(check_contribute(f));
    // ...but a standard contribution (enclave 0) is still signed by the scheduler even with a teebroker.
    Deal std_deal = make_deal(1);
    auto s = contribute_facts(std_deal, initialized(std_deal).record, kWorker1, kDigestA, 1500);
    s.teebroker = kTeebrokerKey.address();
    expect_ok(check_contribute(s));

    // L140: the enclave signature must sign keccak256(resultHash ‖ resultSeal).
    f = base;
    f.enclave_sign = eip191_sign(kEnclaveKey, f.result_hash.view()).to_bytes65();
    expect_bare(check_contribute(f), TaskCheck::kContributeEnclaveSignature);
    f.enclave_sign = eip191_sign(kStranger, enclave_message_hash(f.result_hash, f.result_seal).view()).to_bytes65();
    expect_bare(check_contribute(f), TaskCheck::kContributeEnclaveSignature);
    f.enclave_sign = Bytes{};
    expect_reason(check_contribute(f), TaskCheck::kContributeEnclaveSignature, "invalid-signature-format");
    // The authorization is checked before the enclave signature (L129 before L140).
    f.authorization_sign = Bytes{};
    expect_reason(check_contribute(f), TaskCheck::kContributeAuthorization, "invalid-signature-format");

    // A scheduler that is a contract (ERC-1271) authorizes through its own verdict.
    f = base;
    f.authorization_sign = Bytes{};
    f.erc1271 = [&](const Address& a, const Bytes32& digest, ByteView) -> std::optional<bool> {
        if (a != kSchedulerKey.address()) return std::nullopt;
        return digest == eip191_hash(authorization_hash(kWorker1.address(), f.task_id, enclave));
    };
    expect_ok(check_contribute(f));
}

TEST(Poco2Contribute, ConsensusArithmeticPanics) {
    // score = 2^256 − 1 → w = (2^256 − 1)/3 − 1. With trust 4, checkConsensus computes group·4 =
    // 4w > 2^256 → Panic(0x11) (L394), after every require passed.
    const Deal deal = make_deal(4);
    auto f = contribute_facts(deal, initialized(deal).record, kWorker1, kDigestA, 1500);
    f.caller_score = U256::max();
    auto r = check_contribute(f);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, RevertKind::kPanic);
    EXPECT_EQ(r.error().reason, "Panic(0x11)");
    EXPECT_EQ(r.error().check, TaskCheck::kArithmetic);
    EXPECT_EQ(r.error().to_error().code, Errc::kOverflow);
    // With trust 3 the same worker reaches consensus alone: 3w > 2·(1 + w) ⇔ w > 2.
    Deal t3 = make_deal(3);
    auto g = contribute_facts(t3, initialized(t3).record, kWorker1, kDigestA, 1500);
    g.caller_score = U256::max();
    auto out = contribute_ok(g);
    EXPECT_TRUE(out.consensus_reached);
    EXPECT_EQ(out.record.contribution_of(kWorker1.address()).weight, U256(254));  // (2^256 − 1)/3 − 1 ≈ 2^254.4 → floor(log2) = 254
}

// ---- the trust-3 scenario: A, B, A, A (§6.3, verified on anvil: consensus on the 4th, 3 winners) -----

struct Trust3 {
    Deal deal = make_deal(3);
    std::vector<TaskOutcome> steps;  // initialize, then the four contributions
    EscrowBook book;

    Trust3() {
        steps.push_back(initialized(deal));
        // W1 A (score 0), W2 B (the dissenter, score 10), W3 A (score 0), W4 A (score 0).
        const std::pair<const PrivateKey*, const Bytes32*> order[] = {
            {&kWorker1, &kDigestA}, {&kWorker2, &kDigestB}, {&kWorker3, &kDigestA}, {&kWorker4, &kDigestA}};
        std::uint64_t now = 1100;
        for (const auto& [k, d] : order) {
            auto f = contribute_facts(deal, steps.back().record, *k, *d, now);
            f.caller_score = k == &kWorker2 ? 10 : 0;
            steps.push_back(contribute_ok(f));
            now += 10;
        }
        // Balances after the match: sponsor locked P = 15e9, scheduler locked 3e9, kitty 3e9; each
        // worker holds 3e9 free; the diamond holds Σ frozen = 21e9.
        book.hub = kHub;
        book.accounts[kRequester] = {0, 15 * kG};
        book.accounts[kSchedulerKey.address()] = {0, 3 * kG};
        book.accounts[kitty_address()] = {0, 3 * kG};
        book.accounts[kHub] = {21 * kG, 0};
        for (const auto* k : {&kWorker1, &kWorker2, &kWorker3, &kWorker4}) book.accounts[k->address()] = {3 * kG, 0};
    }
};

TEST(Poco2Scenario, Trust3ThreeWinnersOneLoser) {
    Trust3 s;
    const Bytes32 tid = task_id(kDealId, 0);
    const Bytes32 hA = result_hash(tid, kDigestA);
    const Bytes32 hB = result_hash(tid, kDigestB);
    // Consensus arithmetic (w = 2 for every score < 12, so the dissenter's score 10 weighs the same):
    //  W1 A: group[A] = 2, total = 3;  2·3 = 6 > 3·2 = 6? no
    //  W2 B: group[B] = 2, total = 5;  6 > 10? no
    //  W3 A: delta = 2·2 − 2 = 2: group[A] = 4, total = 7;  12 > 14? no
    //  W4 A: delta = 4·2 − 4 = 4: group[A] = 8, total = 11; 24 > 22 → consensus, revealDeadline 1130 + 200.
    EXPECT_FALSE(s.steps[1].consensus_reached);
    EXPECT_FALSE(s.steps[2].consensus_reached);
    EXPECT_FALSE(s.steps[3].consensus_reached);
    ASSERT_TRUE(s.steps[4].consensus_reached);
    const TaskRecord& rec = s.steps[4].record;
    EXPECT_EQ(rec.consensus.group_of(hA), U256(8));
    EXPECT_EQ(rec.consensus.group_of(hB), U256(2));
    EXPECT_EQ(rec.consensus.total, U256(11));
    EXPECT_EQ(rec.task.winner_counter, U256(3));
    EXPECT_EQ(rec.task.reveal_deadline, U256(1330));
    EXPECT_EQ(rec.task.consensus_value, hA);

    // Once REVEALING a fifth contribution is refused (L121).
    expect_bare(check_contribute(contribute_facts(s.deal, rec, kStranger, kDigestA, 1140)),
                TaskCheck::kContributeNotActive);

    // Reveals. The dissenter cannot reveal (L271); a stranger has no contribution (L270).
    RevealFacts r{tid, kDigestA, kWorker2.address(), 1200, rec};
    expect_bare(check_reveal(r), TaskCheck::kRevealNotConsensus);
    r.caller = kStranger.address();
    expect_bare(check_reveal(r), TaskCheck::kRevealNotContributed);
    TaskRecord cur = rec;
    for (const auto* k : {&kWorker1, &kWorker3, &kWorker4}) {
        auto out = apply_reveal(RevealFacts{tid, kDigestA, k->address(), 1200, cur});
        ASSERT_TRUE(out.has_value());
        EXPECT_EQ(event_names(out->events), std::vector<std::string>{"TaskReveal"});
        EXPECT_EQ(out->events[0].value, kDigestA);
        cur = out->record;
    }
    EXPECT_EQ(cur.task.reveal_counter, U256(3));
    EXPECT_EQ(cur.task.result_digest, kDigestA);
    // L290: nobody may reopen a task with reveals.
    expect_bare(check_reopen(ReopenFacts{tid, kSchedulerKey.address(), 1400, s.deal, cur}),
                TaskCheck::kReopenRevealNotFailed);

    // finalize right away: revealCounter 3 == winnerCounter 3 (L324), before revealDeadline.
    FinalizeFacts fin{tid, to_bytes("results"), {}, kSchedulerKey.address(), 1210,
                      s.deal, cur, 3 * kG, {{kWorker2.address(), 10}}, kHub};
    auto out = apply_finalize(fin);
    ASSERT_TRUE(out.has_value()) << out.error().explanation;
    // successWork: seize(sponsor, 15e9); reward(app owner, 5e9); unlock(scheduler, 10e9·30/100 = 3e9);
    //  kitty 3e9 → x = min(max(3e9·10/100 = 0.3e9, 1e9), 3e9) = 1e9: seize(KITTY, 1e9), reward(scheduler, 1e9).
    // distributeRewards: totalReward = 10e9 + 3e9 (the dissenter's stake) = 13e9; totalLogWeight = 3;
    //  workersReward = 13e9·99/100 = 12.87e9; each winner mulDiv(12.87e9, 1, 3) = 4.29e9;
    //  scheduler = 13e9 − 3·4.29e9 = 0.13e9.
    const Address sch = kSchedulerKey.address();
    const std::vector<BalanceMovement> expected{
        mv(EscrowOp::kSeize, kRequester, 15 * kG, tid),
        mv(EscrowOp::kReward, kAppOwner, 5 * kG, tid),
        mv(EscrowOp::kUnlock, sch, 3 * kG),
        mv(EscrowOp::kSeize, kitty_address(), 1 * kG, tid),
        mv(EscrowOp::kReward, sch, 1 * kG, tid),
        mv(EscrowOp::kUnlock, kWorker1.address(), 3 * kG),
        mv(EscrowOp::kReward, kWorker1.address(), 4'290'000'000, tid),
        mv(EscrowOp::kSeize, kWorker2.address(), 3 * kG, tid),
        mv(EscrowOp::kUnlock, kWorker3.address(), 3 * kG),
        mv(EscrowOp::kReward, kWorker3.address(), 4'290'000'000, tid),
        mv(EscrowOp::kUnlock, kWorker4.address(), 3 * kG),
        mv(EscrowOp::kReward, kWorker4.address(), 4'290'000'000, tid),
        mv(EscrowOp::kReward, sch, 130'000'000, tid),
    };
    EXPECT_EQ(out->movements, expected);
    // Scores: 4 contributors > 1 → winners 0 → 1; the dissenter floor(2·10/3) = 6.
    const std::vector<ScoreUpdate> scores{{kWorker1.address(), 0, 1, true},
                                          {kWorker2.address(), 10, 6, false},
                                          {kWorker3.address(), 0, 1, true},
                                          {kWorker4.address(), 0, 1, true}};
    EXPECT_EQ(out->scores, scores);
    EXPECT_EQ(out->record.task.status, TaskStatus::kCompleted);
    EXPECT_EQ(out->record.task.results, fin.results);
    EXPECT_FALSE(out->callback.has_value());
    EXPECT_EQ(event_names(out->events),
              (std::vector<std::string>{"Seize",    "Transfer", "Reward",   "Transfer", "Unlock",
                                        "Seize",    "Transfer", "Reward",                              // kitty
                                        "Transfer", "Unlock",   "Transfer", "Reward",   "AccurateContribution",  // W1
                                        "Seize",    "FaultyContribution",                                        // W2
                                        "Transfer", "Unlock",   "Transfer", "Reward",   "AccurateContribution",  // W3
                                        "Transfer", "Unlock",   "Transfer", "Reward",   "AccurateContribution",  // W4
                                        "Transfer", "Reward",   "TaskFinalize"}));
    EXPECT_EQ(out->events.back().data, fin.results);
    EXPECT_EQ(out->events[12].account, kWorker1.address());
    EXPECT_EQ(out->events[12].task_id, tid);

    // The same movements on the balances: contributions lock 4·3e9, then finalize.
    for (std::size_t i = 1; i <= 4; ++i) ASSERT_TRUE(apply_escrow_movements(s.book, s.steps[i].movements));
    ASSERT_TRUE(apply_escrow_movements(s.book, out->movements));
    EXPECT_EQ(s.book.account(kRequester), (Account{0, 0}));
    EXPECT_EQ(s.book.account(kAppOwner), (Account{5 * kG, 0}));
    EXPECT_EQ(s.book.account(sch), (Account{4'130'000'000, 0}));  // 3e9 stake back + 1e9 kitty + 0.13e9
    EXPECT_EQ(s.book.account(kWorker1.address()), (Account{7'290'000'000, 0}));  // 3e9 stake + 4.29e9
    EXPECT_EQ(s.book.account(kWorker2.address()), (Account{0, 0}));              // stake seized
    EXPECT_EQ(s.book.account(kitty_address()), (Account{0, 2 * kG}));
    // Invariant §7.6: the diamond holds exactly Σ frozen (the kitty's 2e9 here).
    EXPECT_EQ(s.book.account(kHub), (Account{2 * kG, 0}));
}

// ---- the reopen scenario (§6.6 third worked case: 1 revealer, 2 rejected, 1 non-revealer) -----------

TEST(Poco2Scenario, ReopenThenOneRevealer) {
    const Deal deal = make_deal(3);
    const Bytes32 tid = task_id(kDealId, 0);
    TaskRecord rec = initialized(deal).record;
    // W1 A, W2 A: group[A] = 2 then 4, total 3 then 5; 4·3 = 12 > 5·2 = 10 → consensus at 1020,
    // revealDeadline = 1020 + 200 = 1220, winnerCounter 2.
    rec = contribute_ok(contribute_facts(deal, rec, kWorker1, kDigestA, 1010)).record;
    auto w2 = contribute_facts(deal, rec, kWorker2, kDigestA, 1020);
    rec = contribute_ok(w2).record;
    ASSERT_EQ(rec.task.status, TaskStatus::kRevealing);
    EXPECT_EQ(rec.task.reveal_deadline, U256(1220));

    // Nobody reveals. reopen: only the scheduler (L19), only once revealDeadline ≤ now (L290, not strict).
    ReopenFacts ro{tid, kWorker1.address(), 1220, deal, rec};
    expect_bare(check_reopen(ro), TaskCheck::kReopenNotScheduler);
    ro.caller = kSchedulerKey.address();
    ro.now = 1219;
    expect_bare(check_reopen(ro), TaskCheck::kReopenRevealNotFailed);
    ro.now = 2000;  // L289: finalDeadline 2000 > now is strict
    expect_bare(check_reopen(ro), TaskCheck::kReopenFinalDeadline);
    ro.now = 1220;
    // finalize cannot help: 0 of 2 revealed (L324).
    FinalizeFacts stuck{tid, {}, {}, kSchedulerKey.address(), 1300, deal, rec, 0, {}, kHub};
    expect_bare(check_finalize(stuck), TaskCheck::kFinalizeRevealsIncomplete);
    auto reopened = apply_reopen(ro);
    ASSERT_TRUE(reopened.has_value());
    rec = reopened->record;
    // Both A contributions REJECTED; total = 5 − 4 = 1; group[A] = 0; status ACTIVE, fields reset.
    EXPECT_EQ(rec.contribution_of(kWorker1.address()).status, ContributionStatus::kRejected);
    EXPECT_EQ(rec.contribution_of(kWorker2.address()).status, ContributionStatus::kRejected);
    EXPECT_EQ(rec.consensus.total, U256(1));
    EXPECT_EQ(rec.consensus.group_of(w2.result_hash), U256(0));
    EXPECT_EQ(rec.task.status, TaskStatus::kActive);
    EXPECT_TRUE(rec.task.consensus_value.is_zero());
    EXPECT_EQ(rec.task.reveal_deadline, U256(0));
    EXPECT_EQ(rec.task.winner_counter, U256(0));
    EXPECT_EQ(rec.task.contributors.size(), 2u);  // contributors stay
    EXPECT_EQ(event_names(reopened->events), std::vector<std::string>{"TaskReopen"});
    // A REJECTED worker cannot contribute again (L123).
    expect_bare(check_contribute(contribute_facts(deal, rec, kWorker1, kDigestB, 1300)),
                TaskCheck::kContributeAlreadyDone);

    // W3 B, W4 B: group[B] = 2, total 3 (6 > 6 no); group[B] = 4, total 5 → consensus at 1310,
    // revealDeadline 1510, winnerCounter 2.
    rec = contribute_ok(contribute_facts(deal, rec, kWorker3, kDigestB, 1300)).record;
    rec = contribute_ok(contribute_facts(deal, rec, kWorker4, kDigestB, 1310)).record;
    ASSERT_EQ(rec.task.status, TaskStatus::kRevealing);
    EXPECT_EQ(rec.task.winner_counter, U256(2));
    EXPECT_EQ(rec.task.reveal_deadline, U256(1510));
    // W3 reveals (L269 strict: 1510 would be too late).
    expect_bare(check_reveal(RevealFacts{tid, kDigestB, kWorker3.address(), 1510, rec}), TaskCheck::kRevealDeadline);
    rec = apply_reveal(RevealFacts{tid, kDigestB, kWorker3.address(), 1509, rec})->record;

    // finalize: 1 of 2 revealed, so only once revealDeadline ≤ now (L324).
    FinalizeFacts fin{tid, {}, {}, kSchedulerKey.address(), 1509, deal, rec, 0,
                      {{kWorker1.address(), 3}, {kWorker4.address(), 5}}, kHub};
    expect_bare(check_finalize(fin), TaskCheck::kFinalizeRevealsIncomplete);
    fin.now = 1510;
    auto out = apply_finalize(fin);
    ASSERT_TRUE(out.has_value()) << out.error().explanation;
    // totalReward = 10e9 + 3·3e9 (W1, W2 rejected, W4 never revealed) = 19e9; logW = 1;
    // workersReward = 19e9·99/100 = 18.81e9 → all to W3; scheduler 19e9 − 18.81e9 = 0.19e9. No kitty.
    const Address sch = kSchedulerKey.address();
    const std::vector<BalanceMovement> expected{
        mv(EscrowOp::kSeize, kRequester, 15 * kG, tid),
        mv(EscrowOp::kReward, kAppOwner, 5 * kG, tid),
        mv(EscrowOp::kUnlock, sch, 3 * kG),
        mv(EscrowOp::kSeize, kWorker1.address(), 3 * kG, tid),
        mv(EscrowOp::kSeize, kWorker2.address(), 3 * kG, tid),
        mv(EscrowOp::kUnlock, kWorker3.address(), 3 * kG),
        mv(EscrowOp::kReward, kWorker3.address(), 18'810'000'000, tid),
        mv(EscrowOp::kSeize, kWorker4.address(), 3 * kG, tid),
        mv(EscrowOp::kReward, sch, 190'000'000, tid),
    };
    EXPECT_EQ(out->movements, expected);
    // Scores: W1 floor(2·3/3) = 2, W2 0 → 0, W3 0 → 1, W4 floor(2·5/3) = 3.
    const std::vector<ScoreUpdate> scores{{kWorker1.address(), 3, 2, false},
                                          {kWorker2.address(), 0, 0, false},
                                          {kWorker3.address(), 0, 1, true},
                                          {kWorker4.address(), 5, 3, false}};
    EXPECT_EQ(out->scores, scores);
    // After finalize everything is refused: reveal/reopen/finalize need REVEALING, claim ACTIVE/REVEALING.
    expect_bare(check_finalize(FinalizeFacts{tid, {}, {}, sch, 1600, deal, out->record, 0, {}, kHub}),
                TaskCheck::kFinalizeNotRevealing);
    expect_bare(check_claim(ClaimFacts{tid, 2000, deal, out->record, kHub}), TaskCheck::kClaimNotActiveOrRevealing);
}

TEST(Poco2Scenario, RejectedContributionsDoNotCountAsWinners) {
    // checkConsensus L399–L405: a second consensus on the SAME hash after reopen counts only the
    // CONTRIBUTED contributions, not the REJECTED ones.
    const Deal deal = make_deal(3);
    const Bytes32 tid = task_id(kDealId, 0);
    TaskRecord rec = initialized(deal).record;
    rec = contribute_ok(contribute_facts(deal, rec, kWorker1, kDigestA, 1010)).record;
    rec = contribute_ok(contribute_facts(deal, rec, kWorker2, kDigestA, 1020)).record;
    rec = apply_reopen(ReopenFacts{tid, kSchedulerKey.address(), 1220, deal, rec})->record;
    // W3 A: group[A] = 0 → delta = max(0, 1)·2 − 0 = 2, total = 1 + 2 = 3: 6 > 6 no.
    auto w3 = contribute_ok(contribute_facts(deal, rec, kWorker3, kDigestA, 1300));
    EXPECT_FALSE(w3.consensus_reached);
    EXPECT_EQ(w3.record.consensus.total, U256(3));
    // W4 A: group[A] = 4, total = 5: 12 > 10 → consensus with winnerCounter 2 (W3, W4), not 4.
    auto w4 = contribute_ok(contribute_facts(deal, w3.record, kWorker4, kDigestA, 1310));
    ASSERT_TRUE(w4.consensus_reached);
    EXPECT_EQ(w4.record.task.winner_counter, U256(2));
    // A REJECTED worker agreeing with the consensus still cannot reveal (L270).
    expect_bare(check_reveal(RevealFacts{tid, kDigestA, kWorker1.address(), 1400, w4.record}),
                TaskCheck::kRevealNotContributed);
}

// ---- reveal (L262–L283) ------------------------------------------------------------------------------

TEST(Poco2Reveal, RevertsInOrder) {
    const Deal deal = make_deal(1);
    const Bytes32 tid = task_id(kDealId, 0);
    const TaskRecord active = initialized(deal).record;
    const TaskRecord rec = contribute_ok(contribute_facts(deal, active, kWorker1, kDigestA, 1500)).record;
    const RevealFacts base{tid, kDigestA, kWorker1.address(), 1600, rec};
    expect_ok(check_reveal(base));
    auto f = base;
    f.record = active;  // L268
    expect_bare(check_reveal(f), TaskCheck::kRevealNotRevealing);
    f = base;
    f.now = 1700;  // L269: revealDeadline 1700 > now
    expect_bare(check_reveal(f), TaskCheck::kRevealDeadline);
    f.now = 1699;
    expect_ok(check_reveal(f));
    f = base;
    f.caller = kWorker2.address();  // L270
    expect_bare(check_reveal(f), TaskCheck::kRevealNotContributed);
    f = base;
    f.result_digest = kDigestB;  // L272
    expect_bare(check_reveal(f), TaskCheck::kRevealResultHash);
    f = base;  // L273: a copied hash with someone else's seal
    f.record.contributions[kWorker1.address()].result_seal = result_seal(kWorker2.address(), tid, kDigestA);
    expect_bare(check_reveal(f), TaskCheck::kRevealResultSeal);
    // A second reveal: the contribution is PROVED (L270).
    auto once = apply_reveal(base);
    ASSERT_TRUE(once.has_value());
    EXPECT_EQ(once->record.contribution_of(kWorker1.address()).status, ContributionStatus::kProved);
    EXPECT_EQ(once->record.task.reveal_counter, U256(1));
    f = base;
    f.record = once->record;
    expect_bare(check_reveal(f), TaskCheck::kRevealNotContributed);
}

// ---- reopen / finalize / claim checks -----------------------------------------------------------------

TEST(Poco2Reopen, NotRevealing) {
    const Deal deal = make_deal(3);
    const Bytes32 tid = task_id(kDealId, 0);
    expect_bare(check_reopen(ReopenFacts{tid, kSchedulerKey.address(), 1300, deal, initialized(deal).record}),
                TaskCheck::kReopenNotRevealing);
    // A task never initialized: the modifier reads the zero deal, whose owner is 0 (L19 first).
    expect_bare(check_reopen(ReopenFacts{tid, kSchedulerKey.address(), 1300, Deal{}, TaskRecord{}}),
                TaskCheck::kReopenNotScheduler);
}

TEST(Poco2Finalize, RevertsAndSingleContributor) {
    const Deal deal = make_deal(1);
    const Bytes32 tid = task_id(kDealId, 0);
    const TaskRecord active = initialized(deal).record;
    TaskRecord rec = contribute_ok(contribute_facts(deal, active, kWorker1, kDigestA, 1500)).record;
    rec = apply_reveal(RevealFacts{tid, kDigestA, kWorker1.address(), 1600, rec})->record;
    const Address sch = kSchedulerKey.address();
    const FinalizeFacts base{tid, {}, {}, sch, 1600, deal, rec, 0, {{kWorker1.address(), 7}}, kHub};
    expect_ok(check_finalize(base));
    auto f = base;
    f.caller = kWorker1.address();  // L19
    expect_bare(check_finalize(f), TaskCheck::kFinalizeNotScheduler);
    f = base;
    f.record = active;  // L322
    expect_bare(check_finalize(f), TaskCheck::kFinalizeNotRevealing);
    f = base;
    f.now = 2000;  // L323: finalDeadline 2000 > now
    expect_bare(check_finalize(f), TaskCheck::kFinalizeFinalDeadline);
    f.now = 1999;
    expect_ok(check_finalize(f));
    // L329: no callback, resultsCallback must be empty (or hash to the digest).
    f = base;
    f.results_callback = to_bytes("abc");
    expect_bare(check_finalize(f), TaskCheck::kFinalizeCallback);
    // With a callback, keccak256(resultsCallback) must equal task.resultDigest.
    Deal cb = deal;
    cb.callback = kCallback;
    f = base;
    f.deal = cb;
    expect_bare(check_finalize(f), TaskCheck::kFinalizeCallback);  // keccak256("") ≠ digest
    const Bytes payload = to_bytes("callback data");
    TaskRecord cb_rec = rec;
    cb_rec.task.result_digest = keccak256(payload);
    f.record = cb_rec;
    f.results_callback = payload;
    auto cbo = apply_finalize(f);
    ASSERT_TRUE(cbo.has_value());
    EXPECT_EQ(cbo->callback, kCallback);
    EXPECT_EQ(cbo->record.task.results_callback, payload);

    // One contributor: totalReward 10e9, workersReward 9.9e9 to W1, scheduler 0.1e9; no score change
    // (L463: only when contributors > 1). §11.7: Seize, Reward, Unlock, Unlock, Reward, Reward, TaskFinalize.
    auto out = apply_finalize(base);
    ASSERT_TRUE(out.has_value());
    EXPECT_TRUE(out->scores.empty());
    const std::vector<BalanceMovement> expected{
        mv(EscrowOp::kSeize, kRequester, 15 * kG, tid),         mv(EscrowOp::kReward, kAppOwner, 5 * kG, tid),
        mv(EscrowOp::kUnlock, sch, 3 * kG),                     mv(EscrowOp::kUnlock, kWorker1.address(), 3 * kG),
        mv(EscrowOp::kReward, kWorker1.address(), 9'900'000'000, tid), mv(EscrowOp::kReward, sch, 100'000'000, tid),
    };
    EXPECT_EQ(out->movements, expected);
    EXPECT_EQ(event_names(out->events),
              (std::vector<std::string>{"Seize", "Transfer", "Reward", "Transfer", "Unlock", "Transfer", "Unlock",
                                        "Transfer", "Reward", "Transfer", "Reward", "TaskFinalize"}));
}

TEST(Poco2Claim, RevertsAndRefund) {
    const Deal deal = make_deal(3);
    const Bytes32 tid = task_id(kDealId, 0);
    TaskRecord rec = initialized(deal).record;
    rec = contribute_ok(contribute_facts(deal, rec, kWorker1, kDigestA, 1010)).record;
    rec = contribute_ok(contribute_facts(deal, rec, kWorker2, kDigestA, 1020)).record;  // REVEALING
    const ClaimFacts base{tid, 2000, deal, rec, kHub};
    expect_ok(check_claim(base));
    auto f = base;
    f.now = 1999;  // L359: finalDeadline 2000 ≤ now
    expect_bare(check_claim(f), TaskCheck::kClaimBeforeFinalDeadline);
    f = base;
    f.record = TaskRecord{};  // L355: never initialized
    expect_bare(check_claim(f), TaskCheck::kClaimNotActiveOrRevealing);
    // Once the final deadline passed, nothing but claim works.
    expect_bare(check_finalize(FinalizeFacts{tid, {}, {}, kSchedulerKey.address(), 2000, deal, rec, 0, {}, kHub}),
                TaskCheck::kFinalizeFinalDeadline);

    auto out = apply_claim(base);
    ASSERT_TRUE(out.has_value());
    EXPECT_EQ(out->record.task.status, TaskStatus::kFailed);
    // failedWork: unlock(sponsor, P = 15e9), seize(scheduler, 3e9), frozen[KITTY] += 3e9; then every
    // contributor's stake unlocked, no score change.
    const Address sch = kSchedulerKey.address();
    const std::vector<BalanceMovement> expected{
        mv(EscrowOp::kUnlock, kRequester, 15 * kG),          mv(EscrowOp::kSeize, sch, 3 * kG, tid),
        mv(EscrowOp::kReward, kitty_address(), 3 * kG, tid), mv(EscrowOp::kLock, kitty_address(), 3 * kG),
        mv(EscrowOp::kUnlock, kWorker1.address(), 3 * kG),   mv(EscrowOp::kUnlock, kWorker2.address(), 3 * kG),
    };
    EXPECT_EQ(out->movements, expected);
    EXPECT_TRUE(out->scores.empty());
    // §11.7 claim: Unlock, Seize, Reward, Lock (the kitty pair has no Transfer), then the workers, TaskClaimed.
    EXPECT_EQ(event_names(out->events),
              (std::vector<std::string>{"Transfer", "Unlock", "Seize", "Reward", "Lock", "Transfer", "Unlock",
                                        "Transfer", "Unlock", "TaskClaimed"}));
    EXPECT_EQ(out->events[0].account, kHub);
    EXPECT_EQ(out->events[0].to, kRequester);
    EXPECT_EQ(out->events[3].account, kitty_address());
    EXPECT_EQ(out->events[3].task_id, tid);

    // Balances (§6.8 observed: requester +15e9 free, scheduler frozen −3e9, kitty 3e9).
    EscrowBook book;
    book.hub = kHub;
    book.accounts[kRequester] = {0, 15 * kG};
    book.accounts[sch] = {0, 3 * kG};
    book.accounts[kWorker1.address()] = {0, 3 * kG};
    book.accounts[kWorker2.address()] = {0, 3 * kG};
    book.accounts[kHub] = {24 * kG, 0};
    ASSERT_TRUE(apply_escrow_movements(book, out->movements));
    EXPECT_EQ(book.account(kRequester), (Account{15 * kG, 0}));
    EXPECT_EQ(book.account(sch), (Account{0, 0}));
    EXPECT_EQ(book.account(kitty_address()), (Account{0, 3 * kG}));
    EXPECT_EQ(book.account(kWorker1.address()), (Account{3 * kG, 0}));
    EXPECT_EQ(book.account(kHub), (Account{3 * kG, 0}));  // = Σ frozen (the kitty)

    // claimArray: the same task twice fails on the second (status FAILED, L355).
    const std::vector<ClaimFacts> two{base, base};
    auto arr = apply_claim_array(two);
    ASSERT_FALSE(arr);
    EXPECT_EQ(arr.error().check, TaskCheck::kClaimNotActiveOrRevealing);
    const std::vector<ClaimFacts> one{base};
    EXPECT_TRUE(apply_claim_array(one).has_value());
}

// ---- contributeAndFinalize (L183–L260) --------------------------------------------------------------------

ContributeAndFinalizeFacts fast_facts(const Deal& deal, const TaskRecord& rec, std::uint64_t now) {
    ContributeAndFinalizeFacts f;
    f.task_id = task_id(kDealId, 0);
    f.result_digest = kDigestA;
    f.results = to_bytes("ipfs://result");
    f.authorization_sign = sign_authorization(kSchedulerKey, kWorker1.address(), f.task_id, Address{});
    f.caller = kWorker1.address();
    f.now = now;
    f.deal = deal;
    f.record = rec;
    f.hub = kHub;
    return f;
}

TEST(Poco2ContributeAndFinalize, Passes) {
    const Deal deal = make_deal(1);
    const Bytes32 tid = task_id(kDealId, 0);
    auto f = fast_facts(deal, initialized(deal).record, 1500);
    auto out = apply_contribute_and_finalize(f);
    ASSERT_TRUE(out.has_value()) << out.error().explanation;
    const Bytes32 h = result_hash(tid, kDigestA);
    const Task& t = out->record.task;
    EXPECT_EQ(t.status, TaskStatus::kCompleted);
    EXPECT_EQ(t.consensus_value, h);
    EXPECT_EQ(t.reveal_deadline, U256(1700));  // 1500 + 2·100
    EXPECT_EQ(t.reveal_counter, U256(1));
    EXPECT_EQ(t.winner_counter, U256(1));
    EXPECT_EQ(t.result_digest, kDigestA);
    EXPECT_EQ(t.results, f.results);
    EXPECT_EQ(t.contributors, std::vector<Address>{kWorker1.address()});
    const Contribution c = out->record.contribution_of(kWorker1.address());
    EXPECT_EQ(c.status, ContributionStatus::kProved);
    EXPECT_EQ(c.result_seal, result_seal(kWorker1.address(), tid, kDigestA));
    EXPECT_EQ(c.weight, U256(0));                         // never written on this path
    EXPECT_EQ(out->record.consensus, ConsensusState{});  // untouched
    // successWork (no kitty), then the fast reward: 10e9·99/100 = 9.9e9 to the worker, 0.1e9 to the
    // scheduler; no worker stake is locked (§6.7, observed on anvil: the worker got 9.9e9 of 10e9).
    const Address sch = kSchedulerKey.address();
    const std::vector<BalanceMovement> expected{
        mv(EscrowOp::kSeize, kRequester, 15 * kG, tid),
        mv(EscrowOp::kReward, kAppOwner, 5 * kG, tid),
        mv(EscrowOp::kUnlock, sch, 3 * kG),
        mv(EscrowOp::kReward, kWorker1.address(), 9'900'000'000, tid),
        mv(EscrowOp::kReward, sch, 100'000'000, tid),
    };
    EXPECT_EQ(out->movements, expected);
    EXPECT_EQ(event_names(out->events),
              (std::vector<std::string>{"Seize", "Transfer", "Reward", "Transfer", "Unlock", "Transfer", "Reward",
                                        "Transfer", "Reward", "TaskContribute", "TaskConsensus", "TaskReveal",
                                        "TaskFinalize"}));
    EXPECT_EQ(out->events[9].value, h);
    EXPECT_EQ(out->events[11].value, kDigestA);
    EXPECT_EQ(out->events[12].data, f.results);
}

TEST(Poco2ContributeAndFinalize, RevertsInOrder) {
    const Deal deal = make_deal(1);
    const TaskRecord active = initialized(deal).record;
    const auto base = fast_facts(deal, active, 1500);
    expect_ok(check_contribute_and_finalize(base));
    auto f = base;
    f.record = TaskRecord{};  // L199
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastNotActive);
    f = base;
    f.now = 1700;  // L200
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastDeadline);
    // L201: someone already contributed (trust 3 keeps the task ACTIVE, so use a trust-3 record).
    f = base;
    f.record.task.contributors.push_back(kWorker2.address());
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastHasContributors);
    f = base;
    f.deal.trust = 2;  // L202
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastTrustNotOne);
    f = base;
    f.results_callback = to_bytes("x");  // L207: no callback, non-empty resultsCallback not hashing to the digest
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastCallback);
    f.result_digest = keccak256(f.results_callback);  // ...passes when it hashes to the digest
    f.authorization_sign = sign_authorization(kSchedulerKey, kWorker1.address(), f.task_id, Address{});
    expect_ok(check_contribute_and_finalize(f));
    f = base;
    f.deal.callback = kCallback;  // with a callback, keccak256(resultsCallback) must be the digest
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastCallback);
    f.results_callback = to_bytes("payload");
    f.result_digest = keccak256(f.results_callback);
    auto cb = apply_contribute_and_finalize(f);
    ASSERT_TRUE(cb.has_value());
    EXPECT_EQ(cb->callback, kCallback);
    f = base;
    f.deal.tag = make_tag(0x1);  // L213
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastTeeNeedsEnclave);
    f = base;
    f.authorization_sign = sign_authorization(kStranger, kWorker1.address(), f.task_id, Address{});  // L216
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastAuthorization);
    f.authorization_sign = Bytes(1, 0);
    expect_reason(check_contribute_and_finalize(f), TaskCheck::kFastAuthorization, "invalid-signature-format");
    // L227: the enclave signs keccak256(resultHash ‖ resultSeal) as computed on chain.
    f = base;
    f.deal.tag = make_tag(0x3);
    f.enclave_challenge = kEnclaveKey.address();
    f.authorization_sign = sign_authorization(kSchedulerKey, kWorker1.address(), f.task_id, f.enclave_challenge);
    const Bytes32 h = result_hash(f.task_id, kDigestA);
    const Bytes32 s = result_seal(kWorker1.address(), f.task_id, kDigestA);
    f.enclave_sign = eip191_sign(kEnclaveKey, enclave_message_hash(h, s).view()).to_bytes65();
    expect_ok(check_contribute_and_finalize(f));
    f.enclave_sign = eip191_sign(kStranger, enclave_message_hash(h, s).view()).to_bytes65();
    expect_bare(check_contribute_and_finalize(f), TaskCheck::kFastEnclaveSignature);
}

TEST(Poco2ContributeAndFinalize, KittyPayout) {
    // kitty 25e9 → x = min(max(25e9·10/100 = 2.5e9, 1e9), 25e9) = 2.5e9 to the scheduler.
    const Deal deal = make_deal(1);
    auto f = fast_facts(deal, initialized(deal).record, 1500);
    f.kitty = 25 * kG;
    auto out = apply_contribute_and_finalize(f);
    ASSERT_TRUE(out.has_value());
    const Bytes32 tid = task_id(kDealId, 0);
    EXPECT_EQ(out->movements[3], mv(EscrowOp::kSeize, kitty_address(), 2'500'000'000, tid));
    EXPECT_EQ(out->movements[4], mv(EscrowOp::kReward, kSchedulerKey.address(), 2'500'000'000, tid));
}

// ---- escrow ledger -------------------------------------------------------------------------------------------

TEST(Poco2Escrow, TransferRequiresAndPanics) {
    EscrowBook book;
    book.hub = kHub;
    book.accounts[kWorker1.address()] = {5, 0};
    std::vector<BalanceMovement> lock{mv(EscrowOp::kLock, kWorker1.address(), 6)};
    expect_reason(apply_escrow_movements(book, lock), TaskCheck::kEscrow,
                  "IexecEscrow: Transfer amount exceeds balance");
    lock[0].account = Address{};
    expect_reason(apply_escrow_movements(book, lock), TaskCheck::kEscrow, "IexecEscrow: Transfer from empty address");
    std::vector<BalanceMovement> reward{mv(EscrowOp::kReward, Address{}, 0)};
    expect_reason(apply_escrow_movements(book, reward), TaskCheck::kEscrow, "IexecEscrow: Transfer to empty address");
    // seize below the frozen balance: checked subtraction, Panic(0x11).
    std::vector<BalanceMovement> seize{mv(EscrowOp::kSeize, kWorker1.address(), 1)};
    auto r = apply_escrow_movements(book, seize);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, RevertKind::kPanic);
    EXPECT_EQ(r.error().reason, "Panic(0x11)");
    // lock then unlock round-trips.
    EscrowBook ok;
    ok.hub = kHub;
    ok.accounts[kWorker1.address()] = {5, 0};
    const std::vector<BalanceMovement> round{mv(EscrowOp::kLock, kWorker1.address(), 5),
                                             mv(EscrowOp::kUnlock, kWorker1.address(), 2)};
    ASSERT_TRUE(apply_escrow_movements(ok, round));
    EXPECT_EQ(ok.account(kWorker1.address()), (Account{2, 3}));
    EXPECT_EQ(ok.account(kHub), (Account{3, 0}));
}

}  // namespace
}  // namespace wp
