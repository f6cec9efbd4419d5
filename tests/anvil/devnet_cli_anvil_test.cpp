// Smoke test of the binary: `iexec-pool devnet|chain --port <free> --info-file <tmp>` in the background, wait for the
// info file, check it, SIGINT, clean exit. `chain` (up's chain as its own process) also mines a block per second
// with no traffic.
#include <csignal>
#include <filesystem>
#include <thread>

#include <gtest/gtest.h>

#include <wp/chain/eth.hpp>
#include <wp/chain/rpc.hpp>
#include <wp/deploy/deployment_info.hpp>
#include <wp/sys/process.hpp>
#include <wp/sys/tcp.hpp>

namespace wp {
namespace {

class DevnetCli : public ::testing::TestWithParam<const char*> {};

TEST_P(DevnetCli, StartsWritesTheInfoFileAndStopsOnSigint) {
    const std::string command = GetParam();
    auto port = sys::find_free_tcp_port();
    ASSERT_TRUE(port);
    const auto dir = std::filesystem::temp_directory_path() / ("wp-devnet-cli-" + std::to_string(*port));
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    const auto info_file = dir / "info.json";
    sys::SpawnOptions spawn;
    spawn.argv = {WP_IEXEC_POOL_BIN, command,
                  "--port",          std::to_string(*port),
                  "--info-file",     info_file.string(),
                  "--data-dir",      (dir / "data").string(),
                  "--anvil",         WP_ANVIL_BIN,
                  "--poco-package",  WP_POCO_DIR};
    spawn.stdout_path = (dir / "out.log").string();
    spawn.stderr_path = (dir / "err.log").string();
    auto process = sys::Process::spawn(spawn);
    ASSERT_TRUE(process) << process.error().message;

    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!std::filesystem::exists(info_file) && std::chrono::steady_clock::now() < deadline) {
        auto ended = process->try_wait();
        ASSERT_TRUE(ended && !*ended) << "iexec-pool " << command << " ended early: "
                                      << sys::read_text_file((dir / "err.log").string()).value_or("");
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(std::filesystem::exists(info_file)) << sys::read_text_file((dir / "out.log").string()).value_or("");

    auto text = sys::read_text_file(info_file.string());
    ASSERT_TRUE(text);
    auto info = deployment_info_from_json_text(*text);
    ASSERT_TRUE(info) << info.error().message << "\n" << *text;
    EXPECT_EQ(info->chain_id, 31337u);
    EXPECT_EQ(info->rpc, "http://127.0.0.1:" + std::to_string(*port));
    EXPECT_EQ(info->hub.to_checksum(), "0x5FC8d32690cc91D4c39d9d3abcBD16989F875707");
    EXPECT_EQ(info->token.to_checksum(), "0x5FbDB2315678afecb367f032d93F642f64180aa3");
    EXPECT_EQ(info->accounts.size(), 10u);

    // Blocks without traffic: `chain` mines one per second too (interval + mixed mining), `devnet` only on demand.
    chain::JsonRpcOptions rpc_options;
    rpc_options.url = info->rpc;
    chain::JsonRpcClient rpc(rpc_options);
    chain::EthClient eth(rpc);
    const auto before = eth.block_number();
    ASSERT_TRUE(before);
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    const auto after = eth.block_number();
    ASSERT_TRUE(after);
    if (command == "chain") {
        EXPECT_GE(*after, *before + 1) << "no block mined in 2.5 s without traffic";
    } else {
        EXPECT_EQ(*after, *before) << "devnet automines on transactions only";
    }

    ASSERT_TRUE(process->kill(SIGINT));
    auto status = process->wait_for(std::chrono::seconds(10));
    ASSERT_TRUE(status) << status.error().message;
    EXPECT_TRUE(status->success()) << status->to_string();
    auto out = sys::read_text_file((dir / "out.log").string()).value_or("");
    EXPECT_NE(out.find("deploying PoCo: 44/44"), std::string::npos) << out;
    EXPECT_NE(out.find("\"hub\": \"0x5FC8d32690cc91D4c39d9d3abcBD16989F875707\""), std::string::npos) << out;
    EXPECT_NE(out.find("anvil stopped"), std::string::npos) << out;
    // The port is free again: anvil is gone.
    EXPECT_FALSE(sys::wait_for_tcp_port("127.0.0.1", *port, std::chrono::milliseconds(200)));
    std::filesystem::remove_all(dir);
}

INSTANTIATE_TEST_SUITE_P(Commands, DevnetCli, ::testing::Values("devnet", "chain"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

}  // namespace
}  // namespace wp
