#pragma once
// Compiled contract artifacts of the iExec PoCo package (@iexec/poco@6.1.0, unpacked by scripts/install-deps.sh into
// tools/devnet/poco/package) and the offline operations a deployer needs on them: library linking and facet
// selectors. Reference: shared/reference/local-chain.md §2 (where each piece lives), §4.2 (selectors), §4.3 (linking),
// §9 G1-G3, G5.
//
// Two file shapes are read:
//   - Hardhat artifacts `artifacts/contracts/**/<Name>.json` ("_format": "hh-sol-artifact-1"): contractName, abi,
//     bytecode (creation code, hex with `__$…$__` library placeholders), linkReferences;
//   - hardhat-deploy records `deployments/<network>/<Name>.json`: abi (absent for RLC) and bytecode, no placeholders.
// Errors name the file and the field ("…/Diamond.json: field 'bytecode': invalid hex digit …"). Files are size-limited.

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>

#include <wp/codec/abi_type.hpp>
#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/result.hpp>

namespace wp {

//! Largest artifact file read (bytes). The largest file used (IexecPocoBoostFacet) is under 1 MiB.
inline constexpr std::uintmax_t kMaxArtifactFileSize = std::uintmax_t{16} << 20;
//! EIP-3860 initcode size limit (bytes); creation code (with constructor arguments) above it is rejected.
inline constexpr std::size_t kMaxInitcodeSize = 49152;
//! Length in hex characters of a solc library placeholder `__$` + 34 hex digits + `$__`.
inline constexpr std::size_t kLibraryPlaceholderHexLength = 40;

//! One linkReferences entry: `length` bytes at byte offset `start` of the creation code must hold the address of
//! `library` (declared in `source`).
struct LinkReference {
    std::string source;   //!< e.g. "contracts/libs/IexecLibOrders_v5.sol"
    std::string library;  //!< e.g. "IexecLibOrders_v5"
    std::size_t start{0};
    std::size_t length{0};  //!< always 20 in valid artifacts (checked by the reader)
};

//! A compiled contract as read from one file.
struct ContractArtifact {
    std::string name;  //!< contract name (contractName, or the file stem for deployment records)
    std::string file;  //!< the file it was read from (used in error messages)
    //! Creation bytecode as hex digits without "0x" (lowercase), possibly holding `__$…$__` placeholders.
    std::string bytecode_hex;
    //! The JSON ABI (empty for RLC's deployment record, which has none).
    boost::json::array abi;
    std::vector<LinkReference> link_references;

