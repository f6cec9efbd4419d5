#include "context.hpp"

#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

#include <boost/json/parse.hpp>

#include <wp/chain/fees.hpp>
#include <wp/chain/hub.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/chain/signing.hpp>
#include <wp/core/hex.hpp>
#include <wp/crypto/keystore.hpp>
#include <wp/crypto/random.hpp>

namespace wp::cli {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

constexpr std::size_t kMaxProjectFile = 16u << 20;

Result<std::string> read_whole(const fs::path& p, std::string_view what) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) return make_error(Errc::kIo, std::string(what) + ": cannot read " + p.string() + ": " + ec.message());
    if (size > kMaxProjectFile)
        return make_error(Errc::kInvalidArgument, std::string(what) + ": " + p.string() + " is larger than 16 MiB");
    std::ifstream in(p, std::ios::binary);
    if (!in) return make_error(Errc::kIo, std::string(what) + ": cannot open " + p.string());
    std::ostringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

Result<void> write_atomic(const fs::path& p, std::string_view text) {
    std::error_code ec;
    if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
    const fs::path tmp = p.string() + ".tmp-" + std::to_string(::getpid());
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return make_error(Errc::kIo, "cannot write " + tmp.string());
        out.write(text.data(), static_cast<std::streamsize>(text.size()));
        out.flush();
        if (!out) {
            fs::remove(tmp, ec);
            return make_error(Errc::kIo, "cannot write " + tmp.string());
        }
    }
    fs::rename(tmp, p, ec);
    if (ec) {
        std::error_code ignored;
        fs::remove(tmp, ignored);
        return make_error(Errc::kIo, "cannot write " + p.string() + ": " + ec.message());
    }
    return {};
}

std::optional<std::string> tty_ask(std::string_view question, bool secret) {
    if (::isatty(STDIN_FILENO) == 0) return std::nullopt;
    std::cerr << question << (secret ? ": " : " ") << std::flush;
    termios old{};
    const bool restore = secret && ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (restore) {
        termios silent = old;
        silent.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSANOW, &silent);
    }
    std::string answer;
    const bool got = static_cast<bool>(std::getline(std::cin, answer));
    if (restore) {
        ::tcsetattr(STDIN_FILENO, TCSANOW, &old);
        std::cerr << '\n';
    }
    if (!got) return std::nullopt;
    return answer;
}

std::chrono::milliseconds env_ms(const char* name, std::chrono::milliseconds fallback) {
    const char* v = std::getenv(name);
    if (v == nullptr || *v == '\0') return fallback;
    char* end = nullptr;
    const unsigned long long n = std::strtoull(v, &end, 10);
    if (end == nullptr || *end != '\0' || n == 0) return fallback;
    return std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(n));
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// "UTC--<date>--<address>": the date part ("" when not that shape), the address part.
std::pair<std::string, std::string> split_wallet_name(const std::string& name) {
    const auto first = name.find("--");
    if (first == std::string::npos) return {};
    const auto second = name.find("--", first + 2);
    if (second == std::string::npos) return {};
    return {name.substr(first + 2, second - first - 2), name.substr(second + 2)};
}

// Wallet files of `dir`, newest first (the SDK sorts on the date part, descending).
Result<std::vector<std::string>> wallet_files(const fs::path& dir) {
    std::error_code ec;
    fs::directory_iterator it(dir, ec);
    if (ec)
        return make_error(Errc::kIo, "Missing keystore directory " + dir.string() +
                                         ", did you forget to run \"iexec wallet create\" ?");
    std::vector<std::string> names;
    for (const auto& entry : it) {
        const std::string name = entry.path().filename().string();
        if (!split_wallet_name(name).second.empty()) names.push_back(name);
    }
    std::stable_sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
        return split_wallet_name(a).first > split_wallet_name(b).first;
    });
    return names;
}

}  // namespace

Environment process_environment() {
    Environment env;
    std::error_code ec;
    env.cwd = fs::current_path(ec);
    const char* home = std::getenv("HOME");
    env.home = home != nullptr ? fs::path(home) : env.cwd;
    env.out = &std::cout;
    env.err = &std::cerr;
    env.tty = ::isatty(STDERR_FILENO) != 0;
    env.ask = tty_ask;
    env.rpc_timeout = env_ms("IEXEC_RPC_TIMEOUT_MS", env.rpc_timeout);
    env.receipt_timeout = env_ms("IEXEC_RECEIPT_TIMEOUT_MS", env.receipt_timeout);
    return env;
}

