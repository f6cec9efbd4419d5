#pragma once
// A local anvil node as a child process (shared/reference/local-chain.md §3): the command line, start with a
// readiness check, and a clean stop. The platform binary is run directly (not the npm wrapper), so the pid is
// anvil's own and stopping it is reliable.

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <wp/core/result.hpp>
#include <wp/sys/process.hpp>

namespace wp::devnet {

//! The standard hardhat / anvil test mnemonic (derivation path m/44'/60'/0'/0/i).
inline constexpr std::string_view kAnvilMnemonic = "test test test test test test test test test test test junk";

struct AnvilOptions {
    std::string binary;             //!< path of the anvil binary (required)
    std::string host{"127.0.0.1"};  //!< loopback only
    std::uint16_t port{8545};
    std::uint64_t chain_id{31337};
    unsigned accounts{10};
    std::string balance{"1000000"};  //!< ETH per dev account
    std::string mnemonic{kAnvilMnemonic};
    //! When set: created if missing; anvil's stdout and stderr go to <data_dir>/anvil.log. Empty: discarded.
    std::filesystem::path data_dir{};
    std::vector<std::string> extra_args{};  //!< appended as is (e.g. "--dump-state", file)
    std::chrono::milliseconds ready_timeout{std::chrono::seconds(15)};
};

//! The argv: {binary, --host, H, --port, P, --chain-id, C, --accounts, N, --balance, B, --mnemonic, M, extra...}.
std::vector<std::string> anvil_argv(const AnvilOptions& options);

//! A running anvil. Moving is allowed; the destructor stops a node that is still running.
class AnvilNode {
  public:
    //! Spawns anvil and waits until its TCP port accepts connections. Errors: Errc::kInvalidArgument (no binary),
    //! Errc::kIo (spawn failure, data dir not creatable, anvil exited early — e.g. the port is taken; the message
    //! includes the end of the log when there is one), Errc::kTimeout (not ready within ready_timeout).
    static Result<AnvilNode> start(const AnvilOptions& options);

    AnvilNode(AnvilNode&&) noexcept = default;
    AnvilNode& operator=(AnvilNode&&) noexcept = default;
    ~AnvilNode();

    //! "http://<host>:<port>".
    std::string url() const;
    std::uint16_t port() const { return options_.port; }
    const AnvilOptions& options() const { return options_; }
    //! <data_dir>/anvil.log, or empty when there is no data dir.
    std::filesystem::path log_path() const;
    sys::Process& process() { return process_; }

    //! Sends SIGINT (anvil's clean shutdown), waits up to `grace`, then SIGTERM / SIGKILL. Returns how it ended;
    //! a node that already ended returns its status.
    Result<sys::ExitStatus> stop(std::chrono::milliseconds grace = std::chrono::seconds(5));

  private:
    AnvilNode(AnvilOptions options, sys::Process process)
        : options_(std::move(options)), process_(std::move(process)) {}
    AnvilOptions options_;
    sys::Process process_;
};

}  // namespace wp::devnet
