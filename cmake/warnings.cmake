# Warnings for the project's own targets. CI turns them into errors with
# -DCMAKE_COMPILE_WARNING_AS_ERROR=ON (see CMakePresets.json, preset "ci").
set(WP_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
  -Woverloaded-virtual -Wconversion -Wsign-conversion -Wnull-dereference -Wdouble-promotion
  -Wformat=2 -Wimplicit-fallthrough)

# GCC 12 reports -Warray-bounds / -Wstringop-overflow false positives inside libstdc++'s
# vector::insert at -O2 (GCC bugs 107852, 106199); clang builds keep both checks.
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  list(APPEND WP_WARNINGS -Wno-array-bounds -Wno-stringop-overflow -Wno-stringop-overread)
  # ... and -Wnull-dereference false positives inside std::string at -O3.
  list(REMOVE_ITEM WP_WARNINGS -Wnull-dereference)
endif()

function(wp_set_warnings target)
  target_compile_options(${target} PRIVATE ${WP_WARNINGS})
endfunction()
