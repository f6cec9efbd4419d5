#pragma once
// match_facts_from_chain: everything protocol::match_orders (protocol/match.hpp) needs about four orders, read from a
// PoCo deployment through the Hub's views, all at ONE block (protocol.md §5.2–§5.5). This is the preflight of the CLI
// and of the market: read the facts, run the pure match_orders, and only send matchOrders when it predicts a deal.
//
// What is read, mirroring what IexecPoco1Facet._matchOrders reads (in the same order of dependence):
//   - domain separator (eip712domain_separator()), countCategory();
//   - per asset (app; dataset when D.dataset ≠ 0; workerpool): owner() of the entry (entry_owner_from_chain: a
//     revert or empty return data, e.g. an address without code, leaves AssetFacts::owner empty: the contract
//     reverts there), registry.isRegistered(asset),
//     and verifyPresignatureOrSignature(owner, orderHash, sign) — the contract's own check, so presigned orders,
//     ERC-1271 owners and the "invalid-signature-format" revert (SignatureCheck::kInvalidFormat) come out exactly;
//   - verifyPresignatureOrSignature(R.requester, requestHash, R.sign);
//   - viewConsumed of the four order hashes (the dataset's only with a dataset);
//   - the workerpool entry's m_workerStakeRatioPolicy / m_schedulerRewardRatioPolicy (left at their defaults when
//     W.workerpool is not a workerpool: the contract reverts earlier, at 0x40 or at owner());
//   - for each of the ten restriction checks 0x12–0x1b whose restriction is neither 0 nor the account:
//     restriction.keyHasPurpose(bytes32(uint256(uint160(account))), 4) by eth_call (no code, a revert or
//     undecodable return data = false), stored so MatchFacts::group_member needs no chain access later;
//   - the free balances (balanceOf) of the payer (the sponsor, else R.requester) and of the workerpool owner;
//   - the block's timestamp (the deal's startTime will be the timestamp of the block that includes the match,
//     which is later: compare the deal record's other fields, or override facts.timestamp).
//
// Batching: the reads go out in two JSON-RPC batches (batch_chunked, at most hub.max_calls_per_batch() calls each,
// more batches above it) after pin_block: (1) domain separator, countCategory, owner() and isRegistered of each asset,
// the workerpool policies, the group-membership checks, the payer's balance and the block header; (2) the signature
// checks (they need the owners and the order hashes), the four viewConsumed and the workerpool owner's balance. So
// 3 round trips (2 with a block number) instead of one per read.
//
// Errors: a transport or decoding failure of any read is returned as the HubError of that read (a revert of the
// signature check other than "invalid-signature-format" included). A revert of owner() or its empty return data is
// a fact, not an error; a malformed answer (an RPC result that is not hex, return data that is not an ABI address)
// is an error.

#include <optional>

#include <wp/protocol/match.hpp>
#include <wp/protocol/order.hpp>

#include "eth.hpp"
#include "hub.hpp"

namespace wp::chain {

struct MatchFactsOptions {
    //! The rules to evaluate (match.hpp PocoVersion): kV6_1 for the 6.1.0 npm package (the devnet), kV6_2 for the
    //! live Arbitrum deployment.
    PocoVersion version{PocoVersion::kV6_2};
    //! sponsorMatchOrders' msg.sender; empty for matchOrders (the requester pays).
    std::optional<Address> sponsor{};
    //! Where to read; a moving tag ("latest", "safe", "finalized") is resolved to a block number first
    //! (pin_block) so every read sees the same state ("pending" cannot be pinned: see pin_block).
    BlockTag block{BlockTag::latest()};
};

//! The MatchFacts of (A, D, W, R) at options.block (see the header comment). Pass DatasetOrder{} for no dataset.
HubResult<MatchFacts> match_facts_from_chain(Hub& hub, const AppOrder& app, const DatasetOrder& dataset,
                                             const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                             const MatchFactsOptions& options = {});

//! The block a moving tag names now, as a block number, so that several reads see one state: "latest" →
//! eth_blockNumber; "safe", "finalized" → the number of eth_getBlockByNumber(tag, false) (a node that has no
//! such block, e.g. no finality information: HubError kRemote "…: the node has no such block").
//! "pending" is returned as is: the pending block is not built yet, and nodes refuse state reads at its number
//! (anvil: "BlockOutOfRangeError: block height is N but requested was N+1"), so pending reads cannot be pinned.
//! A number or "earliest" is returned as is. RPC failures are returned (hub_error_from_rpc).
HubResult<BlockTag> pin_block(EthClient& eth, const BlockTag& block);

//! owner() of a registry entry (app, dataset, workerpool) by eth_call at `block`, as IexecPoco1Facet reads it:
//! the address, or nullopt when the call reverts or returns no data (an address without code) — matchOrders
//! reverts there. Errors: return data that is not an ABI address (shorter than 32 bytes, or non-zero upper 12
//! bytes: Errc::kDecoding), a malformed RPC answer and transport failures (hub_error_from_rpc).
HubResult<std::optional<Address>> entry_owner_from_chain(Hub& hub, const Address& entry,
                                                         const BlockTag& block = BlockTag::latest());

//! verifyPresignatureOrSignature(account, hash, sign) as a SignatureCheck: true → kValid, false → kInvalid, a revert
//! "invalid-signature-format" → kInvalidFormat; any other failure is returned.
HubResult<SignatureCheck> signature_check_from_chain(Hub& hub, const Address& account, const Bytes32& hash,
                                                     ByteView sign, const BlockTag& block = BlockTag::latest());

//! keyHasPurpose(bytes32(uint256(uint160(account))), GROUPMEMBER_PURPOSE = 4) on `restriction` by eth_call, as
//! SignatureVerifier._isAccountAuthorizedByRestriction evaluates it for a restriction that is neither 0 nor the
//! account: no code, a revert or return data that is not an ABI bool = false. Transport failures are returned.
HubResult<bool> group_member_from_chain(Hub& hub, const Address& restriction, const Address& account,
                                        const BlockTag& block = BlockTag::latest());

}  // namespace wp::chain
