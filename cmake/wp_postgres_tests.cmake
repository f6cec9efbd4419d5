# The shared throwaway PostgreSQL cluster of the test suite (tests/store/pg_cluster.sh).
#
# The ctest fixture "store_pg" (tests store_pg.cluster_start / store_pg.cluster_stop, registered by
# libs/wp/store/CMakeLists.txt) starts ONE cluster before the first test that needs it and removes it after the
# last; the tests read its URL from the file named by WP_PG_URL_FILE (pg_test_support.hpp).
#
# wp_postgres_tests(<gtest target> <label>): the target's discovered tests whose names end in "/Postgres" (suites
# parameterised by backend, store::testing::backend_test_name) require that fixture, hold its resource lock, get the
# labels <label> (the target's own label: ctest scripts cannot read test properties) and store_pg, and the
# WP_PG_URL_FILE environment. Call it in the directory where the
# target's tests are discovered (the script runs inside ctest after gtest_discover_tests' include file, when the
# names are known). Run by hand, such a binary starts a private cluster itself (or uses $WP_PG_URL).
set(WP_PG_FIXTURE_DIR ${CMAKE_BINARY_DIR}/pg-fixture)

function(wp_postgres_tests target label)
  set(props ${CMAKE_CURRENT_BINARY_DIR}/${target}_pg_tests.cmake)
  file(WRITE ${props}
    "foreach(_t IN LISTS ${target}_TESTS)\n"
    "  if(_t MATCHES \"/Postgres( |$)\")\n"
    "    set_tests_properties(\"\${_t}\" PROPERTIES LABELS \"${label};store_pg\" FIXTURES_REQUIRED store_pg\n"
    "      RESOURCE_LOCK store_pg TIMEOUT 120 ENVIRONMENT \"WP_PG_URL_FILE=${WP_PG_FIXTURE_DIR}/url\")\n"
    "  endif()\n"
    "endforeach()\n")
  set_property(DIRECTORY APPEND PROPERTY TEST_INCLUDE_FILES ${props})
endfunction()
