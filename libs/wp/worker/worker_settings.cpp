#include "worker_settings.hpp"

#include <algorithm>
#include <cctype>

#include <wp/service/log_settings.hpp>

namespace wp::worker {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

service::SettingsSchema build_schema() {
    service::SettingsSchema s;
    s.section("worker", "a workerpool worker (iexec-pool worker): runs tasks the core scheduler assigns");
    s.add_string("worker.name", "worker", "name the scheduler shows for this worker (1..64 printable characters)");
    s.add_url("worker.scheduler.url", "", "base URL of the core scheduler (iexec-pool core)").set_required();
    s.add_bool("worker.scheduler.websocket", true, "receive assignments over the WebSocket (false: HTTP long-poll)");
    s.add_path("worker.wallet.keystore", "", "v3 keystore file of the worker's wallet").set_required();
    s.add_path("worker.wallet.passwordFile", "", "file holding the keystore password (its first line)").set_required();
    s.add_integer("worker.capacity.cpuSlots", 1, 1, 1024, "replicates run at once");
    s.add_byte_size("worker.capacity.memory", std::uint64_t{2} << 30, std::uint64_t{16} << 20, std::uint64_t{1} << 42,
                    "memory for apps, divided between the slots");
    s.add_bool("worker.capacity.gpu", false, "can run GPU-tagged tasks");
    s.add_string("worker.capacity.teeFrameworks", "",
                 "TEE frameworks offered, comma-separated among scone, gramine, tdx (TEE SIMULATION: no enclave)");
    s.add_duration("worker.capacity.maxTaskTime", seconds(0), milliseconds(0), std::chrono::hours(24 * 7),
                   "longest category time accepted (0: no limit)");
    s.add_path("worker.workDir", "worker-data", "bundles, task folders and the transaction journal");
    s.add_byte_size("worker.diskQuota", std::uint64_t{10} << 30, std::uint64_t{64} << 20, std::uint64_t{1} << 50,
                    "size the work folder may reach");
    s.add_byte_size("worker.maxOutput", std::uint64_t{100} << 20, 1024, std::uint64_t{1} << 40,
                    "largest output an app may write");
    s.add_enum("worker.runtime", "sandbox", {"sandbox", "docker"},
               "how apps run: sandbox (bubblewrap, app bundles) or docker (Docker Engine API, images)");
    s.add_path("worker.docker.socket", "/var/run/docker.sock", "the Docker Engine socket (runtime docker)");
    s.add_url("worker.chain.rpc", "", "JSON-RPC URL of the chain").set_required();
    s.add_address("worker.chain.hub", "", "PoCo hub address").set_required();
    s.add_bool("worker.chain.newHeads", true,
               "wake the receipt waits on new blocks (eth_subscribe newHeads over ws:// on the rpc's host and port; "
               "polling stays the fallback)");
    s.add_integer("worker.chain.gas.contribute", kDefaultContributeGas, 0, 30'000'000,
                  "gas limit of a contribute (no eth_estimateGas); 0: estimated");
    s.add_integer("worker.chain.gas.reveal", kDefaultRevealGas, 0, 30'000'000,
                  "gas limit of a reveal (no eth_estimateGas); 0: estimated");
    s.add_integer("worker.chain.gas.contributeAndFinalize", 0, 0, 30'000'000,
                  "gas limit of a contributeAndFinalize; 0: estimated (its gas grows with the result link and the "
                  "callback)");
    s.add_duration("worker.drainTimeout", std::chrono::minutes(5), milliseconds(0), std::chrono::hours(24),
                   "on SIGTERM: how long held replicates may finish before they are handed back");
    s.add_bool("worker.testing.faults.wrongResult", false,
               "TEST ONLY (dev chains 31337 / 65535): contribute a wrong result hash (loses the consensus)");
    s.add_bool("worker.testing.faults.skipReveal", false,
               "TEST ONLY (dev chains 31337 / 65535): ignore PLEASE_REVEAL (the reveal deadline passes)");
    service::add_log_settings(s, "worker");
    return s;
}

}  // namespace

