#include "messages.hpp"

#include <algorithm>
#include <array>
#include <set>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <wp/core/hex.hpp>

namespace wp::workerapi {
namespace {

namespace json = boost::json;

// ---- Enum tables
// ------------------------------------------------------------------------------------------------------

constexpr std::array<std::string_view, kReplicateStatusCount> kStatusNames = {
    "CREATED",
    "STARTING",
    "START_FAILED",
    "STARTED",
    "APP_DOWNLOADING",
    "APP_DOWNLOAD_FAILED",
    "APP_DOWNLOADED",
    "DATA_DOWNLOADING",
    "DATA_DOWNLOAD_FAILED",
    "DATA_DOWNLOADED",
    "COMPUTING",
    "COMPUTE_FAILED",
    "COMPUTED",
    "CONTRIBUTING",
    "CONTRIBUTE_FAILED",
    "CONTRIBUTED",
    "REVEALING",
    "REVEAL_FAILED",
    "REVEALED",
    "RESULT_UPLOAD_REQUESTED",
    "RESULT_UPLOADING",
    "RESULT_UPLOAD_FAILED",
    "RESULT_UPLOADED",
    "CONTRIBUTE_AND_FINALIZE_ONGOING",
    "CONTRIBUTE_AND_FINALIZE_FAILED",
    "CONTRIBUTE_AND_FINALIZE_DONE",
    "COMPLETING",
    "COMPLETE_FAILED",
    "COMPLETED",
    "FAILED",
    "ABORTED",
    "RECOVERING",
    "WORKER_LOST",
};

constexpr std::array<std::string_view, 12> kActionNames = {
    "PLEASE_CONTINUE",      "PLEASE_WAIT",    "PLEASE_START",      "PLEASE_DOWNLOAD_APP",
    "PLEASE_DOWNLOAD_DATA", "PLEASE_COMPUTE", "PLEASE_CONTRIBUTE", "PLEASE_CONTRIBUTE_AND_FINALIZE",
    "PLEASE_REVEAL",        "PLEASE_UPLOAD",  "PLEASE_COMPLETE",   "PLEASE_ABORT",
};

constexpr std::array<std::string_view, 7> kAbortNames = {
    "UNKNOWN", "CONTRIBUTION_TIMEOUT", "CONSENSUS_REACHED", "FINAL_DEADLINE", "TASK_FAILED", "REPLACED", "REFUSED",
};

constexpr std::array<std::string_view, 18> kCauseNames = {
    "UNKNOWN",
    "APP_IMAGE_DOWNLOAD_FAILED",
    "DATASET_FILE_DOWNLOAD_FAILED",
    "DATASET_FILE_BAD_CHECKSUM",
    "INPUT_FILES_DOWNLOAD_FAILED",
    "APP_COMPUTE_FAILED",
    "COMPUTE_TIMEOUT",
    "DETERMINISM_HASH_NOT_FOUND",
    "RESULT_TOO_LARGE",
    "STAKE_TOO_LOW",
    "CHAIN_UNREACHABLE",
    "TASK_NOT_ACTIVE",
    "CONTRIBUTION_DEADLINE_REACHED",
    "ALREADY_CONTRIBUTED",
    "TRANSACTION_FAILED",
    "TEE_FAILED",
    "UPLOAD_FAILED",
    "ABORTED_BY_SCHEDULER",
};

template <class E, std::size_t N>
Result<E> enum_from_name(const std::array<std::string_view, N>& names, std::string_view s, std::string_view what) {
    for (std::size_t i = 0; i < N; ++i)
        if (names[i] == s) return static_cast<E>(i);
    return make_error(Errc::kInvalidArgument,
                      "unknown " + std::string(what) + " \"" + std::string(s.substr(0, 64)) + "\"");
}

template <class E, std::size_t N>
std::string_view enum_name(const std::array<std::string_view, N>& names, E v) noexcept {
    const auto i = static_cast<std::size_t>(v);
    return i < N ? names[i] : std::string_view("INVALID");
}

// ---- Strict object reader
// ---------------------------------------------------------------------------------------------

Error at(const std::string& path, Error e) { return e.with_context(path); }

bool printable_ascii_no_space(std::string_view s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

class Reader {
  public:
    static Result<Reader> open(const json::value& v, std::string path) {
        const json::object* o = v.if_object();
        if (o == nullptr) return make_error(Errc::kInvalidArgument, path + ": expected an object");
        return Reader(*o, std::move(path));
    }

    const std::string& path() const { return path_; }
    std::string sub(std::string_view key) const { return path_ + "." + std::string(key); }

    const json::value* find(std::string_view key) {
        seen_.insert(std::string(key));
        return o_->if_contains(key);
    }

    Result<const json::value*> required(std::string_view key) {
        const json::value* v = find(key);
        if (v == nullptr) return make_error(Errc::kInvalidArgument, sub(key) + ": missing");
        return v;
    }

    Result<std::string> string_of(const json::value& v, std::string_view key, std::size_t max_bytes) const {
        const json::string* s = v.if_string();
        if (s == nullptr) return make_error(Errc::kInvalidArgument, sub(key) + ": expected a string");
        if (s->size() > max_bytes)
            return make_error(Errc::kInvalidArgument,
                              sub(key) + ": longer than " + std::to_string(max_bytes) + " bytes");
        return std::string(s->data(), s->size());
    }
    Result<std::string> str(std::string_view key, std::size_t max_bytes = kMaxTextBytes) {
        WP_TRY(const json::value* v, required(key));
        return string_of(*v, key, max_bytes);
    }
    Result<std::optional<std::string>> opt_str(std::string_view key, std::size_t max_bytes = kMaxTextBytes) {
        const json::value* v = find(key);
        if (v == nullptr) return std::optional<std::string>{};
        WP_TRY(std::string s, string_of(*v, key, max_bytes));
        return std::optional<std::string>(std::move(s));
    }
    //! 1..64 printable ASCII characters without space.
    Result<std::string> token(std::string_view key) {
        WP_TRY(std::string s, str(key, 64));
        if (s.empty() || !printable_ascii_no_space(s))
            return make_error(Errc::kInvalidArgument, sub(key) + ": must be 1 to 64 printable ASCII characters");
        return s;
    }

    Result<std::uint64_t> uint_of(const json::value& v, std::string_view key) const {
        std::uint64_t out = 0;
        if (const auto* u = v.if_uint64()) {
            out = *u;
        } else if (const auto* i = v.if_int64()) {
            if (*i < 0) return make_error(Errc::kInvalidArgument, sub(key) + ": must not be negative");
            out = static_cast<std::uint64_t>(*i);
        } else {
            return make_error(Errc::kInvalidArgument, sub(key) + ": expected an unsigned integer");
        }
        if (out > kMaxJsonInteger) return make_error(Errc::kInvalidArgument, sub(key) + ": larger than 2^53 - 1");
        return out;
    }
    Result<std::uint64_t> uint(std::string_view key) {
        WP_TRY(const json::value* v, required(key));
        return uint_of(*v, key);
    }
    Result<std::optional<std::uint64_t>> opt_uint(std::string_view key) {
        const json::value* v = find(key);
        if (v == nullptr) return std::optional<std::uint64_t>{};
        WP_TRY(std::uint64_t u, uint_of(*v, key));
        return std::optional<std::uint64_t>(u);
    }
    Result<std::optional<std::int64_t>> opt_int(std::string_view key) {
        const json::value* v = find(key);
        if (v == nullptr) return std::optional<std::int64_t>{};
        if (const auto* i = v->if_int64()) return std::optional<std::int64_t>(*i);
        if (const auto* u = v->if_uint64(); u != nullptr && *u <= static_cast<std::uint64_t>(INT64_MAX))
            return std::optional<std::int64_t>(static_cast<std::int64_t>(*u));
        return make_error(Errc::kInvalidArgument, sub(key) + ": expected an integer");
    }
    Result<bool> boolean(std::string_view key) {
        WP_TRY(const json::value* v, required(key));
        const bool* b = v->if_bool();
        if (b == nullptr) return make_error(Errc::kInvalidArgument, sub(key) + ": expected a boolean");
        return *b;
    }

    Result<Address> address(std::string_view key) {
        WP_TRY(std::string s, str(key, 64));
        auto a = Address::parse(s);
        if (!a) return make_error(at(sub(key), a.error()));
        return *a;
    }
    Result<Bytes32> b32_of(const json::value& v, std::string_view key) const {
        WP_TRY(std::string s, string_of(v, key, 80));
        auto b = bytes32_from_hex(s);
        if (!b) return make_error(at(sub(key), b.error()));
        return *b;
    }
    Result<Bytes32> b32(std::string_view key) {
        WP_TRY(const json::value* v, required(key));
        return b32_of(*v, key);
    }
    Result<std::optional<Bytes32>> opt_b32(std::string_view key) {
        const json::value* v = find(key);
        if (v == nullptr) return std::optional<Bytes32>{};
        WP_TRY(Bytes32 b, b32_of(*v, key));
        return std::optional<Bytes32>(b);
    }
    Result<Bytes> bytes_of(const json::value& v, std::string_view key, std::size_t max_bytes) const {
        WP_TRY(std::string s, string_of(v, key, 2 + 2 * max_bytes));
        auto b = from_hex(s);
        if (!b) return make_error(at(sub(key), b.error()));
        return *b;
    }
    Result<Bytes> bytes(std::string_view key, std::size_t max_bytes) {
        WP_TRY(const json::value* v, required(key));
        return bytes_of(*v, key, max_bytes);
    }
    Result<std::optional<Bytes>> opt_bytes(std::string_view key, std::size_t max_bytes) {
        const json::value* v = find(key);
        if (v == nullptr) return std::optional<Bytes>{};
        WP_TRY(Bytes b, bytes_of(*v, key, max_bytes));
        return std::optional<Bytes>(std::move(b));
    }

    template <class E, std::size_t N>
    Result<E> enumeration(std::string_view key, const std::array<std::string_view, N>& names, std::string_view what) {
        WP_TRY(std::string s, str(key, 64));
        auto e = enum_from_name<E>(names, s, what);
        if (!e) return make_error(at(sub(key), e.error()));
        return *e;
    }
    template <class E, std::size_t N>
    Result<std::optional<E>> opt_enumeration(std::string_view key, const std::array<std::string_view, N>& names,
                                             std::string_view what) {
        if (o_->if_contains(key) == nullptr) {
            seen_.insert(std::string(key));
            return std::optional<E>{};
        }
        WP_TRY(E e, enumeration<E>(key, names, what));
        return std::optional<E>(e);
    }

    Result<const json::array*> array(std::string_view key) {
        WP_TRY(const json::value* v, required(key));
        const json::array* a = v->if_array();
        if (a == nullptr) return make_error(Errc::kInvalidArgument, sub(key) + ": expected an array");
        if (a->size() > kMaxListItems)
            return make_error(Errc::kInvalidArgument,
                              sub(key) + ": more than " + std::to_string(kMaxListItems) + " items");
        return a;
    }

    //! Every key of the object must have been looked at.
    Result<void> finish() const {
        for (const auto& kv : *o_) {
            const std::string k(kv.key());
            if (seen_.count(k) == 0)
                return make_error(Errc::kInvalidArgument, path_ + ": unknown key \"" + k.substr(0, 64) + "\"");
        }
        return {};
    }

  private:
    Reader(const json::object& o, std::string path) : o_(&o), path_(std::move(path)) {}
    const json::object* o_;
    std::string path_;
    std::set<std::string, std::less<>> seen_;
};

std::string hex32(const Bytes32& b) { return to_hex(b.view()); }

json::array b32_array(const std::vector<Bytes32>& v) {
    json::array a;
    for (const auto& b : v) a.emplace_back(hex32(b));
    return a;
}

// ---- Shared sub-objects
// -----------------------------------------------------------------------------------------------

json::object resource_json(const Resource& r) {
    return json::object{{"address", r.address.to_checksum()}, {"uri", r.uri}, {"checksum", hex32(r.checksum)}};
}

Result<Resource> resource_from(const json::value& j, const std::string& path) {
    WP_TRY(Reader r, Reader::open(j, path));
    Resource out;
    WP_TRY(out.address, r.address("address"));
    WP_TRY(out.uri, r.str("uri"));
    WP_TRY(out.checksum, r.b32("checksum"));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<WorkerpoolAuthorization> authorization_from(const json::value& j, const std::string& path) {
    WP_TRY(Reader r, Reader::open(j, path));
    WorkerpoolAuthorization out;
    WP_TRY(out.worker, r.address("worker"));
    WP_TRY(out.task_id, r.b32("taskId"));
    WP_TRY(out.enclave_challenge, r.address("enclaveChallenge"));
    WP_TRY(out.signature, r.bytes("signature", 65));
    if (out.signature.size() != 65)
        return make_error(Errc::kInvalidLength,
                          r.sub("signature") + ": expected 65 bytes, got " + std::to_string(out.signature.size()));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<Assignment> assignment_from(const json::value& j, const std::string& path) {
    WP_TRY(Reader r, Reader::open(j, path));
    Assignment out;
    WP_TRY(out.task_id, r.b32("taskId"));
    WP_TRY(out.deal_id, r.b32("dealId"));
    WP_TRY(out.task_index, r.uint("taskIndex"));
    WP_TRY(out.bot_first, r.uint("botFirst"));
    WP_TRY(out.bot_size, r.uint("botSize"));
    if (out.bot_size == 0 || out.task_index < out.bot_first || out.task_index - out.bot_first >= out.bot_size)
        return make_error(Errc::kInvalidArgument, path + ".taskIndex: outside [botFirst, botFirst + botSize)");
    {
        WP_TRY(const json::value* app, r.required("app"));
        WP_TRY(Reader ar, Reader::open(*app, r.sub("app")));
        WP_TRY(out.app.resource.address, ar.address("address"));
        WP_TRY(out.app.resource.uri, ar.str("uri"));
        WP_TRY(out.app.resource.checksum, ar.b32("checksum"));
        WP_TRY(out.app.type, ar.token("type"));
        WP_TRY_VOID(ar.finish());
    }
    if (const json::value* ds = r.find("dataset")) {
        WP_TRY(Resource d, resource_from(*ds, r.sub("dataset")));
        out.dataset = std::move(d);
    }
    {
        WP_TRY(const json::array* files, r.array("inputFiles"));
        for (std::size_t i = 0; i < files->size(); ++i) {
            WP_TRY(std::string f, r.string_of((*files)[i], "inputFiles[" + std::to_string(i) + "]", kMaxTextBytes));
            out.input_files.push_back(std::move(f));
        }
    }
    WP_TRY(out.iexec_args, r.str("iexecArgs"));
    WP_TRY(out.max_execution_seconds, r.uint("maxExecutionSeconds"));
    WP_TRY(out.tag, r.b32("tag"));
    WP_TRY(out.trust, r.uint("trust"));
    WP_TRY(out.callback, r.address("callback"));
    WP_TRY(out.contribution_deadline, r.uint("contributionDeadline"));
    WP_TRY(out.final_deadline, r.uint("finalDeadline"));
    {
        WP_TRY(const json::value* a, r.required("authorization"));
        WP_TRY(out.authorization, authorization_from(*a, r.sub("authorization")));
    }
    if (out.authorization.task_id != out.task_id)
        return make_error(Errc::kInvalidArgument, path + ".authorization.taskId: differs from taskId");
    if (const json::value* t = r.find("teeSimulation")) {
        WP_TRY(Reader tr, Reader::open(*t, r.sub("teeSimulation")));
        TeeSimulation sim;
        WP_TRY(sim.version, tr.uint("version"));
        if (sim.version != kTeeSimulationVersion)
            return make_error(Errc::kInvalidArgument, tr.sub("version") + ": unsupported version " +
                                                          std::to_string(sim.version) + " (this worker speaks " +
                                                          std::to_string(kTeeSimulationVersion) + ")");
        WP_TRY(sim.enclave_key, tr.b32("enclaveKey"));
        WP_TRY_VOID(tr.finish());
        out.tee_simulation = sim;
    }
    WP_TRY_VOID(r.finish());
    return out;
}

json::object app_json(const AppResource& a) {
    json::object o = resource_json(a.resource);
    o["type"] = a.type;
    return o;
}

Result<Notification> notification_from(const json::value& j, const std::string& path) {
    WP_TRY(Reader r, Reader::open(j, path));
    Notification out;
    WP_TRY(out.seq, r.uint("seq"));
    if (out.seq == 0) return make_error(Errc::kInvalidArgument, r.sub("seq") + ": must be at least 1");
    WP_TRY(out.task_id, r.b32("taskId"));
    WP_TRY(out.action, r.enumeration<Action>("action", kActionNames, "action"));
    WP_TRY(out.abort_cause, r.opt_enumeration<AbortCause>("abortCause", kAbortNames, "abort cause"));
    if (const json::value* a = r.find("assignment")) {
        WP_TRY(Assignment as, assignment_from(*a, r.sub("assignment")));
        if (as.task_id != out.task_id)
            return make_error(Errc::kInvalidArgument, r.sub("assignment.taskId") + ": differs from taskId");
        out.assignment = std::move(as);
    }
    WP_TRY(out.block_number, r.opt_uint("blockNumber"));
    WP_TRY(out.upload_url, r.opt_str("uploadUrl"));
    if (out.abort_cause.has_value() != (out.action == Action::kAbort))
        return make_error(Errc::kInvalidArgument, r.sub("abortCause") + ": required with PLEASE_ABORT only");
    if (out.assignment.has_value() != (out.action == Action::kStart))
        return make_error(Errc::kInvalidArgument, r.sub("assignment") + ": required with PLEASE_START only");
    if (out.upload_url.has_value() != (out.action == Action::kUpload))
        return make_error(Errc::kInvalidArgument, r.sub("uploadUrl") + ": required with PLEASE_UPLOAD only");
    if (out.block_number.has_value() && out.action != Action::kReveal)
        return make_error(Errc::kInvalidArgument, r.sub("blockNumber") + ": only with PLEASE_REVEAL");
    WP_TRY_VOID(r.finish());
    return out;
}

}  // namespace

// ---- Enum names
// -------------------------------------------------------------------------------------------------------

std::string_view to_string(TeeFramework v) noexcept {
    switch (v) {
        case TeeFramework::kScone: return "scone";
        case TeeFramework::kGramine: return "gramine";
        case TeeFramework::kTdx: return "tdx";
    }
    return "invalid";
}
std::string_view to_string(ReplicateStatus v) noexcept { return enum_name(kStatusNames, v); }
std::string_view to_string(Action v) noexcept { return enum_name(kActionNames, v); }
std::string_view to_string(AbortCause v) noexcept { return enum_name(kAbortNames, v); }
std::string_view to_string(FailureCause v) noexcept { return enum_name(kCauseNames, v); }

Result<TeeFramework> parse_tee_framework(std::string_view s) {
    if (s == "scone") return TeeFramework::kScone;
    if (s == "gramine") return TeeFramework::kGramine;
    if (s == "tdx") return TeeFramework::kTdx;
    return make_error(Errc::kInvalidArgument, "unknown TEE framework \"" + std::string(s.substr(0, 64)) +
                                                  "\" (expected scone, gramine or tdx)");
}
Result<ReplicateStatus> parse_replicate_status(std::string_view s) {
    return enum_from_name<ReplicateStatus>(kStatusNames, s, "replicate status");
}
Result<Action> parse_action(std::string_view s) { return enum_from_name<Action>(kActionNames, s, "action"); }
Result<AbortCause> parse_abort_cause(std::string_view s) {
    return enum_from_name<AbortCause>(kAbortNames, s, "abort cause");
}
Result<FailureCause> parse_failure_cause(std::string_view s) {
    return enum_from_name<FailureCause>(kCauseNames, s, "failure cause");
}
Result<ReplicateStatus> replicate_status_from_int(std::int64_t v) {
    if (v < 0 || v >= kReplicateStatusCount)
        return make_error(Errc::kDecoding, "replicate status " + std::to_string(v) + " out of range");
    return static_cast<ReplicateStatus>(v);
}

// ---- Encoders
// ---------------------------------------------------------------------------------------------------------

json::value to_json(const LoginChallenge& v) { return json::object{{"typedData", v.typed_data}}; }

json::value to_json(const LoginAnswer& v) {
    return json::object{{"token", v.token}, {"expiresAt", v.expires_at}, {"worker", v.worker.to_checksum()}};
}

json::value to_json(const WorkerRegistration& v) {
    json::array tee;
    for (auto f : v.tee_frameworks) tee.emplace_back(to_string(f));
    return json::object{{"name", v.name},
                        {"version", v.version},
                        {"cpuSlots", v.cpu_slots},
                        {"memoryMb", v.memory_mb},
                        {"gpu", v.gpu},
                        {"teeFrameworks", std::move(tee)},
                        {"maxTaskSeconds", v.max_task_seconds}};
}

json::value to_json(const RegistrationAnswer& v) {
    return json::object{{"workerpool", v.workerpool.to_checksum()},
                        {"chainId", v.chain_id},
                        {"heartbeatSeconds", v.heartbeat_seconds},
                        {"lostAfterSeconds", v.lost_after_seconds}};
}

json::value to_json(const Heartbeat& v) { return json::object{{"running", b32_array(v.running)}}; }

json::value to_json(const HeartbeatAnswer& v) {
    return json::object{{"nextSeconds", v.next_seconds}, {"reregister", v.reregister}};
}

json::value to_json(const WorkerpoolAuthorization& v) {
    return json::object{{"worker", v.worker.to_checksum()},
                        {"taskId", hex32(v.task_id)},
                        {"enclaveChallenge", v.enclave_challenge.to_checksum()},
                        {"signature", to_hex(ByteView(v.signature))}};
}

json::value to_json(const Assignment& v) {
    json::object o{{"taskId", hex32(v.task_id)}, {"dealId", hex32(v.deal_id)}, {"taskIndex", v.task_index},
                   {"botFirst", v.bot_first},    {"botSize", v.bot_size},      {"app", app_json(v.app)}};
    if (v.dataset) o["dataset"] = resource_json(*v.dataset);
    json::array files;
    for (const auto& f : v.input_files) files.emplace_back(f);
    o["inputFiles"] = std::move(files);
    o["iexecArgs"] = v.iexec_args;
    o["maxExecutionSeconds"] = v.max_execution_seconds;
    o["tag"] = hex32(v.tag);
    o["trust"] = v.trust;
    o["callback"] = v.callback.to_checksum();
    o["contributionDeadline"] = v.contribution_deadline;
    o["finalDeadline"] = v.final_deadline;
    o["authorization"] = to_json(v.authorization);
    if (v.tee_simulation)
        o["teeSimulation"] =
            json::object{{"version", v.tee_simulation->version}, {"enclaveKey", hex32(v.tee_simulation->enclave_key)}};
    return o;
}

json::value to_json(const Notification& v) {
    json::object o{{"seq", v.seq}, {"taskId", hex32(v.task_id)}, {"action", to_string(v.action)}};
    if (v.abort_cause) o["abortCause"] = to_string(*v.abort_cause);
    if (v.assignment) o["assignment"] = to_json(*v.assignment);
    if (v.block_number) o["blockNumber"] = *v.block_number;
    if (v.upload_url) o["uploadUrl"] = *v.upload_url;
    return o;
}

json::value to_json(const NotificationBatch& v) {
    json::array a;
    for (const auto& n : v.notifications) a.push_back(to_json(n));
    return json::object{{"notifications", std::move(a)}, {"lastSeq", v.last_seq}};
}

json::value to_json(const StatusUpdate& v) {
    json::object d;
    const StatusDetails& s = v.details;
    if (s.result_digest) d["resultDigest"] = hex32(*s.result_digest);
    if (s.result_hash) d["resultHash"] = hex32(*s.result_hash);
    if (s.result_seal) d["resultSeal"] = hex32(*s.result_seal);
    if (s.tx_hash) d["txHash"] = hex32(*s.tx_hash);
    if (s.block_number) d["blockNumber"] = *s.block_number;
    if (s.result_link) d["resultLink"] = *s.result_link;
    if (s.callback_data) d["callbackData"] = to_hex(ByteView(*s.callback_data));
    if (s.enclave_signature) d["enclaveSignature"] = to_hex(ByteView(*s.enclave_signature));
    if (s.cause) d["cause"] = to_string(*s.cause);
    if (s.message) d["message"] = *s.message;
    if (s.exit_code) d["exitCode"] = *s.exit_code;
    return json::object{{"status", to_string(v.status)}, {"details", std::move(d)}};
}

json::value to_json(const StatusAnswer& v) {
    json::object o{{"action", to_string(v.action)}, {"duplicate", v.duplicate}};
    if (v.abort_cause) o["abortCause"] = to_string(*v.abort_cause);
    return o;
}

json::value to_json(const Recovery& v) {
    json::array a;
    for (const auto& it : v.items) {
        json::object o{{"taskId", hex32(it.task_id)},
                       {"lastStatus", to_string(it.last_status)},
                       {"action", to_string(it.action)},
                       {"assignment", to_json(it.assignment)}};
        if (it.abort_cause) o["abortCause"] = to_string(*it.abort_cause);
        a.push_back(std::move(o));
    }
    return json::object{{"items", std::move(a)}};
}

std::string serialize(const json::value& v) { return json::serialize(v); }

// ---- Decoders
// ---------------------------------------------------------------------------------------------------------

Result<LoginChallenge> login_challenge_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "loginChallenge"));
    WP_TRY(const json::value* td, r.required("typedData"));
    const json::object* o = td->if_object();
    if (o == nullptr) return make_error(Errc::kInvalidArgument, "loginChallenge.typedData: expected an object");
    for (const char* k : {"types", "domain", "primaryType", "message"})
        if (!o->contains(k))
            return make_error(Errc::kInvalidArgument, std::string("loginChallenge.typedData.") + k + ": missing");
    WP_TRY_VOID(r.finish());
    return LoginChallenge{*o};
}

Result<LoginAnswer> login_answer_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "loginAnswer"));
    LoginAnswer out;
    WP_TRY(out.token, r.str("token", 256));
    if (out.token.empty() || !printable_ascii_no_space(out.token))
        return make_error(Errc::kInvalidArgument, "loginAnswer.token: must be printable ASCII without space");
    WP_TRY(out.expires_at, r.uint("expiresAt"));
    WP_TRY(out.worker, r.address("worker"));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<WorkerRegistration> registration_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "registration"));
    WorkerRegistration out;
    WP_TRY(out.name, r.token("name"));
    WP_TRY(out.version, r.token("version"));
    WP_TRY(std::uint64_t slots, r.uint("cpuSlots"));
    if (slots < 1 || slots > 1024)
        return make_error(Errc::kInvalidArgument, "registration.cpuSlots: must be between 1 and 1024");
    out.cpu_slots = static_cast<std::uint32_t>(slots);
    WP_TRY(out.memory_mb, r.uint("memoryMb"));
    WP_TRY(out.gpu, r.boolean("gpu"));
    WP_TRY(const json::array* tee, r.array("teeFrameworks"));
    for (std::size_t i = 0; i < tee->size(); ++i) {
        const std::string key = "teeFrameworks[" + std::to_string(i) + "]";
        WP_TRY(std::string name, r.string_of((*tee)[i], key, 16));
        auto f = parse_tee_framework(name);
        if (!f) return make_error(at(r.sub(key), f.error()));
        if (!out.tee_frameworks.empty() && out.tee_frameworks.back() >= *f)
            return make_error(Errc::kInvalidArgument, r.sub(key) +
                                                          ": frameworks must be sorted (scone, gramine, "
                                                          "tdx) without duplicates");
        out.tee_frameworks.push_back(*f);
    }
    WP_TRY(out.max_task_seconds, r.uint("maxTaskSeconds"));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<RegistrationAnswer> registration_answer_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "registrationAnswer"));
    RegistrationAnswer out;
    WP_TRY(out.workerpool, r.address("workerpool"));
    WP_TRY(out.chain_id, r.uint("chainId"));
    WP_TRY(out.heartbeat_seconds, r.uint("heartbeatSeconds"));
    WP_TRY(out.lost_after_seconds, r.uint("lostAfterSeconds"));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<Heartbeat> heartbeat_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "heartbeat"));
    Heartbeat out;
    WP_TRY(const json::array* a, r.array("running"));
    for (std::size_t i = 0; i < a->size(); ++i) {
        WP_TRY(Bytes32 b, r.b32_of((*a)[i], "running[" + std::to_string(i) + "]"));
        out.running.push_back(b);
    }
    WP_TRY_VOID(r.finish());
    return out;
}

