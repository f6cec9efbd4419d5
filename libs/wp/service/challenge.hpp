#pragma once
// Signed-challenge authentication (EIP-712), as the iExec market API 7.1.2 does it, and generic for our daemons.
//
// The market (sdk-cli-and-market.md §5.2, vectors.md §6):
//  - GET /challenge?address=A&chainId=C returns typed data
//      {"types":{"EIP712Domain":[{name string},{version string},{chainId uint256}],"Challenge":[{challenge string}]},
//       "domain":{"name":"iExec Gateway","version":"1","chainId":"<C as a decimal string>"},
//       "primaryType":"Challenge",
//       "message":{"challenge":"Sign this message to log into iExec Gateway: <random>"}}
//    (no verifyingContract). One pending challenge per (address, chain) is reused until consumed or expired.
//  - The client signs it (ethers signTypedData) and sends
//      Authorization: <challengeHash>_<signature>_<address>
//    where challengeHash is the EIP-712 digest keccak256(0x1901 ‖ domainSeparator ‖ hashStruct(message)).
//  - The server finds the challenge by (hash, address), recovers the signer from the signature over the hash,
//    requires signer == address, deletes the challenge (single use) and checks the request's chain id.
//    Every failure is answered 403 {"ok":false,"error":"invalid authorization"}; the reason goes to the logs.
//
// Our own daemons (the core scheduler's worker login) use the same scheme with another domain name
// (challenge_domain("iExec Core Scheduler", chainId)); the tokens derived from it are in token.hpp.
//
// Thread safety: the free functions are pure; InMemoryChallengeStore and ChallengeAuth are thread-safe.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <wp/core/address.hpp>
#include <wp/core/bytes.hpp>
#include <wp/core/clock.hpp>
#include <wp/core/result.hpp>
#include <wp/crypto/secp256k1.hpp>

#include "auth_header.hpp"

namespace wp::service {

//! The EIP-712 domain and the message prefix of a challenge.
struct ChallengeDomain {
    std::string name;            //!< EIP712Domain.name
    std::string version{"1"};    //!< EIP712Domain.version
    std::uint64_t chain_id{0};   //!< EIP712Domain.chainId (a decimal string in the JSON, uint256 when hashed)
    std::string message_prefix;  //!< the challenge text is prefix + random part
};

//! The market's domain: {"iExec Gateway", "1", chainId}, prefix "Sign this message to log into iExec Gateway: ".
ChallengeDomain market_challenge_domain(std::uint64_t chain_id);
//! A domain of our own: {name, "1", chainId}, prefix "Sign this message to log into <name>: ".
ChallengeDomain challenge_domain(std::string name, std::uint64_t chain_id);

//! The typed-data document for `challenge` (the full message text), key order as the market sends it.
boost::json::object challenge_typed_data(const ChallengeDomain& domain, std::string_view challenge);
//! The EIP-712 digest of that document (computed with wp::eip712). Errc::kInvalidArgument for a message that
//! is not valid UTF-8 JSON text.
Result<Bytes32> challenge_hash(const ChallengeDomain& domain, std::string_view challenge);
//! `length` random characters from [A-Za-z0-9] (wp::secure_random, rejection sampling: uniform).
std::string random_challenge_text(std::size_t length = 32);

//! A challenge waiting to be signed.
struct StoredChallenge {
    Bytes32 hash;
    Address address;
    std::uint64_t chain_id{0};
    std::string challenge;            //!< the full message text
    std::int64_t expires_unix_ms{0};  //!< wall time (Clock::unix_ms()) after which it is refused
};

//! Where pending challenges live (memory here; a database for several daemon instances).
class ChallengeStore {
  public:
    virtual ~ChallengeStore() = default;
    //! The pending challenge of (address, chain_id) if it has not expired at now_ms; otherwise stores
    //! make_fresh() (replacing an expired one) and returns it.
    virtual Result<StoredChallenge> find_or_insert(const Address& address, std::uint64_t chain_id, std::int64_t now_ms,
                                                   const std::function<StoredChallenge()>& make_fresh) = 0;
    //! The challenge with this hash issued to this address, if present and not expired at now_ms.
    virtual Result<std::optional<StoredChallenge>> find(const Bytes32& hash, const Address& address,
                                                        std::int64_t now_ms) = 0;
    //! Removes the challenge; true if this call removed it (exactly one of concurrent callers gets true).
    virtual Result<bool> consume(const Bytes32& hash, const Address& address) = 0;
};

//! In-memory store: thread-safe, at most `max_entries` pending challenges. When full, expired entries are
//! dropped first, then the one closest to expiry (so a flood of requests cannot stop new logins; the rate
//! limiter bounds the flood).
class InMemoryChallengeStore final : public ChallengeStore {
  public:
    explicit InMemoryChallengeStore(std::size_t max_entries = 100'000) : max_entries_(max_entries) {}
    Result<StoredChallenge> find_or_insert(const Address& address, std::uint64_t chain_id, std::int64_t now_ms,
                                           const std::function<StoredChallenge()>& make_fresh) override;
    Result<std::optional<StoredChallenge>> find(const Bytes32& hash, const Address& address,
                                                std::int64_t now_ms) override;
    Result<bool> consume(const Bytes32& hash, const Address& address) override;
    std::size_t size() const;

  private:
    using Key = std::pair<std::uint64_t, Address>;  // (chain id, address)
    void evict_locked(std::int64_t now_ms);
    mutable std::mutex mutex_;
    std::size_t max_entries_;
    std::map<Key, StoredChallenge> by_owner_;
    std::map<Bytes32, Key> by_hash_;  // index for find / consume (hashes are unique: random text)
};

//! Who a verified request comes from.
struct AuthIdentity {
    Address address;
    std::uint64_t chain_id{0};
};

//! The text every authentication failure answers with (the market's).
inline constexpr std::string_view kInvalidAuthorization = "invalid authorization";

struct ChallengeAuthOptions {
    std::string domain_name{"iExec Gateway"};
    std::string domain_version{"1"};
    std::string message_prefix{"Sign this message to log into iExec Gateway: "};
    std::chrono::milliseconds ttl{std::chrono::minutes(10)};
    std::size_t random_length{32};
};

//! Issues challenges and verifies Authorization headers against a store.
class ChallengeAuth {
  public:
    ChallengeAuth(ChallengeStore& store, Clock& clock, ChallengeAuthOptions options = {});

    ChallengeDomain domain(std::uint64_t chain_id) const;
    //! The pending challenge of (address, chain_id) or a new one.
    Result<StoredChallenge> challenge_for(const Address& address, std::uint64_t chain_id);
    //! challenge_for() as the typed-data document GET /challenge returns in "data".
    Result<boost::json::object> challenge_document(const Address& address, std::uint64_t chain_id);

    //! Verifies `Authorization: <hash>_<signature>_<address>` for a request on `chain_id`, in the reference order:
    //! strict parse; challenge found by (hash, address) and not expired, else "Challenge not valid. Need to request
    //! a new challenge."; signer recovered from the signature over the hash equals the address, else "Failed to
    //! verify signer, addresses mismatch."; the challenge is consumed (a replay finds nothing); its chain id
    //! equals `chain_id`. The error message is the detailed reason (for logs); clients get kInvalidAuthorization.
    Result<AuthIdentity> verify(std::string_view authorization, std::uint64_t chain_id);

  private:
    ChallengeStore& store_;
    Clock& clock_;
    ChallengeAuthOptions options_;
};

}  // namespace wp::service
