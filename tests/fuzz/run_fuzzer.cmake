# Runs one libFuzzer target for a bounded time on a working copy of its seed corpus.
#
#   cmake -DFUZZER=<exe> -DNAME=<name> -DSEEDS=<repo corpus dir> -DWORK=<build work dir>
#         -DSECONDS=<default run time> [-DDICT=<file>] -P run_fuzzer.cmake
#
# The seeds are copied into WORK/corpus (the repository's corpus is never written to; inputs the
# fuzzer finds accumulate in the build tree). The environment variable WP_FUZZ_SECONDS overrides
# SECONDS. Crash reproducers land in WORK/artifacts/.
foreach(var FUZZER NAME SEEDS WORK SECONDS)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()

if(DEFINED ENV{WP_FUZZ_SECONDS} AND NOT "$ENV{WP_FUZZ_SECONDS}" STREQUAL "")
  set(SECONDS "$ENV{WP_FUZZ_SECONDS}")
endif()

set(corpus "${WORK}/corpus")
set(artifacts "${WORK}/artifacts/")
file(MAKE_DIRECTORY "${corpus}" "${artifacts}")
if(IS_DIRECTORY "${SEEDS}")
  file(COPY "${SEEDS}/" DESTINATION "${corpus}")
else()
  message(WARNING "fuzz ${NAME}: no seed corpus at ${SEEDS}; starting from an empty corpus")
endif()

set(args -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10 -print_final_stats=1
         -artifact_prefix=${artifacts})
if(DICT AND EXISTS "${DICT}")
  list(APPEND args -dict=${DICT})
endif()

message(STATUS "fuzz ${NAME}: ${FUZZER} ${args} ${corpus}")
execute_process(COMMAND "${FUZZER}" ${args} "${corpus}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  file(GLOB crashes "${artifacts}*")
  message(FATAL_ERROR "fuzz ${NAME}: the fuzzer failed (exit ${rc}). Reproducers: ${crashes}\n"
                      "Replay one with: ${FUZZER} <file>")
endif()
message(STATUS "fuzz ${NAME}: no failure in ${SECONDS} s")