Result<HeartbeatAnswer> heartbeat_answer_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "heartbeatAnswer"));
    HeartbeatAnswer out;
    WP_TRY(out.next_seconds, r.uint("nextSeconds"));
    WP_TRY(out.reregister, r.boolean("reregister"));
    WP_TRY_VOID(r.finish());
    return out;
}

Result<WorkerpoolAuthorization> authorization_from_json(const json::value& j) {
    return authorization_from(j, "authorization");
}

Result<Assignment> assignment_from_json(const json::value& j) { return assignment_from(j, "assignment"); }

Result<Notification> notification_from_json(const json::value& j) { return notification_from(j, "notification"); }

Result<NotificationBatch> notification_batch_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "notifications"));
    NotificationBatch out;
    WP_TRY(const json::array* a, r.array("notifications"));
    for (std::size_t i = 0; i < a->size(); ++i) {
        WP_TRY(Notification n, notification_from((*a)[i], r.sub("notifications[" + std::to_string(i) + "]")));
        if (!out.notifications.empty() && n.seq <= out.notifications.back().seq)
            return make_error(Errc::kInvalidArgument, "notifications.notifications: seq must increase");
        out.notifications.push_back(std::move(n));
    }
    WP_TRY(out.last_seq, r.uint("lastSeq"));
    if (!out.notifications.empty() && out.notifications.back().seq > out.last_seq)
        return make_error(Errc::kInvalidArgument, "notifications.lastSeq: smaller than a notification's seq");
    WP_TRY_VOID(r.finish());
    return out;
}