Context::Context(GlobalOptions options, Environment env, std::string command)
    : options_(std::move(options)), env_(std::move(env)), command_(std::move(command)) {
    printer_ = Printer{options_.raw, env_.out, env_.err, env_.tty && !options_.raw};
}

Context::~Context() = default;

Clock& Context::clock() const { return env_.clock != nullptr ? *env_.clock : system_clock(); }

fs::path Context::path(std::string_view name) const { return env_.cwd / fs::path(std::string(name)); }

bool Context::exists(std::string_view name) const {
    std::error_code ec;
    return fs::exists(path(name), ec);
}

Result<std::string> Context::read_text(std::string_view name) const {
    if (!exists(name))
        return make_error(Errc::kIo,
                          "Missing \"" + std::string(name) + "\" file, did you forget to run \"iexec init\"?");
    return read_whole(path(name), name);
}

Result<void> Context::write_text(std::string_view name, std::string_view text, bool exclusive) {
    if (exclusive && exists(name)) {
        WP_TRY(bool yes, confirm("\"" + std::string(name) + "\" already exists, replace it with new one?"));
        if (!yes) return make_error(Errc::kInvalidArgument, "\"" + std::string(name) + "\" not replaced");
    }
    return write_atomic(path(name), text);
}

Result<json::object> Context::iexec_json() const {
    WP_TRY(std::string text, read_text(kIexecFile));
    return parse_iexec_json(text);
}

Result<void> Context::save_iexec_json(const json::object& json) { return write_text(kIexecFile, json_stringify(json)); }

Result<chain::ChainsFile> Context::chains_file() const {
    WP_TRY(std::string text, read_text(kChainFile));
    return parse_chain_json(text);
}

Result<DeployedFile> Context::deployed() const {
    if (!exists(kDeployedFile)) return DeployedFile{};
    WP_TRY(std::string text, read_whole(path(kDeployedFile), kDeployedFile));
    return parse_deployed_json(text);
}

Result<void> Context::save_deployed(const DeployedFile& file) {
    return write_text(kDeployedFile, deployed_json_text(file));
}

Result<OrdersFile> Context::orders() const {
    if (!exists(kOrdersFile))
        return make_error(Errc::kIo, "Missing orders.json. You probably forgot to run \"iexec order sign\"");
    WP_TRY(std::string text, read_whole(path(kOrdersFile), kOrdersFile));
    return parse_orders_json(text);
}

Result<OrdersFile> Context::orders_or_empty() const {
    if (!exists(kOrdersFile)) return OrdersFile{};
    return orders();
}

Result<void> Context::save_orders(const OrdersFile& file) { return write_text(kOrdersFile, orders_json_text(file)); }

Result<const chain::ResolvedChain*> Context::chain() {
    if (!chain_) {
        WP_TRY(auto file, chains_file());
        std::optional<std::string_view> name;
        if (options_.chain) name = *options_.chain;
        WP_TRY(auto resolved, chain::resolve_chain(file, name));
        chain_ = std::move(resolved);
    }
    return &*chain_;
}

Result<std::string> Context::market_url() {
    WP_TRY(const chain::ResolvedChain* c, chain());
    if (!c->iexec_gateway || c->iexec_gateway->empty())
        return make_error(Errc::kInvalidArgument,
                          "Missing iexecGateway in \"chain.json\" for chain " + std::to_string(c->id));
    std::string url = *c->iexec_gateway;
    while (!url.empty() && url.back() == '/') url.pop_back();
    return url;
}

Result<void> Context::connect() {
    if (rpc_) return {};
    WP_TRY(const chain::ResolvedChain* c, chain());
    chain::JsonRpcOptions options;
    options.url = c->host;
    options.timeout = env_.rpc_timeout;
    options.retry.max_attempts = 2;
    options.retry.initial_backoff = std::chrono::milliseconds(200);
    auto rpc = std::make_unique<chain::JsonRpcClient>(std::move(options));
    auto eth = std::make_unique<chain::EthClient>(*rpc);
    printer_.start_spinner("Connecting to " + c->host);
    auto id = eth->chain_id();
    printer_.stop_spinner();
    if (!id) {
        if (id.error().kind == Errc::kRemote)
            return make_error(Errc::kRemote, "The JSON-RPC node at " + c->host + " (chain " + c->name +
                                                 ") refused eth_chainId: " + id.error().message);
        return make_error(id.error().kind, "Cannot reach the JSON-RPC node at " + c->host + " (chain " + c->name +
                                               "): " + id.error().message);
    }
    if (*id != c->id)
        return make_error(Errc::kInvalidArgument, "Chain id mismatch: chain.json says " + c->name + " is chain " +
                                                      std::to_string(c->id) + " but the node at " + c->host +
                                                      " is chain " + std::to_string(*id));
    rpc_ = std::move(rpc);
    eth_ = std::move(eth);
    printer_.info("Using chain " + c->name + " [chainId: " + std::to_string(c->id) + "]");
    return {};
}