const service::SettingsSchema& worker_settings_schema() {
    static const service::SettingsSchema schema = build_schema();
    return schema;
}

workerapi::WorkerRegistration WorkerConfig::registration() const {
    workerapi::WorkerRegistration r;
    r.name = name;
    r.version = "0.1.0";
    r.cpu_slots = cpu_slots;
    r.memory_mb = memory_bytes >> 20;
    r.gpu = gpu;
    r.tee_frameworks = tee_frameworks;
    r.max_task_seconds = static_cast<std::uint64_t>(max_task_time.count());
    return r;
}

Result<WorkerConfig> worker_config(const service::Settings& s) {
    WorkerConfig c;
    c.name = s.get_string("worker.name");
    if (c.name.empty() || c.name.size() > 64 ||
        !std::all_of(c.name.begin(), c.name.end(), [](char ch) { return ch > ' ' && ch < 127; })) {
        return make_error(Errc::kInvalidArgument, "worker.name: 1..64 printable ASCII characters without spaces");
    }
    c.scheduler_url = s.get_string("worker.scheduler.url");
    c.websocket = s.get_bool("worker.scheduler.websocket");
    c.keystore = s.get_string("worker.wallet.keystore");
    c.password_file = s.get_string("worker.wallet.passwordFile");
    c.cpu_slots = static_cast<std::uint32_t>(s.get_integer("worker.capacity.cpuSlots"));
    c.memory_bytes = s.get_byte_size("worker.capacity.memory");
    c.gpu = s.get_bool("worker.capacity.gpu");
    std::string_view list = s.get_string("worker.capacity.teeFrameworks");
    while (!list.empty()) {
        const auto comma = list.find(',');
        std::string_view item = list.substr(0, comma);
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
        while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
        if (item.empty()) continue;
        std::string lower(item);
        for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        auto f = workerapi::parse_tee_framework(lower);
        if (!f) {
            return make_error(Errc::kInvalidArgument, "worker.capacity.teeFrameworks: unknown framework \"" +
                                                          std::string(item) + "\" (scone, gramine, tdx)");
        }
        if (std::find(c.tee_frameworks.begin(), c.tee_frameworks.end(), *f) == c.tee_frameworks.end())
            c.tee_frameworks.push_back(*f);
    }
    std::sort(c.tee_frameworks.begin(), c.tee_frameworks.end());
    c.max_task_time = std::chrono::duration_cast<seconds>(s.get_duration("worker.capacity.maxTaskTime"));
    c.work_dir = s.get_string("worker.workDir");
    c.disk_quota_bytes = s.get_byte_size("worker.diskQuota");
    c.max_output_bytes = s.get_byte_size("worker.maxOutput");
    if (c.max_output_bytes >= c.disk_quota_bytes) {
        return make_error(Errc::kInvalidArgument, "worker.maxOutput: must be below worker.diskQuota");
    }
    c.runtime = s.get_string("worker.runtime");
    c.docker_socket = s.get_string("worker.docker.socket");
    c.chain_rpc = s.get_string("worker.chain.rpc");
    c.hub = s.get_address("worker.chain.hub");
    c.new_heads = s.get_bool("worker.chain.newHeads");
    c.gas_contribute = static_cast<std::uint64_t>(s.get_integer("worker.chain.gas.contribute"));
    c.gas_reveal = static_cast<std::uint64_t>(s.get_integer("worker.chain.gas.reveal"));
    c.gas_contribute_and_finalize = static_cast<std::uint64_t>(s.get_integer("worker.chain.gas.contributeAndFinalize"));
    c.drain_timeout = s.get_duration("worker.drainTimeout");
    c.fault_wrong_result = s.get_bool("worker.testing.faults.wrongResult");
    c.fault_skip_reveal = s.get_bool("worker.testing.faults.skipReveal");
    return c;
}

}  // namespace wp::worker