    //! Number of `__$…$__` placeholders left in bytecode_hex.
    std::size_t placeholder_count() const;
    //! The creation code as bytes. Errc::kInvalidArgument if a placeholder is left ("<file>: unlinked library
    //! placeholder __$…$__ at byte offset 912"), or if it exceeds kMaxInitcodeSize.
    Result<Bytes> creation_code() const;
};

//! solc's placeholder for a library: "__$" + first 17 bytes of keccak256(fully_qualified_name) in hex + "$__", with
//! fully_qualified_name = "<source>:<library>". For "contracts/libs/IexecLibOrders_v5.sol:IexecLibOrders_v5" it is
//! `__$9d824026d0515d8abd681f0f0f4707f16a$__` (shared/reference/vectors.json constants.libraryLinkPlaceholder).
std::string library_placeholder(std::string_view source, std::string_view library);

//! Reads a Hardhat artifact ("_format": "hh-sol-artifact-1"). Fields required: contractName (string), abi (array),
//! bytecode (string "0x…"; hex except for placeholders, which must sit exactly at the linkReferences offsets),
//! linkReferences (object source → object library → array of {start, length = 20}). Errors: Errc::kIo (missing,
//! unreadable or too large file), Errc::kDecoding (bad JSON or field), each naming the file and field.
Result<ContractArtifact> read_hardhat_artifact(const std::filesystem::path& file);

//! Reads a hardhat-deploy record (deployments/<network>/<Name>.json): bytecode required (plain hex, no
//! placeholders), abi optional (absent for RLC). name = the file stem.
Result<ContractArtifact> read_deployment_artifact(const std::filesystem::path& file);

//! Links one library: writes `library_address` over every linkReferences entry of (source, library) and returns the
//! patched artifact; *occurrences (if given) receives the number of entries patched. Errors (Errc::kInvalidArgument):
//! no entry for that library, or an entry that does not currently hold library_placeholder(source, library).
Result<ContractArtifact> link_library(const ContractArtifact& artifact, std::string_view source,
                                      std::string_view library, const Address& library_address,
                                      std::size_t* occurrences = nullptr);

//! How a JSON ABI parameter is written in a signature.
enum class AbiSignatureStyle {
    kContract,  //!< canonical ABI types: tuples as "(t1,t2)" from "components" (contracts, facets)
    kLibrary,   //!< public library functions: structs and enums by their Solidity name from "internalType"
                //!< ("IexecLibOrders_v5.WorkerpoolOrder"), as solc computes library selectors (local-chain.md G3)
};

//! The canonical type of one JSON ABI parameter ({"type", "components", "internalType"}), built recursively from
//! "components" for "tuple", "tuple[]", "tuple[2][]", ...: {"type":"tuple[]","components":[{"type":"address"},
//! {"type":"uint8"}]} → "(address,uint8)[]". In kContract style the result must parse as an ABI type.
Result<std::string> abi_json_param_type(const boost::json::value& param,
                                        AbiSignatureStyle style = AbiSignatureStyle::kContract);

//! "name(type1,type2)" of a JSON ABI function entry.
Result<std::string> abi_json_function_signature(const boost::json::value& entry,
                                                AbiSignatureStyle style = AbiSignatureStyle::kContract);

//! The selectors a diamond cut registers for a facet, in ABI order (as PoCo's getFunctionSelectors does): every
//! "function" entry → first 4 bytes of keccak256(signature) (kContract: via parse_abi_signature), "receive" →
//! 0x00000000, "fallback" → 0xffffffff; other entries (events, errors, constructor) are skipped. Errors name the
//! entry index; duplicate selectors are an error.
Result<std::vector<AbiSelector>> abi_json_selectors(const boost::json::array& abi,
                                                    AbiSignatureStyle style = AbiSignatureStyle::kContract);

// ---------------------------------------------------------------------------------------------------------------
// The PoCo 6.1.0 package

//! Source and name of the one library the facets link (§4.3).
inline constexpr std::string_view kIexecLibOrdersSource = "contracts/libs/IexecLibOrders_v5.sol";
inline constexpr std::string_view kIexecLibOrdersName = "IexecLibOrders_v5";

//! The 11 PoCo facets of the Arbitrum token layout, in deployment order (local-chain.md §4.2).
inline constexpr std::array<std::string_view, 11> kPocoTokenFacets = {
    "IexecAccessorsABILegacyFacet", "IexecCategoryManagerFacet", "IexecConfigurationExtraFacet",
    "IexecConfigurationFacet",      "IexecERC20Facet",           "IexecEscrowTokenFacet",
    "IexecOrderManagementFacet",    "IexecPoco1Facet",           "IexecPoco2Facet",
    "IexecPocoAccessorsFacet",      "IexecRelayFacet",
};

//! Every artifact the token-mode deployment uses.
struct PocoArtifacts {
    std::filesystem::path package_dir;
    ContractArtifact rlc;                  //!< deployments/arbitrumSepolia/RLC.json
    ContractArtifact diamond_init;         //!< deployments/arbitrumSepolia/DiamondInit.json
    ContractArtifact diamond_cut_facet;    //!< deployments/arbitrumSepolia/DiamondCutFacet.json
    ContractArtifact diamond_loupe_facet;  //!< deployments/arbitrumSepolia/DiamondLoupeFacet.json
    ContractArtifact ownership_facet;      //!< deployments/arbitrumSepolia/OwnershipFacet.json
    ContractArtifact diamond;              //!< artifacts/contracts/Diamond.sol/Diamond.json
    ContractArtifact lib_orders;           //!< artifacts/contracts/libs/IexecLibOrders_v5.sol/IexecLibOrders_v5.json
    std::vector<ContractArtifact> facets;  //!< artifacts/contracts/facets/<F>.sol/<F>.json, F in kPocoTokenFacets
    ContractArtifact app_registry;         //!< artifacts/contracts/registries/apps/AppRegistry.sol/AppRegistry.json
    ContractArtifact dataset_registry;     //!< …/registries/datasets/DatasetRegistry.sol/DatasetRegistry.json
    ContractArtifact workerpool_registry;  //!< …/registries/workerpools/WorkerpoolRegistry.sol/WorkerpoolRegistry.json
};

//! Reads all of the above from the unpacked package directory (the folder holding artifacts/ and deployments/).
//! Errors: Errc::kIo naming the missing file (and suggesting scripts/install-deps.sh when the folder is missing).
Result<PocoArtifacts> load_poco_artifacts(const std::filesystem::path& package_dir);

}  // namespace wp