Result<chain::JsonRpcClient*> Context::rpc() {
    WP_TRY_VOID(connect());
    return rpc_.get();
}

Result<chain::EthClient*> Context::eth() {
    WP_TRY_VOID(connect());
    return eth_.get();
}

Result<chain::Hub*> Context::hub() {
    if (hub_ && hub_resolved_) return hub_.get();
    WP_TRY_VOID(connect());
    const chain::ResolvedChain& c = *chain_;
    if (!c.hub)
        return make_error(Errc::kInvalidArgument,
                          "Missing hub address, no \"hub\" key in \"chain.json\" for chain " + std::to_string(c.id));
    hub_ = std::make_unique<chain::Hub>(*eth_, *c.hub);
    auto resolved = hub_->resolve_addresses();
    if (!resolved)
        return make_error(resolved.error().kind, "Cannot read the PoCo contracts of the hub " + c.hub->to_checksum() +
                                                     " on chain " + c.name + ": " + resolved.error().message);
    hub_resolved_ = true;
    return hub_.get();
}

Result<Domain> Context::domain() {
    if (domain_) return *domain_;
    WP_TRY(chain::Hub * h, hub());
    auto d = h->domain();
    if (!d) return make_error(d.error().to_error());
    domain_ = *d;
    return *domain_;
}

fs::path Context::keystore_dir() const {
    const std::string dir = options_.keystoredir.value_or("global");
    if (dir == "global") return env_.home / ".ethereum" / "keystore";
    if (dir == "local") return env_.cwd;
    const fs::path p(dir);
    return p.is_absolute() ? p : env_.cwd / p;
}

namespace {

// Where the wallet comes from: a keystore file, or wallet.json (unencrypted).
struct WalletSource {
    fs::path file;
    bool unencrypted{false};
    std::string display;  //!< the name the SDK prints ("Using wallet <name>")
};

Result<WalletSource> find_wallet(const GlobalOptions& options, const fs::path& cwd, const fs::path& dir) {
    if (options.wallet_file) {
        const fs::path p(*options.wallet_file);
        return WalletSource{p.is_absolute() ? p : dir / p, false, *options.wallet_file};
    }
    if (options.wallet_address) {
        WP_TRY(auto names, wallet_files(dir));
        std::string wanted = lower(*options.wallet_address);
        if (wanted.rfind("0x", 0) == 0) wanted = wanted.substr(2);
        for (const auto& name : names)
            if (lower(split_wallet_name(name).second) == wanted) return WalletSource{dir / name, false, name};
        return make_error(Errc::kIo,
                          "No wallet file matching address " + *options.wallet_address + " found in " + dir.string());
    }
    std::error_code ec;
    if (fs::exists(cwd / "wallet.json", ec)) return WalletSource{cwd / "wallet.json", true, "wallet.json"};
    auto names = wallet_files(dir);
    if (names && !names->empty()) return WalletSource{dir / names->front(), false, names->front()};
    return make_error(Errc::kIo,
                      "Missing option --wallet-address or --wallet-file and no wallet.json found in working directory");
}

}  // namespace

Result<Address> Context::wallet_address() {
    if (key_) return key_->address();
    WP_TRY(WalletSource source, find_wallet(options_, env_.cwd, keystore_dir()));
    WP_TRY(std::string text, read_whole(source.file, "wallet"));
    std::error_code ec;
    json::value v = json::parse(text, ec);
    if (!ec && v.is_object()) {
        if (const auto* a = v.get_object().if_contains("address"); a != nullptr && a->is_string()) {
            std::string s(a->get_string());
            if (s.rfind("0x", 0) != 0 && s.rfind("0X", 0) != 0) s = "0x" + s;
            if (auto address = Address::parse(lower(s))) return *address;
        }
    }
    WP_TRY(const PrivateKey* key, wallet());
    return key->address();
}

