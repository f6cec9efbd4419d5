// Versioned schema migrations recorded in schema_migrations.

#include <string>

#include "store.hpp"

namespace wp::store {
namespace {

constexpr std::string_view kCreateTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " component TEXT NOT NULL,"
    " version BIGINT NOT NULL,"
    " description TEXT NOT NULL,"
    " applied_at BIGINT NOT NULL,"
    " PRIMARY KEY (component, version))";

constexpr std::string_view kSelectVersion =
    "SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations WHERE component = $1";

Result<std::int64_t> recorded_version(Tx& tx, std::string_view component) {
    WP_TRY(Row row, tx.query_row(kSelectVersion, component));
    return row.get<std::int64_t>(0);
}

}  // namespace

Result<std::int64_t> schema_version(Database& db, std::string_view component) {
    WP_TRY_VOID(db.write([&](Tx& tx) { return tx.exec_script(kCreateTable); }));
    return db.read([&](Tx& tx) { return recorded_version(tx, component); });
}

Result<std::int64_t> migrate(Database& db, std::string_view component, std::span<const Migration> migrations) {
    if (component.empty()) return make_error(Errc::kInvalidArgument, "migrate: empty component name");
    const std::string who = "database " + db.name() + ": ";
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        if (migrations[i].version != static_cast<std::int64_t>(i + 1))
            return make_error(Errc::kInvalidArgument, who + "schema '" + std::string(component) + "': migration #" +
                                                          std::to_string(i) + " has version " +
                                                          std::to_string(migrations[i].version) + ", expected " +
                                                          std::to_string(i + 1) + " (versions are 1, 2, 3, ...)");
    }
    const auto known = static_cast<std::int64_t>(migrations.size());
    WP_TRY(std::int64_t current, schema_version(db, component));
    auto newer = [&](std::int64_t v) {
        return make_error(Errc::kUnsupported, who + "schema '" + std::string(component) + "' is at version " +
                                                  std::to_string(v) + ", this binary knows up to " +
                                                  std::to_string(known) +
                                                  ": refusing to run on a database written by a newer version");
    };
    if (current > known) return newer(current);
    Clock& clock = db.options().clock != nullptr ? *db.options().clock : system_clock();
    for (const Migration& m : migrations) {
        if (m.version <= current) continue;
        auto applied = db.write([&](Tx& tx) -> Result<std::int64_t> {
            WP_TRY(std::int64_t v, recorded_version(tx, component));
            if (v >= m.version) return v;  // applied meanwhile by another process
            if (v != m.version - 1)
                return make_error(Errc::kIo, "recorded version " + std::to_string(v) + " skips a step");
            const std::string& sql =
                tx.backend() == Backend::kPostgres && !m.postgres_sql.empty() ? m.postgres_sql : m.sql;
            WP_TRY_VOID(tx.exec_script(sql));
            WP_TRY_VOID(tx.exec(
                "INSERT INTO schema_migrations (component, version, description, applied_at) VALUES ($1, $2, $3, $4)",
                component, m.version, m.description, clock.unix_ms()));
            return m.version;
        });
        if (!applied)
            return make_error(applied.error().code, who + "migration '" + std::string(component) + "' " +
                                                        std::to_string(m.version) + " (" + m.description +
                                                        "): " + applied.error().message);
        if (*applied > known) return newer(*applied);
        current = *applied;
    }
    return current;
}

}  // namespace wp::store
