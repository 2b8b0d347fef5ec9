# Warnings, sanitizers and the helpers every folder uses to declare its library, tests and fuzzers.
include(GoogleTest)

add_library(keylink_options INTERFACE)
target_compile_options(keylink_options INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                                 -Wno-sign-conversion)
if(KEYLINK_WERROR)
  target_compile_options(keylink_options INTERFACE -Werror)
endif()
if(KEYLINK_SANITIZE)
  set(sanitizers -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_compile_options(keylink_options INTERFACE ${sanitizers})
  target_link_options(keylink_options INTERFACE ${sanitizers})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    # Coverage for libFuzzer in every library, not only in the fuzz targets' own files.
    target_compile_options(keylink_options INTERFACE -fsanitize=fuzzer-no-link)
  endif()
endif()

set(KEYLINK_TESTDATA ${PROJECT_SOURCE_DIR}/testdata)

# keylink_library(NAME SOURCES... DEPS...): one library per layer, its public headers in include/.
function(keylink_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC keylink_options ${ARG_DEPS})
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
endfunction()

# keylink_test(NAME SOURCES... DEPS...): a GoogleTest program; each test case is a ctest test.
function(keylink_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/src)  # src/testing/
  target_compile_definitions(${name} PRIVATE KEYLINK_TESTDATA="${KEYLINK_TESTDATA}")
  gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST)
endfunction()

# keylink_fuzzer(NAME SOURCE DEPS...): a libFuzzer target under clang; with another compiler, a
# program that runs each file given to it once. Either way ctest replays fuzz/corpus/NAME.
function(keylink_fuzzer name source)
  add_executable(${name} ${source})
  target_link_libraries(${name} PRIVATE ${ARGN})
  if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
  else()
    target_sources(${name} PRIVATE ${PROJECT_SOURCE_DIR}/fuzz/replay_main.cc)
  endif()
  add_test(NAME ${name}.corpus COMMAND ${name} -runs=0 ${PROJECT_SOURCE_DIR}/fuzz/corpus/${name})
endfunction()
