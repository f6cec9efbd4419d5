#include "replicate_runner.hpp"

#include <sys/stat.h>

#include <system_error>

#include <wp/core/hex.hpp>

#include "args.hpp"
#include "result_zip.hpp"

namespace wp::worker {

namespace fs = std::filesystem;

namespace {

Result<void> make_dir(const fs::path& p) {
    std::error_code ec;
    fs::create_directories(p, ec);
    if (ec) return make_error(Errc::kIo, "work folder: create " + p.string() + ": " + ec.message());
    fs::permissions(p,
                    fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                        fs::perms::others_exec,
                    ec);
    return {};
}

std::uint64_t tree_size(const fs::path& dir) {
    std::uint64_t total = 0;
    std::error_code ec;
    for (fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, ec), end;
         !ec && it != end; it.increment(ec)) {
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) == 0 && S_ISREG(st.st_mode))
            total += static_cast<std::uint64_t>(st.st_blocks) * 512;
    }
    return total;
}

}  // namespace

ReplicateRunner::ReplicateRunner(RunnerOptions options, Address worker, std::shared_ptr<AppRuntime> runtime)
    : options_(std::move(options)),
      worker_(worker),
      runtime_(std::move(runtime)),
      bundles_(options_.work_dir / "bundles", fetcher_, options_.bundle) {}

fs::path ReplicateRunner::task_dir(const Bytes32& task_id) const {
    return options_.work_dir / "tasks" / to_hex(task_id.view());
}

std::uint64_t ReplicateRunner::disk_usage() const { return tree_size(options_.work_dir); }

Result<void> ReplicateRunner::cleanup(const Bytes32& task_id) {
    std::error_code ec;
    fs::remove_all(task_dir(task_id), ec);
    if (ec) return make_error(Errc::kIo, "cleanup " + task_dir(task_id).string() + ": " + ec.message());
    return {};
}

std::vector<Bytes32> ReplicateRunner::results_on_disk() const {
    std::vector<Bytes32> out;
    std::error_code ec;
    for (fs::directory_iterator it(options_.work_dir / "tasks", ec), end; !ec && it != end; it.increment(ec)) {
        auto id = bytes32_from_hex(it->path().filename().string());
        if (id && fs::is_regular_file(it->path() / "output/iexec_out.zip", ec)) out.push_back(*id);
    }
    return out;
}

Result<void> ReplicateRunner::reserve_disk(std::uint64_t needed) {
    const std::uint64_t quota = options_.disk_quota_bytes;
    auto fits = [&](std::uint64_t used) { return used < quota && quota - used >= needed; };
    std::lock_guard lock(quota_mu_);
    if (runs_since_measure_ >= kQuotaRemeasureRuns || !fits(usage_bound_)) {
        usage_bound_ = disk_usage();
        runs_since_measure_ = 0;
        if (!fits(usage_bound_))
            return make_error(Errc::kTooLarge, "work folder: " + std::to_string(usage_bound_) + " bytes used, quota " +
                                                   std::to_string(quota) + ", this replicate needs up to " +
                                                   std::to_string(needed));
    }
    usage_bound_ += needed;
    ++runs_since_measure_;
    return {};
}

