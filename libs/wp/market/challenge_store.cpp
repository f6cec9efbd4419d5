#include "challenge_store.hpp"

namespace wp::market {
namespace {

Result<service::StoredChallenge> challenge_of(const store::Row& row) {
    service::StoredChallenge c;
    WP_TRY(std::int64_t chain, row.get<std::int64_t>("chain_id"));
    c.chain_id = static_cast<std::uint64_t>(chain);
    WP_TRY(c.address, row.get<Address>("address"));
    WP_TRY(c.hash, row.get<Bytes32>("hash"));
    WP_TRY(c.challenge, row.get<std::string>("challenge"));
    WP_TRY(c.expires_unix_ms, row.get<std::int64_t>("expires_ms"));
    return c;
}

}  // namespace

Result<service::StoredChallenge> SqlChallengeStore::find_or_insert(
    const Address& address, std::uint64_t chain_id, std::int64_t now_ms,
    const std::function<service::StoredChallenge()>& make_fresh) {
    return db_.write([&](store::Tx& tx) -> Result<service::StoredChallenge> {
        WP_TRY(auto row, tx.query_opt("SELECT chain_id, address, hash, challenge, expires_ms FROM market_challenges "
                                      "WHERE chain_id = $1 AND address = $2",
                                      chain_id, address));
        if (row) {
            WP_TRY(auto existing, challenge_of(*row));
            if (existing.expires_unix_ms > now_ms) return existing;
        }
        service::StoredChallenge fresh = make_fresh();
        fresh.address = address;
        fresh.chain_id = chain_id;
        WP_TRY_VOID(
            tx.exec("INSERT INTO market_challenges (chain_id, address, hash, challenge, expires_ms) "
                    "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (chain_id, address) DO UPDATE SET "
                    "hash = excluded.hash, challenge = excluded.challenge, expires_ms = excluded.expires_ms",
                    chain_id, address, fresh.hash, fresh.challenge, fresh.expires_unix_ms));
        return fresh;
    });
}

Result<std::optional<service::StoredChallenge>> SqlChallengeStore::find(const Bytes32& hash, const Address& address,
                                                                        std::int64_t now_ms) {
    return db_.read([&](store::Tx& tx) -> Result<std::optional<service::StoredChallenge>> {
        WP_TRY(auto row, tx.query_opt("SELECT chain_id, address, hash, challenge, expires_ms FROM market_challenges "
                                      "WHERE hash = $1 AND address = $2 AND expires_ms > $3",
                                      hash, address, now_ms));
        if (!row) return std::optional<service::StoredChallenge>{};
        WP_TRY(auto c, challenge_of(*row));
        return std::optional<service::StoredChallenge>(std::move(c));
    });
}

Result<bool> SqlChallengeStore::consume(const Bytes32& hash, const Address& address) {
    return db_.write([&](store::Tx& tx) -> Result<bool> {
        WP_TRY(auto n, tx.exec("DELETE FROM market_challenges WHERE hash = $1 AND address = $2", hash, address));
        return n == 1;
    });
}

Result<std::int64_t> SqlChallengeStore::purge_expired(std::int64_t now_ms) {
    return db_.write([&](store::Tx& tx) -> Result<std::int64_t> {
        return tx.exec("DELETE FROM market_challenges WHERE expires_ms <= $1", now_ms);
    });
}

Result<std::int64_t> SqlChallengeStore::size() {
    return db_.read([&](store::Tx& tx) -> Result<std::int64_t> {
        WP_TRY(auto row, tx.query_row("SELECT COUNT(*) FROM market_challenges"));
        return row.get<std::int64_t>(0);
    });
}

}  // namespace wp::market
