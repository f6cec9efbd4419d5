#include "devnet.hpp"

#include <fstream>
#include <system_error>

#include <wp/chain/chain_config.hpp>
#include <wp/chain/rpc.hpp>

#include "dev_accounts.hpp"

namespace wp::devnet {

std::string sdk_chain_json(std::uint64_t chain_id, std::string_view host, const Address& hub) {
    return chain::to_json_text(chain::local_chains_file("dev", chain_id, std::string(host), hub));
}

Result<void> write_file_atomically(const std::filesystem::path& path, std::string_view text) {
    std::error_code ec;
    if (path.has_parent_path()) {
        std::filesystem::create_directories(path.parent_path(), ec);
        if (ec) return make_error(Errc::kIo, "cannot create " + path.parent_path().string() + ": " + ec.message());
    }
    std::filesystem::path tmp = path;
    tmp += ".tmp";
    {
        std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
        if (!file) return make_error(Errc::kIo, "cannot write " + tmp.string());
        file.write(text.data(), static_cast<std::streamsize>(text.size()));
        if (!file.flush()) return make_error(Errc::kIo, "cannot write " + tmp.string());
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec)
        return make_error(Errc::kIo, "cannot rename " + tmp.string() + " to " + path.string() + ": " + ec.message());
    return {};
}

Result<Devnet> start_devnet(const DevnetOptions& options, const LogLine& log) {
    auto prefixed = [](std::string_view step, const Error& e) { return e.with_context(step); };
    auto artifacts = load_poco_artifacts(options.poco_dir);
    if (!artifacts) return tl::unexpected(prefixed("PoCo package", artifacts.error()));
    AnvilOptions anvil = options.anvil;
    bool resume = false;
    if (!options.state_file.empty()) {
        std::error_code ec;
        resume = std::filesystem::file_size(options.state_file, ec) > 0 && !ec;
        if (options.state_file.has_parent_path()) {
            std::filesystem::create_directories(options.state_file.parent_path(), ec);
            if (ec)
                return make_error(Errc::kIo, "state: cannot create " + options.state_file.parent_path().string() +
                                                 ": " + ec.message());
        }
        anvil.extra_args.insert(anvil.extra_args.end(), {"--state", options.state_file.string(), "--state-interval",
                                                         std::to_string(options.state_interval.count())});
    }
    auto node = AnvilNode::start(anvil);
    if (!node) return tl::unexpected(node.error());
    if (log) log("anvil " + std::to_string(node->process().pid()) + " listening on " + node->url());

    chain::JsonRpcOptions rpc_options;
    rpc_options.url = node->url();
    chain::JsonRpcClient rpc(rpc_options);
    const auto keys = dev_keys(kDevAccountCount);

    if (resume) {
        chain::EthClient eth(rpc);
        auto chain_id = eth.chain_id();
        if (!chain_id) return tl::unexpected(prefixed("state", chain_id.error()));
        auto plan = plan_poco_deployment(*artifacts, {.deployer = keys[0].address(), .chain_id = *chain_id});
        if (!plan) return tl::unexpected(prefixed("state", plan.error()));
        if (auto ok = verify_poco_deployment(eth, *plan, keys[0].address(), *chain_id); !ok)
            return make_error(Errc::kInvalidArgument, "state: " + options.state_file.string() +
                                                          " does not hold the devnet's PoCo deployment (" +
                                                          ok.error().message + "); remove it to start a fresh chain");
        auto block = eth.block_number();
        if (!block) return tl::unexpected(prefixed("state", block.error()));
        if (log)
            log("resumed the chain saved in " + options.state_file.string() + " (block " + std::to_string(*block) +
                "): PoCo found at the planned addresses, nothing deployed");
        PocoDeployment deployment;
        deployment.info = deployment_info_from_plan(*plan, *chain_id, node->url());
        deployment.plan = std::move(*plan);
        deployment.chain_id = *chain_id;
        DeploymentInfo info = deployment.info;
        info.accounts = dev_accounts(std::min<std::size_t>(options.anvil.accounts, kDevAccountCount));
        Devnet out{std::move(*node), std::move(deployment), std::move(info), {}, {}};
        out.resumed = true;
        return out;
    }

    const auto t0 = std::chrono::steady_clock::now();
    auto deployment = deploy_poco(rpc, *artifacts, keys[0], options.deploy, log);
    if (!deployment) return tl::unexpected(prefixed("deploy", deployment.error()));
    const auto t1 = std::chrono::steady_clock::now();

    std::vector<PrivateKey> funded;
    for (std::size_t i = 1; i <= options.funded_accounts && i < keys.size(); ++i) funded.push_back(keys[i]);
    auto funding =
        fund_accounts(rpc, deployment->plan.rlc, deployment->plan.hub, keys[0], funded, options.funding, log);
    if (!funding) return tl::unexpected(prefixed("funding", funding.error()));
    const auto t2 = std::chrono::steady_clock::now();

    DeploymentInfo info = deployment->info;
    info.accounts = dev_accounts(std::min<std::size_t>(options.anvil.accounts, kDevAccountCount));
    return Devnet{std::move(*node), std::move(*deployment), std::move(info),
                  std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0),
                  std::chrono::duration_cast<std::chrono::milliseconds>(t2 - t1)};
}

}  // namespace wp::devnet