Result<StatusUpdate> status_update_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "statusUpdate"));
    StatusUpdate out;
    WP_TRY(out.status, r.enumeration<ReplicateStatus>("status", kStatusNames, "replicate status"));
    WP_TRY(const json::value* dv, r.required("details"));
    WP_TRY(Reader d, Reader::open(*dv, r.sub("details")));
    StatusDetails& s = out.details;
    WP_TRY(s.result_digest, d.opt_b32("resultDigest"));
    WP_TRY(s.result_hash, d.opt_b32("resultHash"));
    WP_TRY(s.result_seal, d.opt_b32("resultSeal"));
    WP_TRY(s.tx_hash, d.opt_b32("txHash"));
    WP_TRY(s.block_number, d.opt_uint("blockNumber"));
    WP_TRY(s.result_link, d.opt_str("resultLink"));
    WP_TRY(s.callback_data, d.opt_bytes("callbackData", kMaxTextBytes));
    WP_TRY(s.enclave_signature, d.opt_bytes("enclaveSignature", 65));
    if (s.enclave_signature && s.enclave_signature->size() != 65)
        return make_error(Errc::kInvalidLength, "statusUpdate.details.enclaveSignature: expected 65 bytes");
    WP_TRY(s.cause, d.opt_enumeration<FailureCause>("cause", kCauseNames, "failure cause"));
    WP_TRY(s.message, d.opt_str("message"));
    WP_TRY(s.exit_code, d.opt_int("exitCode"));
    WP_TRY_VOID(d.finish());
    WP_TRY_VOID(r.finish());
    return out;
}

