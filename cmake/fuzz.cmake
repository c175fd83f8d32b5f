# fuzz.cmake — libFuzzer targets (tests/fuzz/), built with -DSTORYPIPE_FUZZ=ON
# and clang (CC=clang). Include it from the top-level CMakeLists.txt after
# storypipe_common is defined; tests/fuzz/run.sh builds and runs the targets.
#
#   fuzz_html      the cleaner's HTML-to-text converter: no crash, leak or UB,
#                  and the output is valid UTF-8 without NUL bytes
#   fuzz_envelope  sp_envelope_parse (jansson) and sp_envelope_check (the
#                  jsonscan scanner) agree on accept/reject and reason code
#
# How it is put together: libFuzzer is only guided by code compiled with
# coverage instrumentation (-fsanitize=fuzzer-no-link), and AddressSanitizer
# only sees overflows in code it instrumented. storypipe_common itself is
# left alone (it is built like the rest of the project), so the fuzz targets
# link their own copy of common/*.c, storypipe_fuzz_common, compiled with
# -fsanitize=fuzzer-no-link,address,undefined; the code under test (the
# cleaner's sources except main.c, common/jsonscan.c, common/envelope.c) is
# in it or compiled into the target itself, so it is instrumented for both.
# Only the final link of each target gets -fsanitize=fuzzer (libFuzzer's
# main()) together with the ASan/UBSan runtimes.
option(STORYPIPE_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)
set(STORYPIPE_FUZZ_HTML_API AUTO CACHE STRING
    "Converter fuzz_html calls: AUTO (html_to_text when services/cleaner/html.c exists), NEW or LEGACY (clean_html_text)")
set_property(CACHE STORYPIPE_FUZZ_HTML_API PROPERTY STRINGS AUTO NEW LEGACY)

if(NOT STORYPIPE_FUZZ)
  return()
endif()
if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(WARNING "STORYPIPE_FUZZ: libFuzzer needs clang, not ${CMAKE_C_COMPILER_ID} "
                  "(configure a fresh build directory with CC=clang); fuzz targets skipped")
  return()
endif()

set(STORYPIPE_FUZZ_SANITIZERS address,undefined)
set(STORYPIPE_FUZZ_COMPILE_OPTIONS
    -fsanitize=fuzzer-no-link,${STORYPIPE_FUZZ_SANITIZERS} -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer -g)
set(STORYPIPE_FUZZ_LINK_OPTIONS -fsanitize=fuzzer,${STORYPIPE_FUZZ_SANITIZERS})

# The fuzzer runtime ships in libclang-rt-<version>-dev on Debian, which
# `apt-get install --no-install-recommends clang` does not pull in.
include(CheckCSourceCompiles)
include(CMakePushCheckState)
cmake_push_check_state(RESET)
set(CMAKE_REQUIRED_FLAGS "-fsanitize=fuzzer,${STORYPIPE_FUZZ_SANITIZERS}")
check_c_source_compiles([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; (void)size; return 0; }
]] STORYPIPE_HAVE_LIBFUZZER)
cmake_pop_check_state()
if(NOT STORYPIPE_HAVE_LIBFUZZER)
  message(FATAL_ERROR "STORYPIPE_FUZZ: ${CMAKE_C_COMPILER} cannot link -fsanitize=fuzzer,${STORYPIPE_FUZZ_SANITIZERS}; "
                      "on Debian install the compiler runtime (apt-get install libclang-rt-14-dev for clang-14)")
endif()

# common/*.c again, instrumented (see above).
add_library(storypipe_fuzz_common STATIC EXCLUDE_FROM_ALL ${STORYPIPE_COMMON_SOURCES})
target_include_directories(storypipe_fuzz_common PUBLIC
  ${PROJECT_SOURCE_DIR}/common ${CMAKE_BINARY_DIR}/generated)
get_target_property(_fuzz_common_deps storypipe_common INTERFACE_LINK_LIBRARIES)
target_link_libraries(storypipe_fuzz_common PUBLIC ${_fuzz_common_deps})
target_compile_options(storypipe_fuzz_common PRIVATE ${STORYPIPE_FUZZ_COMPILE_OPTIONS})

function(storypipe_fuzz_target name)
  add_executable(${name} EXCLUDE_FROM_ALL ${ARGN})
  target_compile_options(${name} PRIVATE ${STORYPIPE_FUZZ_COMPILE_OPTIONS})
  target_link_options(${name} PRIVATE ${STORYPIPE_FUZZ_LINK_OPTIONS})
  target_link_libraries(${name} PRIVATE storypipe_fuzz_common)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
endfunction()

# fuzz_html: the converter's sources (every services/cleaner/*.c but main.c,
# so html.c and whatever it is split into come in by themselves).
file(GLOB _fuzz_cleaner_sources CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/services/cleaner/*.c)
list(FILTER _fuzz_cleaner_sources EXCLUDE REGEX "/main\\.c$")
storypipe_fuzz_target(fuzz_html ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_html.c ${_fuzz_cleaner_sources})
target_include_directories(fuzz_html PRIVATE ${PROJECT_SOURCE_DIR}/services/cleaner)
set(_fuzz_html_api ${STORYPIPE_FUZZ_HTML_API})
if(_fuzz_html_api STREQUAL "AUTO")
  if(EXISTS ${PROJECT_SOURCE_DIR}/services/cleaner/html.c)
    set(_fuzz_html_api NEW)
  else()
    set(_fuzz_html_api LEGACY)
  endif()
endif()
if(_fuzz_html_api STREQUAL "LEGACY")
  target_compile_definitions(fuzz_html PRIVATE FUZZ_LEGACY_CLEAN)
  message(STATUS "fuzz_html: legacy converter clean_html_text (services/cleaner/text.c)")
elseif(_fuzz_html_api STREQUAL "NEW")
  message(STATUS "fuzz_html: html_to_text (services/cleaner/html.h)")
else()
  message(FATAL_ERROR "STORYPIPE_FUZZ_HTML_API must be AUTO, NEW or LEGACY, not '${STORYPIPE_FUZZ_HTML_API}'")
endif()

# fuzz_envelope: jsonscan.c and envelope.c are in storypipe_fuzz_common.
storypipe_fuzz_target(fuzz_envelope ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_envelope.c)

add_custom_target(fuzz DEPENDS fuzz_html fuzz_envelope)
