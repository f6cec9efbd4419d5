#include "poco_plan.hpp"

#include <array>
#include <map>
#include <utility>

#include <wp/codec/abi.hpp>
#include <wp/codec/rlp.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

namespace wp {
namespace {

constexpr std::string_view kDiamondCutSignature = "diamondCut((address,uint8,bytes4[])[],address,bytes)";
constexpr std::string_view kDiamondConstructorTypes = "(address,uint8,bytes4[])[], (address,address,bytes)";
constexpr std::string_view kInitSignature = "init()";
constexpr std::string_view kRegistryInitializeSignature = "initialize(address)";
constexpr std::string_view kSetBaseUriSignature = "setBaseURI(string)";
constexpr std::string_view kConfigureSignature =
    "configure(address,string,string,uint8,address,address,address,address)";
constexpr std::string_view kCreateCategorySignature = "createCategory(string,string,uint256)";

struct Category {
    std::string_view name;
    std::uint64_t work_clock_time_ref;
};
constexpr std::array<Category, 5> kCategories = {{{"XS", 300}, {"S", 1200}, {"M", 3600}, {"L", 10800}, {"XL", 36000}}};

AbiValue facet_cut_value(const PlannedFacet& facet) {
    AbiValue::List selectors;
    selectors.reserve(facet.selectors.size());
    for (const auto& s : facet.selectors) selectors.push_back(AbiValue::fixed_bytes(s.view()));
    return AbiValue::list({AbiValue::address(facet.address), AbiValue::uint_(U256(0)), AbiValue::list(selectors)});
}

class Planner {
  public:
    explicit Planner(const PocoPlanOptions& options) : options_(options), nonce_(options.first_nonce) {}

    // A CREATE of `code` ++ `args`.
    Result<Address> create(const ContractArtifact& artifact, ByteView args = {}) {
        WP_TRY(Bytes data, artifact.creation_code());
        append(data, args);
        if (data.size() > kMaxInitcodeSize)
            return make_error(Errc::kInvalidArgument, artifact.file + ": initcode with constructor arguments is " +
                                                          std::to_string(data.size()) + " bytes, over the limit");
        const Address created = contract_address(options_.deployer, nonce_);
        plan_.transactions.push_back(
            PlannedTx{nonce_, "deploy " + artifact.name, std::nullopt, std::move(data), created});
        ++nonce_;
        return created;
    }

    Result<void> call(const Address& to, std::string description, std::string_view signature,
                      const std::vector<AbiValue>& args) {
        auto data = abi_encode_call(signature, args);
        if (!data) return make_error(data.error().with_context(description));
        plan_.transactions.push_back(PlannedTx{nonce_, std::move(description), to, std::move(*data), std::nullopt});
        ++nonce_;
        return {};
    }

    // Registers a facet's selectors, rejecting any selector already on the diamond (the cut would revert, G6).
    Result<void> add_facet(PlannedFacet facet) {
        for (const auto& s : facet.selectors) {
            auto [it, inserted] = owner_of_.emplace(s, facet.name);
            if (!inserted)
                return make_error(Errc::kInvalidArgument, "selector " + to_hex(s.view()) + " of " + facet.name +
                                                              " is already registered by " + it->second);
        }
        plan_.facets.push_back(std::move(facet));
        return {};
    }

    PocoPlan& plan() { return plan_; }

