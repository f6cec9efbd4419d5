// `iexec utils ...` (utils.hpp): low-level helpers.
#include <optional>
#include <string>

#include "command.hpp"
#include "utils.hpp"

namespace wp::cli {
namespace {

void add_signer_options(CLI::App* cmd, SignerOptions& signer) {
    cmd->add_option("--private-key", signer.private_key, "signer private key (0x hex)");
    cmd->add_option("--wallet-file", signer.wallet_file, "signer keystore file (Web3 Secret Storage v3)");
    cmd->add_option("--password", signer.password, "password of the keystore");
}

struct OrderArgs {
    std::string kind, order, chain_id, hub;
    SignerOptions signer;
};

void order_options(CLI::App* cmd, OrderArgs& a) {
    cmd->add_option("kind", a.kind, "app | dataset | workerpool | request")
        ->required()
        ->check(CLI::IsMember({"app", "dataset", "workerpool", "request"}));
    cmd->add_option("--order", a.order, "the order as JSON, or @file")->required();
    cmd->add_option("--chain-id", a.chain_id, "EIP-712 domain chainId")->required();
    cmd->add_option("--hub", a.hub, "EIP-712 domain verifyingContract (the PoCo hub)")->required();
}

}  // namespace

void add_utils_commands(Registry& r, Groups& g) {
    {
        auto& input = r.keep<std::string>();
        CLI::App* l = r.leaf(g.utils, "keccak256", "keccak256 of 0x-hex bytes or of UTF-8 text", kNoOptions);
        l->add_option("input", input, "0x-prefixed bytes, or any text")->required();
        r.action(l, [&input](Context&) { return utils_keccak256(input); });
    }
    {
        auto& a = r.keep<OrderArgs>();
        CLI::App* l = r.leaf(g.utils, "hash-order", "EIP-712 domain separator, struct hash and order hash of an order",
                             kNoOptions);
        order_options(l, a);
        r.action(l, [&a](Context&) { return utils_hash_order(a.kind, a.order, a.chain_id, a.hub); });
    }
    {
        auto& a = r.keep<OrderArgs>();
        CLI::App* l =
            r.leaf(g.utils, "sign-order", "sign an order (EIP-712) with a private key or a keystore", kNoOptions);
        order_options(l, a);
        add_signer_options(l, a.signer);
        r.action(l, [&a](Context&) { return utils_sign_order(a.kind, a.order, a.chain_id, a.hub, a.signer); });
    }
    {
        struct Args {
            std::string hash;
            SignerOptions signer;
        };
        auto& a = r.keep<Args>();
        CLI::App* l =
            r.leaf(g.utils, "sign-message", "EIP-191 personal-message signature of a 32-byte hash", kNoOptions);
        l->add_option("hash", a.hash, "0x-prefixed 32-byte hash")->required();
        add_signer_options(l, a.signer);
        r.action(l, [&a](Context&) { return utils_sign_message(a.hash, a.signer); });
    }
    {
        struct Args {
            std::string hash, sig;
            bool eip191 = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l = r.leaf(g.utils, "recover", "address that produced a signature", kNoOptions);
        l->add_option("hash", a.hash, "0x-prefixed 32-byte digest")->required();
        l->add_option("signature", a.sig, "65-byte (r,s,v) or 64-byte EIP-2098 signature")->required();
        l->add_flag("--eip191", a.eip191, "the signature is an EIP-191 personal message of the hash");
        r.action(l, [&a](Context&) { return utils_recover(a.hash, a.sig, a.eip191); });
    }
    {
        struct Args {
            std::string file;
            std::optional<std::string> password;
            bool show_private_key = false;
        };
        auto& a = r.keep<Args>();
        CLI::App* l =
            r.leaf(g.utils, "keystore-decrypt", "decrypt a keystore v3 file and print its address", kNoOptions);
        l->add_option("file", a.file, "keystore file")->required();
        l->add_option("--password", a.password, "keystore password");
        l->add_flag("--show-private-key", a.show_private_key, "also print the private key");
        r.action(l, [&a](Context&) { return utils_keystore_decrypt(a.file, a.password, a.show_private_key); });
    }
    {
        auto& raw = r.keep<std::string>();
        CLI::App* l = r.leaf(g.utils, "tx-decode",
                             "decode a signed raw transaction (legacy/EIP-155, EIP-2930, EIP-1559)", kNoOptions);
        l->add_option("raw", raw, "0x-prefixed signed transaction")->required();
        r.action(l, [&raw](Context&) { return utils_tx_decode(raw); });
    }
    {
        struct Args {
            std::string signature, args;
        };
        auto& a = r.keep<Args>();
        CLI::App* l =
            r.leaf(g.utils, "abi-encode", "calldata (selector + ABI-encoded arguments) of a function call", kNoOptions);
        l->add_option("signature", a.signature, "function signature, e.g. transfer(address,uint256)")->required();
        l->add_option("args", a.args, "JSON array of the arguments, or @file")->required();
        r.action(l, [&a](Context&) { return utils_abi_encode(a.signature, a.args); });
    }
}

}  // namespace wp::cli
