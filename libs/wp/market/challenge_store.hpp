#pragma once
// SqlChallengeStore: the market's pending login challenges (service::ChallengeStore) in the table market_challenges
// (schema.hpp), so that several market instances on one database share them (a challenge fetched from one instance
// authenticates a POST on another), on SQLite and PostgreSQL.
//
// Semantics (service/challenge.hpp):
//  - find_or_insert: one pending challenge per (chain, address); an unexpired one is returned as is, an expired or
//    missing one is replaced by make_fresh() (one write transaction; make_fresh may run again when the transaction
//    is retried);
//  - find: by (hash, address), only when expires_ms > now_ms;
//  - consume: DELETE by (hash, address); true for exactly one of several concurrent callers (SQLite serialises the
//    writers; on PostgreSQL the loser either sees the row gone or is retried after a serialization failure and then
//    finds nothing).
// purge_expired(now_ms) deletes expired rows (call it from the service loop; challenges of addresses that never log
// in would otherwise stay until their address asks again).
//
// Errors: the database's (Errc::kIo, kTimeout). Thread safety: as store::Database (any thread).

#include <cstdint>
#include <functional>
#include <optional>

#include <wp/service/challenge.hpp>
#include <wp/store/store.hpp>

namespace wp::market {

class SqlChallengeStore final : public service::ChallengeStore {
  public:
    //! `db` must outlive the store and carry the market schema (migrate_market_schema).
    explicit SqlChallengeStore(store::Database& db) : db_(db) {}

    Result<service::StoredChallenge> find_or_insert(
        const Address& address, std::uint64_t chain_id, std::int64_t now_ms,
        const std::function<service::StoredChallenge()>& make_fresh) override;
    Result<std::optional<service::StoredChallenge>> find(const Bytes32& hash, const Address& address,
                                                         std::int64_t now_ms) override;
    Result<bool> consume(const Bytes32& hash, const Address& address) override;

    //! Deletes the challenges expired at now_ms; returns how many.
    Result<std::int64_t> purge_expired(std::int64_t now_ms);
    //! Pending rows (expired ones included), for tests and metrics.
    Result<std::int64_t> size();

  private:
    store::Database& db_;
};

}  // namespace wp::market
