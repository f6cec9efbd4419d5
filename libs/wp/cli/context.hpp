#pragma once
// The per-invocation context of an `iexec` command (SDK 9.0.1 conventions, sdk-cli-and-market.md §1–2):
// the global options, the project files of the working directory, the selected chain, the RPC client and Hub, the
// wallet, confirmations and transactions. Everything is loaded lazily, on the first use, and cached: a command
// that never touches the chain never opens a connection; a command that fails on a file never changes one.
//
// Files (files.hpp for the formats) are read from Environment::cwd:
//   iexec.json     `Missing "iexec.json" file, did you forget to run "iexec init"?`
//   chain.json     `Missing "chain.json" file, did you forget to run "iexec init"?`; the SDK's validation messages
//   deployed.json  absent = empty
//   orders.json    `Missing orders.json. You probably forgot to run "iexec order sign"` (orders()); absent = empty
//                  for orders_or_empty()
// Writes go to a temporary file in the same directory, then rename(2): a failed or interrupted command never
// leaves a half-written file.
//
// Chain: chain::resolve_chain(chain.json, --chain). The first RPC use connects: eth_chainId must equal the chain's
// id (`Chain id mismatch: chain.json says <name> is chain <id> but the node at <host> is chain <id>`), then
// `ℹ Using chain <name> [chainId: <id>]` is printed (human mode). An unreachable or silent node fails within
// Environment::rpc_timeout (one retry), with `Cannot reach the JSON-RPC node at <host> (chain <name>): <cause>`
// (the SDK retries forever: we do not).
//
// Wallet (the SDK's loading order, §2.3): --wallet-file (a name in the keystore directory, or a path),
// --wallet-address (the newest UTC--*--<address> file), ./wallet.json (unencrypted), the newest UTC-- file.
// Keystore directory: --keystoredir global (default: <home>/.ethereum/keystore), local (cwd) or a path. The
// password: --password, else the Environment's secret prompt (a terminal), else an error. Secrets are never
// printed or logged.
//
// Thread safety: none (one Context per invocation, used by one thread).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <wp/chain/chain_config.hpp>
#include <wp/chain/contract_call.hpp>
#include <wp/chain/eth.hpp>
#include <wp/chain/fees.hpp>
#include <wp/core/address.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>
#include <wp/protocol/order.hpp>

#include "files.hpp"
#include "output.hpp"

namespace wp::chain {
class JsonRpcClient;
class Hub;
}  // namespace wp::chain

namespace wp::cli {

//! The options every command shares (each command declares the subset it takes; see OptionSet).
struct GlobalOptions {
    bool raw{false};    //!< --raw: one JSON line
    bool quiet{false};  //!< --quiet: accepted for compatibility (the SDK's npm update check; we have none)
    bool force{false};  //!< --force: answer yes to every confirmation
    std::optional<std::string> chain;           //!< --chain <name|id>
    std::optional<std::string> wallet_file;     //!< --wallet-file <name or path>
    std::optional<std::string> wallet_address;  //!< --wallet-address <address>
    std::optional<std::string> keystoredir;     //!< --keystoredir global|local|<path>
    std::optional<std::string> password;        //!< --password <password>
    unsigned confirms{1};                       //!< --confirms <blocks> (transactions)
};

//! The process around the command (the seams tests replace).
struct Environment {
    std::filesystem::path cwd;   //!< where iexec.json, chain.json, deployed.json, orders.json, wallet.json live
    std::filesystem::path home;  //!< for the global keystore directory
    std::ostream* out{nullptr};
    std::ostream* err{nullptr};
    bool tty{false};  //!< stderr is a terminal (colours, spinner)
    //! Asks a question on the terminal and returns the answer, or nullopt when there is no terminal (then
    //! confirmations need --force and passwords --password). `secret`: do not echo.
    std::function<std::optional<std::string>(std::string_view question, bool secret)> ask;
    std::chrono::milliseconds rpc_timeout{std::chrono::seconds(15)};  //!< per JSON-RPC attempt
    std::chrono::milliseconds receipt_timeout{std::chrono::minutes(5)};
    Clock* clock{nullptr};  //!< keystore file names, deadlines (nullptr: system_clock())
    //! scrypt N of the keystores this process writes: 131072 as the SDK (tests lower it; any power of two > 1 is
    //! a valid keystore, only slower or faster to unlock).
    std::uint64_t keystore_scrypt_n{131072};
};

//! The real process: current directory, $HOME, std::cout / std::cerr, /dev/tty prompts when stdin is a terminal,
//! and the timeouts from $IEXEC_RPC_TIMEOUT_MS / $IEXEC_RECEIPT_TIMEOUT_MS when set.
Environment process_environment();

//! What Context::send normally computes, fixed by the caller (e.g. `wallet sweep` sends the whole balance minus
//! exactly 21000 × the fee cap).
struct SendOverrides {
    std::optional<std::uint64_t> gas_limit;  //!< else eth_estimateGas × 1.2
    std::optional<chain::FeeParams> fees;    //!< else chain::suggest_fees
};

//! A transaction sent and mined.
struct SentTx {
    Bytes32 hash;
    chain::Receipt receipt;
};

class Context {
  public:
    //! `command` is the full command name for messages ("iexec wallet show").
    Context(GlobalOptions options, Environment env, std::string command);
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    const GlobalOptions& options() const { return options_; }
    const Environment& env() const { return env_; }
    const std::string& command() const { return command_; }
    const Printer& printer() const { return printer_; }
    Clock& clock() const;
    //! cwd / name.
    std::filesystem::path path(std::string_view name) const;