Result<ReplicateResult> ReplicateRunner::run(const ReplicateRequest& req, const std::atomic<bool>& cancel,
                                             const SimulatedEnclave* enclave) {
    WP_TRY_VOID(make_dir(options_.work_dir));
    WP_TRY_VOID(reserve_disk(req.max_output_bytes + (req.dataset_url ? options_.max_dataset_bytes : 0)));

    const fs::path dir = task_dir(req.task.task_id);
    const fs::path in = dir / "input";
    const fs::path output = dir / "output";
    const fs::path out = output / "iexec_out";
    std::error_code ec;
    fs::remove_all(dir, ec);  // a leftover of an earlier attempt is redone from scratch
    WP_TRY_VOID(make_dir(in));
    WP_TRY_VOID(make_dir(out));

    ReplicateResult result;
    result.tee = tee_framework(req.tag);
    std::shared_ptr<AppRuntime> runtime = runtime_;
    if (result.tee != TeeFramework::kNone) runtime = std::make_shared<TeeSimRuntime>(runtime_);
    result.runtime = runtime->name();

    std::optional<FailureCause> failure;
    std::string detail;
    auto fail = [&](FailureCause cause, std::string why) {
        failure = cause;
        detail = std::move(why);
    };
    std::optional<Bundle> bundle;
    if (req.image) {
        // the runtime resolves the image itself
    } else if (auto b = bundles_.get(req.app_url, req.app_checksum); b) {
        bundle = std::move(*b);
    } else {
        fail(
            b.error().code == Errc::kInvalidChecksum ? FailureCause::kAppBadChecksum : FailureCause::kAppDownloadFailed,
            b.error().message);
    }
    if (!failure && req.task.dataset && req.dataset_url) {
        auto d = fetch_dataset(fetcher_, *req.dataset_url, *req.task.dataset, req.dataset_checksum, in,
                               options_.max_dataset_bytes);
        if (!d)
            fail(d.error().code == Errc::kInvalidChecksum ? FailureCause::kDatasetBadChecksum
                                                          : FailureCause::kDatasetDownloadFailed,
                 d.error().message);
    }
    if (!failure && !req.task.input_files.empty()) {
        auto f = fetch_input_files(fetcher_, req.task.input_files, in, options_.max_input_file_bytes);
        if (!f) fail(FailureCause::kInputFilesDownloadFailed, f.error().message);
    }
    std::vector<std::string> args;
    if (!failure) {
        auto a = split_args(req.iexec_args);
        if (a) {
            args = std::move(*a);
        } else {
            fail(FailureCause::kAppFailed, a.error().message);
        }
    }
    if (!failure) {
        RunSpec spec;
        spec.app = req.image ? *req.image : bundle->dir.string();
        spec.args = std::move(args);
        spec.env = app_environment(req.task, spec.in_mount, spec.out_mount);
        spec.in_dir = in;
        spec.out_dir = out;
        spec.max_time = req.max_time;
        spec.memory_bytes = req.memory_bytes;
        spec.max_output_bytes = req.max_output_bytes;
        spec.max_pids = req.max_pids;
        WP_TRY(auto outcome, runtime->run(spec, cancel));
        if (outcome.canceled) return make_error(Errc::kTimeout, "replicate canceled");
        if (outcome.timed_out) {
            fail(FailureCause::kAppTimeout, "the app ran past " + std::to_string(req.max_time.count()) + " ms");
        } else if (outcome.output_too_large) {
            fail(FailureCause::kOutputTooLarge,
                 "the app wrote more than " + std::to_string(req.max_output_bytes) + " bytes");
        } else if (!outcome.success()) {
            fail(FailureCause::kAppFailed, outcome.out_of_memory
                                               ? "the app was killed for memory"
                                               : "the app exited with " + std::to_string(outcome.exit_code));
        }
        result.outcome = std::move(outcome);
    }

    WP_TRY(auto collected, collect_result(out, req.callback_deal, failure));
    result.digest = collected.digest;
    result.callback_data = std::move(collected.callback_data);
    result.failure = collected.failure;
    result.failure_detail = failure ? detail : collected.failure_detail;

    result.zip_path = output / "iexec_out.zip";
    if (auto z = zip_folder(out, result.zip_path); !z) {
        if (z.error().code != Errc::kInvalidArgument) return make_error(z.error());
        // A link or special file elsewhere in the output: the output is not archivable, so it is invalid.
        WP_TRY(auto again, collect_result(out, req.callback_deal, FailureCause::kComputedJsonInvalid));
        result.digest = again.digest;
        result.callback_data.reset();
        result.failure = again.failure;
        result.failure_detail = z.error().message;
        WP_TRY_VOID(zip_folder(out, result.zip_path));
    }
    result.computed_json_path = output / "computed.json";
    fs::copy_file(out / "computed.json", result.computed_json_path, fs::copy_options::overwrite_existing, ec);
    if (ec) return make_error(Errc::kIo, "copy computed.json: " + ec.message());

    const auto c = make_contribution(worker_, req.task.task_id, result.digest);
    result.result_hash = c.result_hash;
    result.result_seal = c.result_seal;
    if (result.tee != TeeFramework::kNone) {
        const SimulatedEnclave own = enclave ? *enclave : SimulatedEnclave::generate();
        result.enclave_challenge = own.challenge();
        result.enclave_signature = own.sign_result(c.result_hash, c.result_seal);
    }
    return result;
}

}  // namespace wp::worker
