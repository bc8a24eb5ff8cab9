# The few functions every CMakeLists.txt in the tree uses, so that each library, binary and test
# is declared the same way: project warnings, include layout, target names, ctest labels.

# Warnings for project code only: generated protobuf code and system headers are not ours to fix.
# (No -Woverloaded-virtual: gRPC's generated callback services overload every method by design.)
function(itsm_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wnon-virtual-dtor
                                           -Wimplicit-fallthrough)
  if(ITSM_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

# itsm_library(<name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
# Creates itsm_<name> with alias itsm::<name>; headers live in include/itsm/<name>/.
function(itsm_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(itsm_${name} STATIC ${ARG_SOURCES})
  add_library(itsm::${name} ALIAS itsm_${name})
  target_include_directories(itsm_${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(itsm_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  itsm_warnings(itsm_${name})
endfunction()

# itsm_use_jemalloc(<target>): the binary allocates with jemalloc instead of glibc's malloc. Only
# for binaries where it was measured to pay (decision 174): it costs an idle process about 2.5 MB.
function(itsm_use_jemalloc target)
  target_link_libraries(${target} PRIVATE PkgConfig::JEMALLOC)
endfunction()

# itsm_executable(<target> OUTPUT_NAME <binary> SOURCES ... [DEPS ...])
function(itsm_executable target)
  cmake_parse_arguments(ARG "" "OUTPUT_NAME" "SOURCES;DEPS" ${ARGN})
  add_executable(${target} ${ARG_SOURCES})
  target_link_libraries(${target} PRIVATE ${ARG_DEPS})
  if(ARG_OUTPUT_NAME)
    set_target_properties(${target} PROPERTIES OUTPUT_NAME ${ARG_OUTPUT_NAME})
  endif()
  # All binaries land in one folder so that tests and the launcher find them side by side.
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/bin)
  itsm_warnings(${target})
  add_dependencies(itsm_suite ${target})
endfunction()

# itsm_test(<name> SOURCES ... [DEPS ...] [LABELS ...] [TIMEOUT seconds])
# One ctest entry per test binary: integration binaries share one expensive fixture (a
# PostgreSQL cluster, a broker) across their tests, which per-test discovery would restart.
function(itsm_test name)
  cmake_parse_arguments(ARG "" "TIMEOUT" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gmock GTest::gtest_main)
  set_target_properties(${name} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  itsm_warnings(${name})
  add_test(NAME ${name} COMMAND ${name})
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set_tests_properties(${name} PROPERTIES LABELS "${ARG_LABELS}" TIMEOUT ${ARG_TIMEOUT}
    ENVIRONMENT "ITSM_BIN_DIR=${CMAKE_BINARY_DIR}/bin")
endfunction()