  private:
    const PocoPlanOptions& options_;
    std::uint64_t nonce_;
    PocoPlan plan_;
    std::map<AbiSelector, std::string> owner_of_;
};

Result<PlannedFacet> facet_of(const ContractArtifact& artifact, const Address& address, std::size_t link_occurrences) {
    auto selectors = abi_json_selectors(artifact.abi);
    if (!selectors) return make_error(selectors.error().with_context(artifact.file));
    if (selectors->empty()) return make_error(Errc::kInvalidArgument, artifact.file + ": facet ABI has no function");
    return PlannedFacet{artifact.name, address, std::move(*selectors), link_occurrences};
}

}  // namespace

Address contract_address(const Address& deployer, std::uint64_t nonce) {
    const std::array<Bytes, 2> items = {rlp::encode_bytes(deployer.view()), rlp::encode_uint(nonce)};
    const Bytes32 h = keccak256(rlp::encode_list(items));
    FixedBytes<20> out;
    std::copy(h.begin() + 12, h.end(), out.bytes.begin());
    return Address(out);
}

std::string registry_base_uri(std::string_view kind, std::uint64_t chain_id) {
    return "https://nfts-metadata.iex.ec/" + std::string(kind) + "/" + std::to_string(chain_id) + "/";
}

std::size_t PocoPlan::selector_count() const {
    std::size_t n = 0;
    for (const auto& f : facets) n += f.selectors.size();
    return n;
}

Result<PocoPlan> plan_poco_deployment(const PocoArtifacts& artifacts, const PocoPlanOptions& options) {
    if (artifacts.facets.size() != kPocoTokenFacets.size())
        return make_error(Errc::kInvalidArgument, "PoCo artifacts: expected " +
                                                      std::to_string(kPocoTokenFacets.size()) + " facets, got " +
                                                      std::to_string(artifacts.facets.size()));
    Planner p(options);
    PocoPlan& plan = p.plan();

    WP_TRY(plan.rlc, p.create(artifacts.rlc));
    WP_TRY(plan.diamond_init, p.create(artifacts.diamond_init));
    for (const ContractArtifact* a :
         {&artifacts.diamond_cut_facet, &artifacts.diamond_loupe_facet, &artifacts.ownership_facet}) {
        WP_TRY(Address address, p.create(*a));
        WP_TRY(PlannedFacet facet, facet_of(*a, address, 0));
        WP_TRY_VOID(p.add_facet(std::move(facet)));
    }

    // Diamond(FacetCut[] cuts, DiamondArgs{owner, init, initCalldata}).
    {
        AbiValue::List cuts;
        for (const auto& f : plan.facets) cuts.push_back(facet_cut_value(f));
        WP_TRY(Bytes init_calldata, abi_encode_call(kInitSignature, {}));
        const AbiValue diamond_args =
            AbiValue::list({AbiValue::address(options.deployer), AbiValue::address(plan.diamond_init),
                            AbiValue::bytes(std::move(init_calldata))});
        WP_TRY(std::vector<AbiType> types, parse_abi_type_list(kDiamondConstructorTypes));
        WP_TRY(Bytes args, abi_encode(types, {AbiValue::list(std::move(cuts)), diamond_args}));
        WP_TRY(plan.hub, p.create(artifacts.diamond, args));
    }

    WP_TRY(plan.lib_orders, p.create(artifacts.lib_orders));

    for (const ContractArtifact& artifact : artifacts.facets) {
        ContractArtifact linked = artifact;
        std::size_t occurrences = 0;
        if (!artifact.link_references.empty()) {
            WP_TRY(linked,
                   link_library(artifact, kIexecLibOrdersSource, kIexecLibOrdersName, plan.lib_orders, &occurrences));
            if (linked.placeholder_count() != 0)
                return make_error(Errc::kInvalidArgument,
                                  artifact.file + ": " + std::to_string(linked.placeholder_count()) +
                                      " placeholder(s) of another library remain after linking");
        }
        WP_TRY(Address address, p.create(linked));
        WP_TRY(PlannedFacet facet, facet_of(linked, address, occurrences));
        const std::string description =
            "diamondCut " + facet.name + " (" + std::to_string(facet.selectors.size()) + " selectors)";
        const AbiValue cuts = AbiValue::list({facet_cut_value(facet)});
        WP_TRY_VOID(p.add_facet(std::move(facet)));
        WP_TRY_VOID(p.call(plan.hub, description, kDiamondCutSignature,
                           {cuts, AbiValue::address(Address{}), AbiValue::bytes({})}));
    }

    const std::array<std::pair<const ContractArtifact*, std::string_view>, 3> registries = {{
        {&artifacts.app_registry, "app"},
        {&artifacts.dataset_registry, "dataset"},
        {&artifacts.workerpool_registry, "workerpool"},
    }};
    std::array<Address, 3> registry_addresses{};
    for (std::size_t i = 0; i < registries.size(); ++i) {
        const auto& [artifact, kind] = registries[i];
        WP_TRY(registry_addresses[i], p.create(*artifact));
        WP_TRY_VOID(p.call(registry_addresses[i], artifact->name + ".initialize(0x0)", kRegistryInitializeSignature,
                           {AbiValue::address(Address{})}));
        const std::string uri = registry_base_uri(kind, options.chain_id);
        WP_TRY_VOID(p.call(registry_addresses[i], artifact->name + ".setBaseURI(\"" + uri + "\")", kSetBaseUriSignature,
                           {AbiValue::string(uri)}));
    }
    plan.app_registry = registry_addresses[0];
    plan.dataset_registry = registry_addresses[1];
    plan.workerpool_registry = registry_addresses[2];

    WP_TRY_VOID(p.call(
        plan.hub, "configure", kConfigureSignature,
        {AbiValue::address(plan.rlc), AbiValue::string("Staked RLC"), AbiValue::string("SRLC"),
         AbiValue::uint_(U256(9)), AbiValue::address(plan.app_registry), AbiValue::address(plan.dataset_registry),
         AbiValue::address(plan.workerpool_registry), AbiValue::address(Address{})}));

    for (const auto& category : kCategories) {
        WP_TRY_VOID(
            p.call(plan.hub,
                   "createCategory " + std::string(category.name) + " " + std::to_string(category.work_clock_time_ref),
                   kCreateCategorySignature,
                   {AbiValue::string(std::string(category.name)), AbiValue::string("\"\""),
                    AbiValue::uint_(U256(category.work_clock_time_ref))}));
    }

    if (plan.transactions.size() != kPocoPlanTransactionCount)
        return make_error(Errc::kInvalidArgument, "PoCo plan: " + std::to_string(plan.transactions.size()) +
                                                      " transactions instead of " +
                                                      std::to_string(kPocoPlanTransactionCount));
    return std::move(plan);
}

}  // namespace wp
