#pragma once
// The GoogleTest fixture of every suite that runs on both backends (store, SQL journal, market, ...): each test gets a
// fresh scratch database (pg_test_support.hpp: a SQLite file, or a PostgreSQL schema on the shared cluster) opened
// into db_, closed before the scratch database is removed.
//
//   class OrderBookTest : public store::testing::BackendTest {
//     protected:
//       void SetUp() override {
//           open_database("market_book");
//           if (HasFatalFailure()) return;
//           ...
//       }
//   };
//   WP_INSTANTIATE_ON_BOTH_BACKENDS(OrderBookTest);   // test names end in /Sqlite and /Postgres
//
// For test binaries only (it includes GoogleTest).

#include <memory>
#include <optional>
#include <string_view>

#include <gtest/gtest.h>

#include "pg_test_support.hpp"

namespace wp::store::testing {

class BackendTest : public ::testing::TestWithParam<Backend> {
  protected:
    //! Opens a fresh scratch database named after `tag` into db_; a fatal test failure when it cannot (check
    //! HasFatalFailure() after the call).
    void open_database(std::string_view tag, const Options& options = {}) {
        auto opened = open_scratch(GetParam(), tag, options);
        ASSERT_TRUE(opened) << opened.error().message;
        scratch_.emplace(std::move(opened->scratch));
        db_ = std::move(opened->db);
    }
    //! Closes the database (subclasses that override it must reset db_ too).
    void TearDown() override { db_.reset(); }

    std::optional<ScratchDatabase> scratch_;
    std::unique_ptr<Database> db_;
};

}  // namespace wp::store::testing

//! Instantiates a BackendTest suite on SQLite and PostgreSQL (names ending in /Sqlite, /Postgres: wp_postgres_tests).
#define WP_INSTANTIATE_ON_BOTH_BACKENDS(suite)                                                                  \
    INSTANTIATE_TEST_SUITE_P(Backends, suite,                                                                   \
                             ::testing::Values(::wp::store::Backend::kSqlite, ::wp::store::Backend::kPostgres), \
                             [](const auto& p) { return ::wp::store::testing::backend_test_name(p.param); })