Result<const PrivateKey*> Context::wallet() {
    if (key_) return &*key_;
    WP_TRY(WalletSource source, find_wallet(options_, env_.cwd, keystore_dir()));
    WP_TRY(std::string text, read_whole(source.file, "wallet"));
    if (source.unencrypted) {
        std::error_code ec;
        json::value v = json::parse(text, ec);
        const json::value* pk = nullptr;
        if (!ec && v.is_object()) pk = v.get_object().if_contains("privateKey");
        if (pk == nullptr || !pk->is_string())
            return make_error(Errc::kDecoding, "wallet.json: missing \"privateKey\" string");
        auto key = PrivateKey::from_hex(pk->get_string());
        if (!key) return make_error(key.error().with_context("wallet.json: privateKey"));
        key_ = *key;
        return &*key_;
    }
    std::string password;
    if (options_.password) {
        password = *options_.password;
    } else {
        std::optional<std::string> answer;
        if (env_.ask)
            answer =
                env_.ask("Using wallet " + source.display + "\nPlease enter your password to unlock your wallet", true);
        if (!answer)
            return make_error(Errc::kInvalidArgument,
                              "Missing wallet password: use --password <password> (no "
                              "terminal to ask it for wallet " +
                                  source.display + ")");
        password = std::move(*answer);
    }
    printer_.start_spinner("Unlocking wallet " + source.display);
    auto key = keystore_decrypt(text, password);
    printer_.stop_spinner();
    if (!key) {
        if (key.error().code == Errc::kWrongPassword)
            return make_error(Errc::kWrongPassword, "incorrect password (wallet " + source.display + ")");
        return make_error(key.error().with_context("wallet " + source.display));
    }
    key_ = *key;
    return &*key_;
}

Result<bool> Context::confirm(std::string_view question) {
    if (options_.force || options_.raw) return true;
    std::optional<std::string> answer;
    if (env_.ask) answer = env_.ask(std::string(question) + " [y/N]", false);
    if (!answer)
        return make_error(Errc::kInvalidArgument, std::string(question) + " (no terminal to confirm: use --force)");
    const std::string a = lower(*answer);
    return a == "y" || a == "yes";
}

Result<SentTx> Context::send(const chain::ContractCall& call) { return send(call, SendOverrides{}); }

Result<SentTx> Context::send(const chain::ContractCall& call, const SendOverrides& overrides) {
    WP_TRY(chain::Hub * h, hub());
    WP_TRY(const PrivateKey* key, wallet());
    const Address from = key->address();
    chain::EthClient& eth = *eth_;
    printer_.start_spinner("Sending " + call.description);
    std::uint64_t limit = 0;
    if (overrides.gas_limit) {
        limit = *overrides.gas_limit;
    } else {
        auto gas = h->estimate_gas(call, from);
        if (!gas) {
            printer_.stop_spinner();
            return make_error(gas.error().to_error());
        }
        limit = *gas + *gas / 5;
    }
    auto nonce = eth.get_transaction_count(from, chain::BlockTag::pending());
    if (!nonce) return make_error(nonce.error().to_error().with_context(call.description));
    chain::FeeParams fees;
    if (overrides.fees) {
        fees = *overrides.fees;
    } else {
        WP_TRY(fees, chain::suggest_fees(eth));
    }
    chain::TxRequest request{call.to, call.data, call.value, limit, call.description};
    WP_TRY(auto tx, chain::sign_transaction(request, *key, chain_->id, *nonce, fees));
    auto sent = eth.send_raw_transaction(tx.raw);
    if (!sent) {
        printer_.stop_spinner();
        return make_error(sent.error().to_error().with_context(call.description));
    }
    auto receipt = eth.wait_for_receipt(tx.hash, env_.receipt_timeout, std::chrono::milliseconds(200));
    if (!receipt) {
        printer_.stop_spinner();
        return make_error(receipt.error().kind, call.description + " transaction " + to_hex(tx.hash) +
                                                    ": no receipt: " + receipt.error().message);
    }
    if (options_.confirms > 1) {
        const std::uint64_t target = receipt->block_number + options_.confirms - 1;
        const auto deadline = clock().now() + env_.receipt_timeout;
        for (;;) {
            auto head = eth.block_number();
            if (head && *head >= target) break;
            if (clock().now() >= deadline)
                return make_error(Errc::kTimeout, call.description + " transaction " + to_hex(tx.hash) +
                                                      ": not confirmed by " + std::to_string(options_.confirms) +
                                                      " blocks in time");
            clock().sleep_for(std::chrono::milliseconds(500));
        }
    }
    printer_.stop_spinner();
    if (!receipt->status)
        return make_error(Errc::kRemote, call.description + " transaction " + to_hex(tx.hash) + " reverted");
    return SentTx{tx.hash, std::move(*receipt)};
}

}  // namespace wp::cli
