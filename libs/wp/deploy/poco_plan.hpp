#pragma once
// The PoCo v6.1.0 deployment as a pure, ordered list of transactions (token mode, the Arbitrum layout):
// shared/reference/local-chain.md §4.1 (order), §4.2 (facets and selectors), §4.3 (linking), §4.5 (addresses).
// Every contract is created with a plain CREATE from one deployer, so every address follows from
// (deployer, nonce); nothing here talks to a node. A sender executes the transactions in order, from `deployer`,
// with exactly the planned nonces.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wp/codec/abi_type.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

#include "poco_artifacts.hpp"

namespace wp {

//! The CREATE address: keccak256(rlp([deployer, nonce]))[12:] (Yellow Paper eq. 86). For anvil account #0
//! (0xf39F…2266) nonce 0 gives 0x5FbDB2315678afecb367f032d93F642f64180aa3.
Address contract_address(const Address& deployer, std::uint64_t nonce);

//! The NFT metadata base URI the deployment sets on a registry: "https://nfts-metadata.iex.ec/<kind>/<chainId>/",
//! kind = "app", "dataset" or "workerpool".
std::string registry_base_uri(std::string_view kind, std::uint64_t chain_id);

//! One transaction of the plan.
struct PlannedTx {
    std::uint64_t nonce{0};
    std::string description;         //!< e.g. "deploy IexecPoco1Facet", "diamondCut IexecPoco1Facet (6 selectors)"
    std::optional<Address> to;       //!< nullopt for a contract creation
    Bytes data;                      //!< creation code + ABI-encoded constructor arguments, or calldata
    std::optional<Address> created;  //!< for a creation: contract_address(deployer, nonce)
};

//! One facet as it ends up in the diamond.
struct PlannedFacet {
    std::string name;
    Address address;
    std::vector<AbiSelector> selectors;  //!< in ABI order (receive → 0x00000000, fallback → 0xffffffff)
    std::size_t link_occurrences{0};     //!< IexecLibOrders_v5 placeholders patched (0 for unlinked facets)
};

struct PocoPlanOptions {
    Address deployer;               //!< sender of every transaction; becomes the diamond and registries owner
    std::uint64_t chain_id{31337};  //!< used only in the registries' base URIs (configure reads block.chainid)
    std::uint64_t first_nonce{0};   //!< the deployer's nonce when the plan starts (0 on a fresh chain)
};

//! The full plan and the addresses it produces.
struct PocoPlan {
    std::vector<PlannedTx> transactions;  //!< 44, nonces first_nonce … first_nonce + 43
    Address rlc;
    Address diamond_init;
    Address hub;  //!< the Diamond
    Address lib_orders;
    Address app_registry;
    Address dataset_registry;
    Address workerpool_registry;
    //! The 14 facets of the final diamond: DiamondCutFacet, DiamondLoupeFacet, OwnershipFacet (cut by the Diamond
    //! constructor), then the 11 of kPocoTokenFacets (one diamondCut each).
    std::vector<PlannedFacet> facets;

    //! Total number of selectors over all facets (98 for 6.1.0).
    std::size_t selector_count() const;
};

//! Number of transactions of the token-mode plan.
inline constexpr std::size_t kPocoPlanTransactionCount = 44;

//! Builds the §4.1 token-mode plan. Per nonce offset from first_nonce:
//!   0 RLC; 1 DiamondInit; 2 DiamondCutFacet; 3 DiamondLoupeFacet; 4 OwnershipFacet;
//!   5 Diamond(FacetCut[] of the three diamond facets (action Add = 0), DiamondArgs{deployer, DiamondInit, init()});
//!   6 IexecLibOrders_v5; then for facet k = 1..11 of kPocoTokenFacets: 5+2k deploy (linked to the library when the
//!   artifact has link references), 6+2k hub.diamondCut([(facet, 0, selectors)], 0x0, 0x);
//!   29/32/35 App/Dataset/WorkerpoolRegistry, each followed by registry.initialize(0x0) and
//!   registry.setBaseURI(registry_base_uri(kind, chain_id));
//!   38 hub.configure(rlc, "Staked RLC", "SRLC", 9, appRegistry, datasetRegistry, workerpoolRegistry, 0x0);
//!   39..43 hub.createCategory(name, "\"\"", workClockTimeRef) for XS 300, S 1200, M 3600, L 10800, XL 36000.
//! Errors: artifact errors (unlinked placeholders, initcode too large, invalid ABI), a selector present in two
//! facets (the cut would revert, G6), an encoding failure.
Result<PocoPlan> plan_poco_deployment(const PocoArtifacts& artifacts, const PocoPlanOptions& options);

}  // namespace wp
