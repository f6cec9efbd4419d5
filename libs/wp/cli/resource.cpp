#include "resource.hpp"

#include <wp/chain/hub.hpp>
#include <wp/codec/abi.hpp>
#include <wp/core/hex.hpp>
#include <wp/core/keccak.hpp>

#include "cmd_order.hpp"
#include "command.hpp"

namespace wp::cli {

chain::RegistryKind registry_of(ResourceKind kind) {
    switch (kind) {
        case ResourceKind::kApp: return chain::RegistryKind::kApp;
        case ResourceKind::kDataset: return chain::RegistryKind::kDataset;
        case ResourceKind::kWorkerpool: return chain::RegistryKind::kWorkerpool;
    }
    return chain::RegistryKind::kWorkerpool;
}

namespace {

bool all_digits(std::string_view s) {
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

}  // namespace

Result<Address> user_or_wallet(Context& ctx, const std::optional<std::string>& user) {
    if (user) {
        auto parsed = Address::parse(*user);
        if (!parsed) return make_error(Errc::kInvalidArgument, *user + " is not a valid ethereum address");
        return *parsed;
    }
    auto address = ctx.wallet_address();
    if (!address) return make_error(Errc::kInvalidArgument, "Missing option --user <address> or wallet");
    return *address;
}

Result<Address> resource_to_show(Context& ctx, ResourceKind kind, const std::optional<std::string>& argument,
                                 const std::optional<std::string>& user) {
    const std::string name(resource_key(kind));
    WP_TRY(const chain::ResolvedChain* c, ctx.chain());
    WP_TRY(chain::Hub * hub, ctx.hub());
    Address address;
    if (!argument) {
        WP_TRY(DeployedFile deployed, ctx.deployed());
        auto found = deployed.find(kind, c->id);
        if (!found)
            return make_error(Errc::kInvalidArgument, "Missing " + name + "Address and no " + name +
                                                          " found in \"deployed.json\" for chain " +
                                                          std::to_string(c->id));
        address = *found;
    } else if (all_digits(*argument)) {
        WP_TRY(Address owner, user_or_wallet(ctx, user));
        WP_TRY(U256 index, U256::from_dec(*argument));
        auto count = hub->registry_balance_of(registry_of(kind), owner);
        if (!count) return make_error(count.error().to_error());
        if (index >= *count) return make_error(Errc::kInvalidArgument, name + " not deployed");
        auto token = hub->token_of_owner_by_index(registry_of(kind), owner, index);
        if (!token) return make_error(token.error().to_error());
        address = *token;
    } else {
        auto parsed = Address::parse(*argument);
        if (!parsed) return make_error(Errc::kInvalidArgument, *argument + " is not a valid ethereum address");
        address = *parsed;
    }
    auto registered = hub->is_registered(registry_of(kind), address);
    if (!registered) return make_error(registered.error().to_error());
    if (!*registered)
        return make_error(Errc::kInvalidArgument, "No " + name + " found for id " + address.to_checksum() +
                                                      " on chain " + std::to_string(c->id));
    return address;
}

Result<Address> minted_address(const chain::Receipt& receipt, const Address& registry) {
    static const Bytes32 kTransfer = keccak256(as_bytes(std::string_view("Transfer(address,address,uint256)")));
    for (const auto& log : receipt.logs)
        if (log.address == registry && log.topics.size() == 4 && log.topics[0] == kTransfer)
            return Address::from_word(log.topics[3]);
    return make_error(Errc::kDecoding, "no Transfer event of the registry " + registry.to_checksum() +
                                           " in the receipt of " + to_hex(receipt.transaction_hash));
}

Result<std::string> section_string(const boost::json::object& section, std::string_view section_name,
                                   std::string_view key) {
    const auto* v = section.if_contains(key);
    if (v == nullptr)
        return make_error(Errc::kInvalidArgument, std::string(key) + " is a required field in " +
                                                      std::string(section_name) + " of \"iexec.json\"");
    if (!v->is_string())
        return make_error(Errc::kInvalidArgument,
                          std::string(section_name) + "." + std::string(key) + " in \"iexec.json\": expected a string");
    return std::string(v->get_string());
}

void add_transfer_command(Registry& r, CLI::App* group, ResourceKind kind) {
    struct Args {
        std::string address;
        std::optional<std::string> to;
    };
    auto& a = r.keep<Args>();
    const std::string name(resource_key(kind));
    CLI::App* l = r.leaf(group, "transfer", "transfer the ownership of the " + name + " to an address",
                         kTransaction | kForceOption);
    l->add_option(name + "Address", a.address, name + " address")->required();
    l->add_option("--to", a.to, "receiver address");
    r.action(l, [&a, kind, name](Context& ctx) -> Result<Reply> {
        WP_TRY(const chain::ResolvedChain* c, ctx.chain());
        WP_TRY(chain::Hub * hub, ctx.hub());
        WP_TRY(const PrivateKey* key, ctx.wallet());
        if (!a.to) return make_error(Errc::kInvalidArgument, "Missing --to option");
        WP_TRY_VOID(confirm_or_abort(ctx, "Do you want to transfer the ownership of the " + name + " " + a.address +
                                              " to " + *a.to + " [chainId: " + std::to_string(c->id) + "]"));
        auto address = Address::parse(a.address);
        if (!address) return make_error(Errc::kInvalidArgument, a.address + " is not a valid ethereum address");
        auto to = Address::parse(*a.to);
        if (!to) return make_error(Errc::kInvalidArgument, *a.to + " is not a valid ethereum address");
        auto registered = hub->is_registered(registry_of(kind), *address);
        if (!registered) return make_error(registered.error().to_error());
        if (!*registered) return make_error(Errc::kInvalidArgument, "Invalid " + name + " address");
        auto owner = hub->registry_owner_of(registry_of(kind), *address);
        if (!owner) return make_error(owner.error().to_error());
        if (*owner != key->address())
            return make_error(Errc::kInvalidArgument, "Only " + name + " owner can transfer " + name + " ownership");
        WP_TRY(Address registry, hub->registry_address(chain::HubFn::kRegistryOwnerOf, registry_of(kind)));
        WP_TRY(Bytes data, abi_encode_call("safeTransferFrom(address,address,uint256)",
                                           {AbiValue::address(key->address()), AbiValue::address(*to),
                                            AbiValue::uint_(U256::from_be32(address->to_word()))}));
        ctx.printer().start_spinner("Transferring " + name + " " + a.address + "...");
        WP_TRY(SentTx tx, ctx.send(chain::ContractCall{registry, std::move(data), U256{}, "safeTransferFrom"}));
        Reply reply;
        reply.payload["address"] = address->to_checksum();
        reply.payload["to"] = to->to_checksum();
        reply.payload["txHash"] = to_hex(tx.hash);
        reply.human = ctx.printer().ok_line("Successfully transferred " + name + " " + address->to_checksum() +
                                            " ownership to " + to->to_checksum());
        return reply;
    });
}

}  // namespace wp::cli
