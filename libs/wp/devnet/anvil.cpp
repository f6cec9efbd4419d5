#include "anvil.hpp"

#include <csignal>
#include <system_error>

#include <wp/sys/tcp.hpp>

namespace wp::devnet {

std::vector<std::string> anvil_argv(const AnvilOptions& options) {
    std::vector<std::string> argv{options.binary,
                                  "--host",
                                  options.host,
                                  "--port",
                                  std::to_string(options.port),
                                  "--chain-id",
                                  std::to_string(options.chain_id),
                                  "--accounts",
                                  std::to_string(options.accounts),
                                  "--balance",
                                  options.balance,
                                  "--mnemonic",
                                  options.mnemonic};
    argv.insert(argv.end(), options.extra_args.begin(), options.extra_args.end());
    return argv;
}

namespace {

std::string log_tail(const std::filesystem::path& log) {
    if (log.empty()) return {};
    auto text = sys::read_text_file(log.string());
    if (!text || text->empty()) return {};
    constexpr std::size_t kTail = 600;
    std::string tail = text->size() > kTail ? text->substr(text->size() - kTail) : *text;
    while (!tail.empty() && (tail.back() == '\n' || tail.back() == '\r')) tail.pop_back();
    return "; anvil.log ends with: " + tail;
}

}  // namespace

Result<AnvilNode> AnvilNode::start(const AnvilOptions& options) {
    if (options.binary.empty()) return make_error(Errc::kInvalidArgument, "anvil: no binary given");
    sys::SpawnOptions spawn;
    spawn.argv = anvil_argv(options);
    spawn.die_with_parent = true;  // anvil must not outlive a SIGKILLed iexec-pool or test
    std::filesystem::path log;
    if (!options.data_dir.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(options.data_dir, ec);
        if (ec) return make_error(Errc::kIo, "anvil: cannot create " + options.data_dir.string() + ": " + ec.message());
        log = options.data_dir / "anvil.log";
        spawn.stdout_path = log.string();
        spawn.stderr_path = log.string();
    }
    WP_TRY(auto process, sys::Process::spawn(spawn));
    const auto deadline = std::chrono::steady_clock::now() + options.ready_timeout;
    for (;;) {
        if (sys::wait_for_tcp_port(options.host, options.port, std::chrono::milliseconds(100))) break;
        WP_TRY(auto status, process.try_wait());
        if (status) {
            return make_error(Errc::kIo, "anvil exited before listening on port " + std::to_string(options.port) +
                                             " (" + status->to_string() + ")" + log_tail(log));
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            (void)process.terminate();
            return make_error(Errc::kTimeout, "anvil: port " + std::to_string(options.port) + " not ready after " +
                                                  std::to_string(options.ready_timeout.count()) + " ms" +
                                                  log_tail(log));
        }
    }
    return AnvilNode(options, std::move(process));
}

AnvilNode::~AnvilNode() {
    if (process_.pid() != 0 && process_.running()) (void)stop(std::chrono::seconds(2));
}

std::string AnvilNode::url() const { return "http://" + options_.host + ":" + std::to_string(options_.port); }

std::filesystem::path AnvilNode::log_path() const {
    return options_.data_dir.empty() ? std::filesystem::path{} : options_.data_dir / "anvil.log";
}

Result<sys::ExitStatus> AnvilNode::stop(std::chrono::milliseconds grace) {
    if (process_.running()) {
        if (process_.kill(SIGINT)) {
            auto status = process_.wait_for(grace);
            if (status) return status;
        }
    }
    return process_.terminate(std::chrono::seconds(2));
}

}  // namespace wp::devnet