Result<StatusAnswer> status_answer_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "statusAnswer"));
    StatusAnswer out;
    WP_TRY(out.action, r.enumeration<Action>("action", kActionNames, "action"));
    WP_TRY(out.duplicate, r.boolean("duplicate"));
    WP_TRY(out.abort_cause, r.opt_enumeration<AbortCause>("abortCause", kAbortNames, "abort cause"));
    if (out.abort_cause.has_value() != (out.action == Action::kAbort))
        return make_error(Errc::kInvalidArgument, "statusAnswer.abortCause: required with PLEASE_ABORT only");
    WP_TRY_VOID(r.finish());
    return out;
}

Result<Recovery> recovery_from_json(const json::value& j) {
    WP_TRY(Reader r, Reader::open(j, "recovery"));
    Recovery out;
    WP_TRY(const json::array* a, r.array("items"));
    for (std::size_t i = 0; i < a->size(); ++i) {
        WP_TRY(Reader ir, Reader::open((*a)[i], r.sub("items[" + std::to_string(i) + "]")));
        RecoveryItem it;
        WP_TRY(it.task_id, ir.b32("taskId"));
        WP_TRY(it.last_status, ir.enumeration<ReplicateStatus>("lastStatus", kStatusNames, "replicate status"));
        WP_TRY(it.action, ir.enumeration<Action>("action", kActionNames, "action"));
        WP_TRY(it.abort_cause, ir.opt_enumeration<AbortCause>("abortCause", kAbortNames, "abort cause"));
        if (it.abort_cause.has_value() != (it.action == Action::kAbort))
            return make_error(Errc::kInvalidArgument, ir.sub("abortCause") + ": required with PLEASE_ABORT only");
        WP_TRY(const json::value* as, ir.required("assignment"));
        WP_TRY(it.assignment, assignment_from(*as, ir.sub("assignment")));
        if (it.assignment.task_id != it.task_id)
            return make_error(Errc::kInvalidArgument, ir.sub("assignment.taskId") + ": differs from taskId");
        WP_TRY_VOID(ir.finish());
        out.items.push_back(std::move(it));
    }
    WP_TRY_VOID(r.finish());
    return out;
}

}  // namespace wp::workerapi
