#include "challenge.hpp"

#include <algorithm>
#include <array>

#include <boost/json/array.hpp>

#include <wp/codec/eip712.hpp>
#include <wp/crypto/random.hpp>

namespace wp::service {

namespace json = boost::json;

ChallengeDomain market_challenge_domain(std::uint64_t chain_id) {
    return ChallengeDomain{"iExec Gateway", "1", chain_id, "Sign this message to log into iExec Gateway: "};
}

ChallengeDomain challenge_domain(std::string name, std::uint64_t chain_id) {
    std::string prefix = "Sign this message to log into " + name + ": ";
    return ChallengeDomain{std::move(name), "1", chain_id, std::move(prefix)};
}

json::object challenge_typed_data(const ChallengeDomain& domain, std::string_view challenge) {
    auto field = [](const char* name, const char* type) {
        json::object f;
        f["name"] = name;
        f["type"] = type;
        return f;
    };
    json::object types;
    types["EIP712Domain"] =
        json::array{field("name", "string"), field("version", "string"), field("chainId", "uint256")};
    types["Challenge"] = json::array{field("challenge", "string")};
    json::object dom;
    dom["name"] = domain.name;
    dom["version"] = domain.version;
    dom["chainId"] = std::to_string(domain.chain_id);
    json::object message;
    message["challenge"] = challenge;
    json::object doc;
    doc["types"] = std::move(types);
    doc["domain"] = std::move(dom);
    doc["primaryType"] = "Challenge";
    doc["message"] = std::move(message);
    return doc;
}

Result<Bytes32> challenge_hash(const ChallengeDomain& domain, std::string_view challenge) {
    WP_TRY(auto typed, eip712::parse_typed_data(json::value(challenge_typed_data(domain, challenge))));
    return eip712::digest(typed);
}

std::string random_challenge_text(std::size_t length) {
    static constexpr std::string_view kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    std::string out;
    out.reserve(length);
    std::array<std::uint8_t, 64> buf{};
    while (out.size() < length) {
        secure_random(buf);
        for (std::uint8_t b : buf) {
            if (b >= 248) continue;  // 248 = 4 * 62: keeps the distribution uniform
            out += kAlphabet[b % 62];
            if (out.size() == length) break;
        }
    }
    return out;
}

// ---------------------------------------------------------------------------------------------------------------

Result<StoredChallenge> InMemoryChallengeStore::find_or_insert(const Address& address, std::uint64_t chain_id,
                                                               std::int64_t now_ms,
                                                               const std::function<StoredChallenge()>& make_fresh) {
    std::lock_guard lock(mutex_);
    const Key key{chain_id, address};
    if (auto it = by_owner_.find(key); it != by_owner_.end()) {
        if (it->second.expires_unix_ms > now_ms) return it->second;
        by_hash_.erase(it->second.hash);
        by_owner_.erase(it);
    }
    if (by_owner_.size() >= max_entries_) evict_locked(now_ms);
    StoredChallenge fresh = make_fresh();
    by_hash_[fresh.hash] = key;
    by_owner_[key] = fresh;
    return fresh;
}

Result<std::optional<StoredChallenge>> InMemoryChallengeStore::find(const Bytes32& hash, const Address& address,
                                                                    std::int64_t now_ms) {
    std::lock_guard lock(mutex_);
    auto h = by_hash_.find(hash);
    if (h == by_hash_.end() || h->second.second != address) return std::optional<StoredChallenge>{};
    const auto& c = by_owner_.at(h->second);
    if (c.expires_unix_ms <= now_ms) return std::optional<StoredChallenge>{};
    return std::optional<StoredChallenge>{c};
}

Result<bool> InMemoryChallengeStore::consume(const Bytes32& hash, const Address& address) {
    std::lock_guard lock(mutex_);
    auto h = by_hash_.find(hash);
    if (h == by_hash_.end() || h->second.second != address) return false;
    by_owner_.erase(h->second);
    by_hash_.erase(h);
    return true;
}

std::size_t InMemoryChallengeStore::size() const {
    std::lock_guard lock(mutex_);
    return by_owner_.size();
}

void InMemoryChallengeStore::evict_locked(std::int64_t now_ms) {
    for (auto it = by_owner_.begin(); it != by_owner_.end();) {
        if (it->second.expires_unix_ms <= now_ms) {
            by_hash_.erase(it->second.hash);
            it = by_owner_.erase(it);
        } else {
            ++it;
        }
    }
    while (by_owner_.size() >= max_entries_ && !by_owner_.empty()) {
        auto oldest = std::min_element(by_owner_.begin(), by_owner_.end(), [](const auto& a, const auto& b) {
            return a.second.expires_unix_ms < b.second.expires_unix_ms;
        });
        by_hash_.erase(oldest->second.hash);
        by_owner_.erase(oldest);
    }
}

// ---------------------------------------------------------------------------------------------------------------

ChallengeAuth::ChallengeAuth(ChallengeStore& store, Clock& clock, ChallengeAuthOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {}

ChallengeDomain ChallengeAuth::domain(std::uint64_t chain_id) const {
    return ChallengeDomain{options_.domain_name, options_.domain_version, chain_id, options_.message_prefix};
}

Result<StoredChallenge> ChallengeAuth::challenge_for(const Address& address, std::uint64_t chain_id) {
    const std::int64_t now = clock_.unix_ms();
    std::optional<Error> failure;
    auto make_fresh = [&]() {
        StoredChallenge c;
        c.address = address;
        c.chain_id = chain_id;
        c.challenge = options_.message_prefix + random_challenge_text(options_.random_length);
        c.expires_unix_ms = now + options_.ttl.count();
        auto hash = challenge_hash(domain(chain_id), c.challenge);
        if (hash) {
            c.hash = *hash;
        } else {
            failure = hash.error();
        }
        return c;
    };
    auto stored = store_.find_or_insert(address, chain_id, now, make_fresh);
    if (failure) return make_error(*failure);
    return stored;
}

Result<json::object> ChallengeAuth::challenge_document(const Address& address, std::uint64_t chain_id) {
    WP_TRY(auto c, challenge_for(address, chain_id));
    return challenge_typed_data(domain(chain_id), c.challenge);
}

Result<AuthIdentity> ChallengeAuth::verify(std::string_view authorization, std::uint64_t chain_id) {
    WP_TRY(auto auth, parse_challenge_authorization(authorization));
    WP_TRY(auto found, store_.find(auth.challenge_hash, auth.address, clock_.unix_ms()));
    if (!found) {
        return make_error(Errc::kInvalidArgument, "Challenge not valid. Need to request a new challenge.");
    }
    auto signer = recover_address(auth.challenge_hash, auth.signature);
    if (!signer || *signer != auth.address) {
        return make_error(Errc::kCrypto, "Failed to verify signer, addresses mismatch.");
    }
    WP_TRY(const bool consumed, store_.consume(auth.challenge_hash, auth.address));
    if (!consumed) {
        return make_error(Errc::kInvalidArgument, "Challenge not valid. Need to request a new challenge.");
    }
    if (found->chain_id != chain_id) {
        return make_error(Errc::kInvalidArgument, "challenge was issued for chain " + std::to_string(found->chain_id) +
                                                      ", request is for chain " + std::to_string(chain_id));
    }
    return AuthIdentity{auth.address, chain_id};
}

}  // namespace wp::service