    // ---- files ----

    //! Whether <cwd>/name exists.
    bool exists(std::string_view name) const;
    //! Reads a project file (at most 16 MiB). Errc::kIo `Missing "<name>" file, ...` when absent.
    Result<std::string> read_text(std::string_view name) const;
    //! Writes atomically (temporary file + rename). `exclusive`: fail when the file exists and the user did not
    //! confirm the overwrite (`"<name>" already exists, replace it with new one?` unless --force / --raw).
    Result<void> write_text(std::string_view name, std::string_view text, bool exclusive = false);

    Result<boost::json::object> iexec_json() const;
    Result<void> save_iexec_json(const boost::json::object& json);
    Result<chain::ChainsFile> chains_file() const;
    Result<DeployedFile> deployed() const;  //!< absent: empty
    Result<void> save_deployed(const DeployedFile& file);
    Result<OrdersFile> orders() const;           //!< absent: the SDK's "Missing orders.json" error
    Result<OrdersFile> orders_or_empty() const;  //!< absent: empty
    Result<void> save_orders(const OrdersFile& file);

    // ---- chain ----

    //! The selected chain (no network).
    Result<const chain::ResolvedChain*> chain();
    //! The market API base URL (chain.json iexecGateway or the built-in one):
    //! `Missing iexecGateway in "chain.json" for chain <id>`.
    Result<std::string> market_url();
    //! Connected and checked RPC client / typed clients (see the header comment).
    Result<chain::JsonRpcClient*> rpc();
    Result<chain::EthClient*> eth();
    //! The Hub, with the RLC token and the registries resolved (token(), *registry() read once).
    Result<chain::Hub*> hub();
    //! The EIP-712 domain read from the hub (domain()), cached.
    Result<Domain> domain();

    // ---- wallet ----

    //! The keystore directory the options select.
    std::filesystem::path keystore_dir() const;
    //! The wallet's address without decrypting when the file tells it (keystore "address", wallet.json).
    Result<Address> wallet_address();
    //! The decrypted key (asks for the password on a terminal when --password is absent).
    Result<const PrivateKey*> wallet();

    // ---- interaction ----

    //! true with --force or --raw (the SDK's raw mode never prompts); else the answer to `question [y/N]` on the
    //! terminal; without a terminal: Errc::kInvalidArgument `<question> (no terminal to confirm: use --force)`.
    Result<bool> confirm(std::string_view question);

    // ---- transactions ----

    //! Sends `call` from the wallet: gas = eth_estimateGas × 1.2 (a revert is reported decoded, naming the
    //! call), fees from the node, nonce = the pending count; waits for the receipt and --confirms blocks.
    //! A mined transaction that reverted is an error `<description> transaction <hash> reverted`.
    Result<SentTx> send(const chain::ContractCall& call);
    //! The same with the gas limit and / or the fees fixed by the caller.
    Result<SentTx> send(const chain::ContractCall& call, const SendOverrides& overrides);

  private:
    Result<void> connect();

    GlobalOptions options_;
    Environment env_;
    std::string command_;
    Printer printer_;
    std::optional<chain::ResolvedChain> chain_;
    std::unique_ptr<chain::JsonRpcClient> rpc_;
    std::unique_ptr<chain::EthClient> eth_;
    std::unique_ptr<chain::Hub> hub_;
    bool hub_resolved_{false};
    std::optional<Domain> domain_;
    std::optional<PrivateKey> key_;
};

}  // namespace wp::cli
