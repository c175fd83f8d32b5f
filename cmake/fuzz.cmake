# fuzz.cmake — libFuzzer targets (tests/fuzz/), built with -DSTORYPIPE_FUZZ=ON
# and clang (CC=clang); tests/fuzz/run.sh builds and runs them.
#
#   fuzz_html      the cleaner's HTML-to-text converter: no crash, leak or UB,
#                  and the output is valid UTF-8 without NUL bytes
#   fuzz_link      the cleaner's link resolution: its curl bypass agrees with
#                  curl, and every resolved link is a valid http(s) URL; and
#                  sp_url_canonical: its shortcut agrees with curl's second
#                  parse, and a canonical URL is its own canonical form
#   fuzz_envelope  sp_envelope_parse (jansson) and sp_envelope_check (the
#                  jsonscan scanner) agree on accept/reject and reason code
#   fuzz_split     the splitter's digest_split: no crash, leak or UB, a known
#                  rule, valid UTF-8 fields, and no text lost (every line of
#                  the input is in a story or skipped with a reason)
#   fuzz_fetch     the fetcher's e-mail (GMime) and feed (libxml2) parsers:
#                  no crash, leak or UB; valid UTF-8 fields, http(s) links,
#                  RFC 3339 dates
#   fuzz_fingerprint  the deduper's fingerprints: the AVX2 and SSE2 paths
#                  agree, the SimHash is the plain way's, the exact hash the
#                  normalised text's, and no read past a buffer
#
# libFuzzer is only guided by code compiled with coverage instrumentation
# (-fsanitize=fuzzer-no-link), and AddressSanitizer only sees overflows in
# code it instrumented. The project's own libraries are built like the rest
# of the project, so each fuzz target compiles its own instrumented copy of
# common/*.c (storypipe_fuzz_common) and of the service code it tests. Only
# the final link gets -fsanitize=fuzzer (libFuzzer's main()).
option(STORYPIPE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
if(NOT STORYPIPE_FUZZ)
  return()
endif()
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "STORYPIPE_FUZZ: libFuzzer needs clang, not ${CMAKE_C_COMPILER_ID} "
                      "(configure a fresh build directory with CC=clang)")
endif()

set(STORYPIPE_FUZZ_COMPILE_OPTIONS
    -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g)

# The fuzzer runtime ships in libclang-rt-<version>-dev on Debian, which
# `apt-get install --no-install-recommends clang` does not pull in.
include(CheckCSourceCompiles)
include(CMakePushCheckState)
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,address,undefined")
check_c_source_compiles([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; (void)size; return 0; }
]] STORYPIPE_HAVE_LIBFUZZER)
cmake_pop_check_state()
if(NOT STORYPIPE_HAVE_LIBFUZZER)
  message(FATAL_ERROR "STORYPIPE_FUZZ: ${CMAKE_C_COMPILER} cannot link -fsanitize=fuzzer; "
                      "on Debian install the compiler runtime (apt-get install libclang-rt-14-dev)")
endif()

add_library(storypipe_fuzz_common STATIC EXCLUDE_FROM_ALL ${STORYPIPE_COMMON_SOURCES})
target_include_directories(storypipe_fuzz_common PUBLIC
  ${PROJECT_SOURCE_DIR}/common ${CMAKE_BINARY_DIR}/generated)
get_target_property(_fuzz_common_deps storypipe_common INTERFACE_LINK_LIBRARIES)
target_link_libraries(storypipe_fuzz_common PUBLIC ${_fuzz_common_deps})
target_compile_options(storypipe_fuzz_common PRIVATE ${STORYPIPE_FUZZ_COMPILE_OPTIONS})

# storypipe_fuzz_target(NAME [SERVICE svc]): tests/fuzz/NAME.c, plus the
# service's sources (all but main.c) when SERVICE is given.
function(storypipe_fuzz_target name)
  cmake_parse_arguments(F "" "SERVICE" "" ${ARGN})
  set(sources ${PROJECT_SOURCE_DIR}/tests/fuzz/${name}.c)
  if(F_SERVICE)
    file(GLOB svc CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/services/${F_SERVICE}/*.c)
    list(FILTER svc EXCLUDE REGEX "/main\\.c$")
    list(APPEND sources ${svc})
  endif()
  add_executable(${name} EXCLUDE_FROM_ALL ${sources})
  if(F_SERVICE)
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/services/${F_SERVICE})
  endif()
  target_compile_options(${name} PRIVATE ${STORYPIPE_FUZZ_COMPILE_OPTIONS})
  target_link_options(${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(${name} PRIVATE storypipe_fuzz_common)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()

storypipe_fuzz_target(fuzz_html SERVICE cleaner)
storypipe_fuzz_target(fuzz_link SERVICE cleaner)
storypipe_fuzz_target(fuzz_envelope)
storypipe_fuzz_target(fuzz_split SERVICE splitter)
storypipe_fuzz_target(fuzz_fetch SERVICE fetcher)
target_link_libraries(fuzz_fetch PRIVATE PkgConfig::GMIME PkgConfig::LIBXML2)
storypipe_fuzz_target(fuzz_fingerprint SERVICE deduper)
target_include_directories(fuzz_fingerprint PRIVATE ${PROJECT_SOURCE_DIR}/tests/unit/deduper)
add_custom_target(fuzz DEPENDS fuzz_html fuzz_link fuzz_envelope fuzz_split fuzz_fetch fuzz_fingerprint)
