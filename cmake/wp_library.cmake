# wp_library(<name> DEPS <public deps...> [PRIVATE_DEPS <deps...>])
#
# Builds libs/wp/<name>/ as the static library wp_<name>. By naming convention:
#   *_test.cpp       go into the gtest executable wp_<name>_test (label "unit")
#   *_benchmark.cpp  are collected by bench/ into the one benchmark binary
#   *_fuzz.cpp       are libFuzzer targets, built only with WP_FUZZ (tests/fuzz)
# Everything else (*.cpp) is the library. Headers are included as <wp/<name>/x.hpp>.
#
# The module DAG is enforced by the build: a library sees only its own headers and those of the libraries it links.
# There is no include path to libs/ itself; instead each module gets a staging directory
# <build>/wp_include/<name>/ holding one entry, wp/<name> -> libs/wp/<name> (a symbolic link), which is the
# module's only PUBLIC include directory. A dependent reaches it only through target_link_libraries (DEPS,
# PRIVATE_DEPS, TEST_DEPS), so `#include <wp/devnet/anvil.hpp>` in a module that does not depend on devnet fails
# to compile ("No such file or directory"). tests/dag/ proves it (ctest label "dag").
function(wp_library name)
  cmake_parse_arguments(ARG "" "" "DEPS;PRIVATE_DEPS;TEST_DEPS" ${ARGN})
  set(dir ${CMAKE_CURRENT_SOURCE_DIR})
  set(stage ${CMAKE_BINARY_DIR}/wp_include/${name})
  file(MAKE_DIRECTORY ${stage}/wp)
  if(NOT IS_SYMLINK ${stage}/wp/${name})
    file(CREATE_LINK ${dir} ${stage}/wp/${name} SYMBOLIC)
  endif()
  file(GLOB all_sources CONFIGURE_DEPENDS ${dir}/*.cpp)
  set(lib_sources "")
  set(test_sources "")
  set(bench_sources "")
  foreach(src IN LISTS all_sources)
    if(src MATCHES "_test\\.cpp$")
      list(APPEND test_sources ${src})
    elseif(src MATCHES "_benchmark\\.cpp$")
      list(APPEND bench_sources ${src})
    elseif(src MATCHES "_fuzz\\.cpp$")
      # built by tests/fuzz
    else()
      list(APPEND lib_sources ${src})
    endif()
  endforeach()

  if(lib_sources)
    add_library(wp_${name} STATIC ${lib_sources})
    target_include_directories(wp_${name} PUBLIC ${stage})
    target_link_libraries(wp_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
    wp_set_warnings(wp_${name})
  else()
    # A module that has only headers so far.
    add_library(wp_${name} INTERFACE)
    target_include_directories(wp_${name} INTERFACE ${stage})
    target_link_libraries(wp_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(wp::${name} ALIAS wp_${name})

  set_property(GLOBAL APPEND PROPERTY WP_BENCH_SOURCES ${bench_sources})
  set_property(GLOBAL APPEND PROPERTY WP_BENCH_LIBS wp_${name})
  set_property(GLOBAL APPEND PROPERTY WP_LIB_SOURCES_${name} ${lib_sources})

  if(WP_TESTS AND test_sources)
    add_executable(wp_${name}_test ${test_sources})
    target_link_libraries(wp_${name}_test PRIVATE wp_${name} ${ARG_TEST_DEPS} GTest::gtest GTest::gtest_main)
    target_compile_definitions(wp_${name}_test PRIVATE
      WP_SHARED_DIR="${WP_SHARED_DIR}" WP_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
    wp_set_warnings(wp_${name}_test)
    gtest_discover_tests(wp_${name}_test
      PROPERTIES LABELS "unit"
      DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
