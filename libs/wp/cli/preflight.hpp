#pragma once
// Preflight checks of the `iexec` order commands: what the CLI verifies BEFORE it signs, publishes or matches, so
// that a user gets a sentence naming the field, the expected and the actual value instead of a market refusal or a
// raw revert later.
//
// Workerpool orders (the seed's rules, issue 9 "Preflight"; the SDK 9.0.1 checks only the first two):
//  1. the workerpool is deployed: "No workerpool deployed at address X" (the SDK's text);
//  2. the signer owns it: "Invalid order signer, must be the resource owner (owner X, signer Y)";
//  3. volume ≥ 1: "workerpoolorder.volume must be at least 1 (got 0)";
//  4. the tag is one of standard 0x0, Scone TEE 0x3, Gramine TEE 0x5, TDX TEE 0x9, each optionally | GPU 0x100, and
//     a TEE tag has trust 1, 0 counting as 1 (protocol/tag.hpp validate_workerpool_offer; the messages are its own,
//     prefixed with "workerpoolorder.tag: " / "workerpoolorder.trust: " and, for the tag, the names of the supported
//     values);
//  5. the category exists on chain: "workerpoolorder.category N does not exist on chain (countCategory() = M)";
//  6. the owner's stake covers the lock of a full match, (price·30/100)·volume (protocol/economics.hpp
//     scheduler_lock): otherwise a WARNING (not an error): the order can be published, but the market kills it
//     (status dead) and a match of the whole volume reverts until the owner deposits more.
// Price parsing (nRLC / RLC) and address syntax (restrictions, 0x0 = disabled) are checked where the text is read
// (orders.json / iexec.json readers, amounts): an order reaching these functions is already typed.
//
// App / dataset orders (the SDK's sign preflight): deployed ("No app deployed at address X"), signer is the owner,
// volume ≥ 1, the SDK's tag rules (validate_order_tag). Request orders: volume ≥ 1, the SDK's tag rules.
//
// Matching (`order fill`, `app run`): every matchOrders rule is evaluated with protocol/match.hpp on facts read at
// one block (chain/match_facts.hpp), and a failure is explained in words:
//   "matchOrders would revert (iExecV5-matchOrders-0x05): request workerpoolmaxprice 5 < workerpool price 10".
//
// The check_* functions are pure (no I/O, thread-safe); the fetch_* functions read the chain through a Hub (as
// thread-safe as its EthClient) and return the transport or revert failure of the first read that failed.

#include <optional>
#include <string>
#include <vector>

#include <wp/chain/hub.hpp>
#include <wp/chain/match_facts.hpp>
#include <wp/core/address.hpp>
#include <wp/core/result.hpp>
#include <wp/core/uint256.hpp>
#include <wp/protocol/match.hpp>
#include <wp/protocol/order.hpp>

namespace wp::cli {

//! What the chain says about the resource of an app, dataset or workerpool order.
struct ResourceFacts {
    bool registered{false};        //!< registry.isRegistered(resource)
    std::optional<Address> owner;  //!< resource.owner(); empty when not registered
    U256 category_count;           //!< countCategory() (workerpool orders)
    U256 owner_stake;              //!< viewAccount(owner).stake (workerpool orders)
};

//! Warnings of a successful preflight (printed with ⚠; never block).
struct PreflightReport {
    std::vector<std::string> warnings;
};

//! The supported workerpool tags with their names, for messages:
//! "standard 0x0, Scone TEE 0x3, Gramine TEE 0x5, TDX TEE 0x9, each optionally with GPU 0x100".
std::string supported_workerpool_tags();

//! Rules 1–6 above, in that order; the first failure is returned (Errc::kInvalidArgument).
Result<PreflightReport> check_workerpool_order(const WorkerpoolOrder& order, const Address& signer,
                                               const ResourceFacts& facts);
//! App and dataset orders: deployed, owned by the signer, volume ≥ 1, the SDK's tag rules.
Result<PreflightReport> check_app_order(const AppOrder& order, const Address& signer, const ResourceFacts& facts);
Result<PreflightReport> check_dataset_order(const DatasetOrder& order, const Address& signer,
                                            const ResourceFacts& facts);
//! Request orders: volume ≥ 1, the SDK's tag rules (agnostic tee allowed).
Result<PreflightReport> check_request_order(const RequestOrder& order);

//! matchOrders (protocol/match.hpp match_orders) on `facts`: the deal it would record, or Errc::kInvalidArgument
//! "matchOrders would revert (<reason>): <explanation>" ("matchOrders would revert without a reason: ..." for an
//! empty revert; Errc::kOverflow for a panic). Pass DatasetOrder{} for no dataset.
Result<MatchedDeal> check_match(const AppOrder& app, const DatasetOrder& dataset, const WorkerpoolOrder& workerpool,
                                const RequestOrder& request, const MatchFacts& facts);

//! Reads the facts of an order's resource: isRegistered in the kind's registry, then (when registered) owner(), and
//! for workerpool orders countCategory() and the owner's viewAccount. The hub's registry addresses must be resolved
//! (Hub::resolve_addresses). Request orders have no resource: Errc::kInvalidArgument.
chain::HubResult<ResourceFacts> fetch_resource_facts(chain::Hub& hub, const Order& order);

//! fetch_resource_facts then the check of the order's kind (request orders: check_request_order only).
Result<PreflightReport> preflight_order(chain::Hub& hub, const Order& order, const Address& signer);

//! match_facts_from_chain then check_match.
Result<MatchedDeal> preflight_match(chain::Hub& hub, const AppOrder& app, const DatasetOrder& dataset,
                                    const WorkerpoolOrder& workerpool, const RequestOrder& request,
                                    const chain::MatchFactsOptions& options = {});

}  // namespace wp::cli
