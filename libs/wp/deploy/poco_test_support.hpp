#pragma once
// Test-only helpers shared by the deploy tests: the real PoCo package (WP_POCO_DIR) and the expected tables of
// shared/reference/local-chain.md §4.2 / §4.5.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <wp/deploy/poco_artifacts.hpp>

namespace wp::test {

//! The artifacts from WP_POCO_DIR, loaded once; nullptr (with a test failure recorded by the caller) when missing.
inline const PocoArtifacts* poco_artifacts_or_fail() {
    static const Result<PocoArtifacts> loaded = [] {
        const std::filesystem::path dir = WP_POCO_DIR;
        if (dir.empty()) return Result<PocoArtifacts>(make_error(Errc::kIo, "WP_POCO_DIR is empty"));
        return load_poco_artifacts(dir);
    }();
    if (!loaded) {
        ADD_FAILURE() << "the @iexec/poco@6.1.0 package is not available (" << loaded.error().message
                      << "). Run scripts/install-deps.sh, then re-run cmake (WP_POCO_DIR).";
        return nullptr;
    }
    return &*loaded;
}

struct ExpectedFacet {
    std::string_view name;
    std::uint64_t nonce;
    std::string_view address;
    std::size_t link_occurrences;
    std::vector<std::string_view> selectors;  // in ABI order
};

//! local-chain.md §4.1 step 3 (diamond facets) and §4.2 (PoCo facets) with §4.5 addresses; the selector order is
//! the artifact ABI order (which the tables list alphabetically, as does the ABI).
inline const std::vector<ExpectedFacet>& expected_facets() {
    static const std::vector<ExpectedFacet> kFacets = {
        {"DiamondCutFacet", 2, "0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", 0, {"0x1f931c1c"}},
        {"DiamondLoupeFacet",
         3,
         "0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9",
         0,
         {"0xcdffacc6", "0x52ef6b2c", "0xadfca15e", "0x7a0ed627", "0x01ffc9a7"}},
        {"OwnershipFacet", 4, "0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9", 0, {"0x8da5cb5b", "0xf2fde38b"}},
        {"IexecAccessorsABILegacyFacet",
         7,
         "0xa513E6E4b8f2a923D98304ec87F64353C4D5C853",
         0,
         {"0x5b3ae3e4", "0xf9353b8d", "0xd5922f50", "0x11e35aba", "0xbd19a4f3", "0xce5f7895", "0x248ad6a0"}},
        {"IexecCategoryManagerFacet", 9, "0x8A791620dd6260079BF849Dc5567aDC3F2FdC318", 0, {"0x298503d9"}},
        {"IexecConfigurationExtraFacet", 11, "0xB7f8BC63BbcaD18155201308C8f3540b07f84F5e", 0, {"0x0e7c4033"}},
        {"IexecConfigurationFacet",
         13,
         "0x0DCd1Bf9A1b36cE34237eEaFef220932846BCD82",
         2,
         {"0xb5521817", "0xc2fb26a6", "0xa9b20cee", "0x01d09a3c", "0xaefb52b4", "0x89ccfe89"}},
        {"IexecERC20Facet",
         15,
         "0x0B306BF915C4d645ff596e518fAf3F9669b97016",
         0,
         {"0x095ea7b3", "0xcae9ca51", "0xa457c2d7", "0x39509351", "0xa9059cbb", "0x23b872dd"}},
        {"IexecEscrowTokenFacet",
         17,
         "0x9A9f2CCfdE556A7E9Ff0848998Aa4a0CFD8863AE",
         0,
         {"0xffffffff", "0xb6b55f25", "0x36efd16f", "0x3354f8a5", "0x8f4ffcb1", "0xce746024", "0x2e1a7d4d",
          "0xc86283c8", "0x00000000"}},
        {"IexecOrderManagementFacet",
         19,
         "0x3Aa5ebB10DC797CAC828524e59A333d0A371443c",
         8,
         {"0xb2b07e66", "0x4b747106", "0x8dd971d5", "0x7e34a077"}},
        {"IexecPoco1Facet",
         21,
         "0x59b670e9fA9D0A427751Af201D676719a970857b",
         5,
         {"0x80f03425", "0x156194d4", "0x2f391533", "0xc87b582a", "0xbf36994e", "0x01751998"}},
        {"IexecPoco2Facet",
         23,
         "0x322813Fd9A801c5507c9de605d63CEA4f2CE6c44",
         0,
         {"0xbd66528a", "0xfa055d7e", "0x34623484", "0x5facd761", "0x8fc375e5", "0x5b36c66b", "0xf722cb32",
          "0xb504681d", "0xf6c68e10", "0xfc334e8c"}},
        {"IexecPocoAccessorsFacet",
         25,
         "0x4A679253410272dd5232B3Ff7cF5dbB88f295319",
         1,
         {"0xdd62ed3e", "0x45b637a9", "0x70a08231", "0xe63ec07d", "0x66517ca6", "0x74ed5244",
          "0xc140996f", "0xb1b11d2c", "0x313ce567", "0x9910fd72", "0xdb8aaa26", "0x1bf6e00d",
          "0x25eacba8", "0xa47e7f80", "0x77a99692", "0xdcb03241", "0x06fdde03", "0xd09cc57e",
          "0x2b8857c1", "0x95d89b41", "0x5975b8fc", "0xfc0c546a", "0x18160ddd", "0x6b55f4a5",
          "0xe1523fb4", "0x4f5f44ec", "0x4b2bec8c", "0xe741363b", "0x1e143ef7", "0xb74861b2",
          "0xd286eb16", "0xdb230b52", "0xadccf0d5", "0xbd8ab058", "0x6112f6fd", "0x90a0f546"}},
        {"IexecRelayFacet",
         27,
         "0x09635F643e140090A9A8Dcd712eD6285858ceBef",
         0,
         {"0xc52e9de1", "0x4c4692de", "0x4693d172", "0x947f5178"}},
    };
    return kFacets;
}

}  // namespace wp::test
