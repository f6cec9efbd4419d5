#include "result_store.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

#include <boost/json.hpp>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

#include "result_digest.hpp"

namespace wp::scheduler {
namespace fs = std::filesystem;
namespace {

Result<void> write_atomically(const fs::path& target, ByteView content) {
    fs::path tmp = target;
    tmp += ".tmp-" + to_hex_no_prefix(random_bytes(8));
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) return make_error(Errc::kIo, "cannot write " + tmp.string());
        out.write(reinterpret_cast<const char*>(content.data()), static_cast<std::streamsize>(content.size()));
        out.flush();
        if (!out) return make_error(Errc::kIo, "cannot write " + tmp.string());
    }
    std::error_code ec;
    fs::rename(tmp, target, ec);
    if (ec) {
        fs::remove(tmp, ec);
        return make_error(Errc::kIo, "cannot rename to " + target.string());
    }
    return {};
}

Result<Bytes> read_all(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return make_error(Errc::kIo, "cannot read " + file.string());
    Bytes out((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return out;
}

}  // namespace

Result<ResultStore> ResultStore::open(ResultStoreOptions options) {
    for (const auto& sub : {options.dir / "blobs", options.dir / "tasks"}) {
        std::error_code ec;
        fs::create_directories(sub, ec);
        if (ec) return make_error(Errc::kIo, "result store: cannot create " + sub.string() + ": " + ec.message());
    }
    return ResultStore(std::move(options));
}

fs::path ResultStore::task_file(const Bytes32& task_id) const {
    return options_.dir / "tasks" / to_hex(task_id.view());
}
fs::path ResultStore::blob_file(const Bytes32& sha) const {
    return options_.dir / "blobs" / (to_hex_no_prefix(sha.view()) + ".zip");
}

Result<Bytes32> ResultStore::put(const Bytes32& task_id, ByteView zip, const Bytes32& expected_digest) {
    if (zip.size() > options_.max_bytes)
        return make_error(Errc::kTooLarge, "result of task " + to_hex(task_id.view()) + ": " +
                                               std::to_string(zip.size()) + " bytes, above the limit of " +
                                               std::to_string(options_.max_bytes));
    const Bytes32 sha = sha256_of(zip);
    if (auto existing = read_all(task_file(task_id)); existing) {
        const std::string stored(existing->begin(), existing->end());
        if (stored == to_hex_no_prefix(sha.view())) return sha;
        return make_error(Errc::kInvalidArgument, "result of task " + to_hex(task_id.view()) + " already stored");
    }
    WP_TRY(auto digest, result_zip_digest(zip, options_.max_unpacked_bytes));
    if (digest != expected_digest)
        return make_error(Errc::kInvalidArgument, "result digest " + to_hex(digest.view()) +
                                                      " differs from the revealed digest " +
                                                      to_hex(expected_digest.view()));
    const fs::path blob = blob_file(sha);
    if (!fs::exists(blob)) WP_TRY_VOID(write_atomically(blob, zip));
    const std::string ref = to_hex_no_prefix(sha.view());
    WP_TRY_VOID(write_atomically(task_file(task_id), as_bytes(ref)));
    return sha;
}

Result<std::optional<fs::path>> ResultStore::path_of(const Bytes32& task_id) const {
    const fs::path ref = task_file(task_id);
    if (!fs::exists(ref)) return std::optional<fs::path>{};
    WP_TRY(auto content, read_all(ref));
    const std::string hex(content.begin(), content.end());
    if (hex.size() != 64 || hex.find_first_not_of("0123456789abcdef") != std::string::npos)
        return make_error(Errc::kIo, "result store: corrupt mapping " + ref.string());
    return std::optional<fs::path>(options_.dir / "blobs" / (hex + ".zip"));
}

Result<std::optional<Bytes>> ResultStore::get(const Bytes32& task_id) const {
    WP_TRY(auto p, path_of(task_id));
    if (!p) return std::optional<Bytes>{};
    WP_TRY(auto bytes, read_all(*p));
    return std::optional<Bytes>(std::move(bytes));
}

bool ResultStore::has(const Bytes32& task_id) const { return fs::exists(task_file(task_id)); }

std::string result_link_json(std::string_view storage, std::string_view location) {
    boost::json::object o;
    o["storage"] = storage;
    o["location"] = location;
    return boost::json::serialize(o);
}

std::string result_location(std::string_view public_url, const Bytes32& task_id) {
    std::string base(public_url);
    while (!base.empty() && base.back() == '/') base.pop_back();
    return base + "/results/" + to_hex(task_id.view());
}

}  // namespace wp::scheduler
