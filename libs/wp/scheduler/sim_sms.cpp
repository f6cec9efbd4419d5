#include "sim_sms.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <wp/core/hex.hpp>
#include <wp/crypto/random.hpp>

namespace wp::scheduler {
namespace {

constexpr std::string_view kDerivationLabel = "iexec-pool simulated-sms enclave-key v1";

std::string errno_text() { return std::strerror(errno); }

Result<void> write_secret(const std::filesystem::path& file, const Bytes32& secret) {
    const std::filesystem::path tmp = file.string() + ".tmp";
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return make_error(Errc::kIo, "simulated SMS secret " + tmp.string() + ": " + errno_text());
    std::string text = to_hex(secret.view()) + "\n";
    const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()) && ::fsync(fd) == 0;
    OPENSSL_cleanse(text.data(), text.size());
    ::close(fd);
    if (!ok) return make_error(Errc::kIo, "simulated SMS secret " + tmp.string() + ": " + errno_text());
    if (::rename(tmp.c_str(), file.c_str()) != 0)
        return make_error(Errc::kIo, "simulated SMS secret " + file.string() + ": " + errno_text());
    return {};
}

}  // namespace

bool needs_enclave(const Bytes32& tag) noexcept { return (tag[31] & 0x01) != 0; }

SimulatedSms SimulatedSms::random() { return SimulatedSms(random_bytes32()); }

Result<SimulatedSms> SimulatedSms::open(const std::filesystem::path& dir) {
    const std::filesystem::path file = dir / kSimSmsSecretFile;
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno != ENOENT)
            return make_error(Errc::kIo, "simulated SMS secret " + file.string() + ": " + errno_text());
        const Bytes32 secret = random_bytes32();
        WP_TRY_VOID(write_secret(file, secret));
        return SimulatedSms(secret);
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        ::close(fd);
        return make_error(Errc::kIo, "simulated SMS secret " + file.string() +
                                         ": must not be accessible by group or others (chmod 600)");
    }
    char buf[128];
    const ssize_t n = ::read(fd, buf, sizeof buf);
    ::close(fd);
    std::string text(buf, n > 0 ? static_cast<std::size_t>(n) : 0);
    OPENSSL_cleanse(buf, sizeof buf);
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    auto secret = bytes32_from_hex(text);
    OPENSSL_cleanse(text.data(), text.size());
    if (!secret)
        return make_error(Errc::kDecoding, "simulated SMS secret " + file.string() + ": expected 0x + 64 hex digits");
    return SimulatedSms(*secret);
}

PrivateKey SimulatedSms::enclave_key(const Bytes32& task_id) const {
    for (std::uint8_t counter = 0;; ++counter) {
        Bytes message(kDerivationLabel.begin(), kDerivationLabel.end());
        message.insert(message.end(), task_id.view().begin(), task_id.view().end());
        message.push_back(counter);
        std::uint8_t out[32];
        unsigned out_len = 0;
        HMAC(EVP_sha256(), secret_.view().data(), static_cast<int>(secret_.view().size()), message.data(),
             message.size(), out, &out_len);
        auto key = PrivateKey::from_bytes(ByteView(out, sizeof out));
        OPENSSL_cleanse(out, sizeof out);
        if (key) return std::move(*key);
    }
}

}  // namespace wp::scheduler
