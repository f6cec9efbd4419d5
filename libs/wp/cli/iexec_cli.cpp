#include "iexec_cli.hpp"

#include <iostream>
#include <vector>

#include <CLI/CLI.hpp>

#include "parse.hpp"
#include "utils.hpp"
#include "version.hpp"

namespace wp::cli {
namespace {

// A leaf command: its full name ("iexec utils keccak256"), its --raw flag and its action.
struct Leaf {
    CLI::App* app;
    std::string name;
    bool raw = false;
};

void add_signer_options(CLI::App* cmd, SignerOptions& signer) {
    cmd->add_option("--private-key", signer.private_key, "signer private key (0x hex)");
    cmd->add_option("--wallet-file", signer.wallet_file, "signer keystore file (Web3 Secret Storage v3)");
    cmd->add_option("--password", signer.password, "password of the keystore");
}

}  // namespace

int run_iexec(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
    CLI::App app{"iexec: the iExec workerpool and marketplace command line", "iexec"};
    app.require_subcommand(1);
    app.set_version_flag("-V,--version", version());

    CLI::App* utils = app.add_subcommand("utils", "low-level helpers: hashes, signatures, orders, transactions, ABI");
    utils->require_subcommand(1);

    std::vector<Leaf> leaves;
    int exit_code = 0;
    auto leaf = [&](const char* name, const char* description) -> Leaf& {
        CLI::App* cmd = utils->add_subcommand(name, description);
        leaves.push_back(Leaf{cmd, std::string("iexec utils ") + name});
        cmd->add_flag("--raw", leaves.back().raw, "print one line of JSON");
        return leaves.back();
    };
    leaves.reserve(16);

    auto run = [&](const Leaf& l, const Result<Reply>& result) {
        const Printer printer{l.raw, &out, &err};
        exit_code = result ? printer.success(*result) : printer.failure(l.name, result.error());
    };

    // keccak256
    std::string keccak_input;
    {
        Leaf& l = leaf("keccak256", "keccak256 of 0x-hex bytes or of UTF-8 text");
        l.app->add_option("input", keccak_input, "0x-prefixed bytes, or any text")->required();
        l.app->callback([&, &l = l] { run(l, utils_keccak256(keccak_input)); });
    }

    // hash-order / sign-order
    struct OrderArgs {
        std::string kind, order, chain_id, hub;
        SignerOptions signer;
    } hash_args, sign_args;
    auto order_options = [](CLI::App* cmd, OrderArgs& a) {
        cmd->add_option("kind", a.kind, "app | dataset | workerpool | request")
            ->required()
            ->check(CLI::IsMember({"app", "dataset", "workerpool", "request"}));
        cmd->add_option("--order", a.order, "the order as JSON, or @file")->required();
        cmd->add_option("--chain-id", a.chain_id, "EIP-712 domain chainId")->required();
        cmd->add_option("--hub", a.hub, "EIP-712 domain verifyingContract (the PoCo hub)")->required();
    };
    {
        Leaf& l = leaf("hash-order", "EIP-712 domain separator, struct hash and order hash of an order");
        order_options(l.app, hash_args);
        l.app->callback([&, &l = l] {
            run(l, utils_hash_order(hash_args.kind, hash_args.order, hash_args.chain_id, hash_args.hub));
        });
    }
    {
        Leaf& l = leaf("sign-order", "sign an order (EIP-712) with a private key or a keystore");
        order_options(l.app, sign_args);
        add_signer_options(l.app, sign_args.signer);
        l.app->callback([&, &l = l] {
            run(l, utils_sign_order(sign_args.kind, sign_args.order, sign_args.chain_id, sign_args.hub,
                                    sign_args.signer));
        });
    }

    // sign-message
    std::string message_hash;
    SignerOptions message_signer;
    {
        Leaf& l = leaf("sign-message", "EIP-191 personal-message signature of a 32-byte hash");
        l.app->add_option("hash", message_hash, "0x-prefixed 32-byte hash")->required();
        add_signer_options(l.app, message_signer);
        l.app->callback([&, &l = l] { run(l, utils_sign_message(message_hash, message_signer)); });
    }

    // recover
    std::string recover_hash, recover_sig;
    bool recover_eip191 = false;
    {
        Leaf& l = leaf("recover", "address that produced a signature");
        l.app->add_option("hash", recover_hash, "0x-prefixed 32-byte digest")->required();
        l.app->add_option("signature", recover_sig, "65-byte (r,s,v) or 64-byte EIP-2098 signature")->required();
        l.app->add_flag("--eip191", recover_eip191, "the signature is an EIP-191 personal message of the hash");
        l.app->callback([&, &l = l] { run(l, utils_recover(recover_hash, recover_sig, recover_eip191)); });
    }

    // keystore-decrypt
    std::string keystore_file;
    std::optional<std::string> keystore_password;
    bool show_private_key = false;
    {
        Leaf& l = leaf("keystore-decrypt", "decrypt a keystore v3 file and print its address");
        l.app->add_option("file", keystore_file, "keystore file")->required();
        l.app->add_option("--password", keystore_password, "keystore password");
        l.app->add_flag("--show-private-key", show_private_key, "also print the private key");
        l.app->callback([&, &l = l] {
            run(l, utils_keystore_decrypt(keystore_file, keystore_password, show_private_key));
        });
    }

    // tx-decode
    std::string raw_tx;
    {
        Leaf& l = leaf("tx-decode", "decode a signed raw transaction (legacy/EIP-155, EIP-2930, EIP-1559)");
        l.app->add_option("raw", raw_tx, "0x-prefixed signed transaction")->required();
        l.app->callback([&, &l = l] { run(l, utils_tx_decode(raw_tx)); });
    }

    // abi-encode
    std::string abi_signature, abi_args;
    {
        Leaf& l = leaf("abi-encode", "calldata (selector + ABI-encoded arguments) of a function call");
        l.app->add_option("signature", abi_signature, "function signature, e.g. transfer(address,uint256)")
            ->required();
        l.app->add_option("args", abi_args, "JSON array of the arguments, or @file")->required();
        l.app->callback([&, &l = l] { run(l, utils_abi_encode(abi_signature, abi_args)); });
    }

    if (auto done = parse_or_exit(app, argc, argv, out, err)) return *done;
    return exit_code;
}

int run_iexec(int argc, char** argv) { return run_iexec(argc, argv, std::cout, std::cerr); }

}  // namespace wp::cli
