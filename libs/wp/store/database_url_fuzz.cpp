// libFuzzer target for the text parsers of the store (store.hpp, connection.hpp): the database URL (configuration
// files and flags) and the SQL placeholder / dialect-token rewriter.
//
// Properties checked on every input s:
//  - parse_database_url(s) never crashes; on success the redacted form keeps the scheme, contains no
//    password= query parameter, and for SQLite equals s with sqlite_path = s minus "sqlite:"; on failure the error
//    is Errc::kInvalidArgument with a message starting "database URL: ".
//  - rewrite_sql(s, PostgreSQL) is the identity when s has no "${"; rewrite_sql(s, SQLite) then has the same
//    length (each $N becomes ?N); both fail only with Errc::kInvalidArgument.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "connection.hpp"
#include "store.hpp"

namespace {

void fail(const char* what, std::size_t size) {
    std::fprintf(stderr, "database_url_fuzz: %s (input %zu bytes)\n", what, size);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 4096) return 0;
    const std::string_view s(reinterpret_cast<const char*>(data), size);
    using namespace wp::store;
    auto url = parse_database_url(s);
    if (url) {
        const std::size_t q = url->redacted.find('?');
        if (url->backend == Backend::kPostgres && q != std::string::npos) {
            const std::string query = "&" + url->redacted.substr(q + 1);
            if (query.find("&password=") != std::string::npos) fail("password parameter kept", size);
        }
        if (url->backend == Backend::kSqlite) {
            if (url->redacted != s || "sqlite:" + url->sqlite_path != s) fail("sqlite URL changed", size);
        } else if (url->conninfo != s || url->redacted.substr(0, 8) != s.substr(0, 8)) {
            fail("postgresql URL changed", size);
        }
    } else if (url.error().code != wp::Errc::kInvalidArgument || url.error().message.rfind("database URL: ", 0) != 0) {
        fail("unexpected URL error", size);
    }
    for (Backend b : {Backend::kPostgres, Backend::kSqlite}) {
        auto sql = detail::rewrite_sql(s, b);
        if (!sql) {
            if (sql.error().code != wp::Errc::kInvalidArgument) fail("unexpected SQL error", size);
            continue;
        }
        if (s.find("${") == std::string_view::npos) {
            if (b == Backend::kPostgres && *sql != s) fail("PostgreSQL rewrite changed a token-free statement", size);
            if (b == Backend::kSqlite && sql->size() != s.size()) fail("SQLite rewrite changed the length", size);
        }
    }
    return 0;
}
