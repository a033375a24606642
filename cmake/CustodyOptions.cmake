# Shared compile settings and the helpers every module folder uses.

set(CUSTODY_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Woverloaded-virtual -Wnull-dereference -Wformat=2 -Wimplicit-fallthrough)
if(CUSTODY_WERROR)
  list(APPEND CUSTODY_WARNINGS -Werror)
endif()

if(CUSTODY_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()

# Boost.Asio: C++20 coroutines, no deprecated interfaces.
add_compile_definitions(BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)

# custody_library(NAME SOURCES ... DEPS ...) defines custody_NAME from one module folder.
# Headers are included as "custody/<module>/<file>.h", rooted at src/.
function(custody_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(custody_${name} STATIC ${ARG_SOURCES})
  target_include_directories(custody_${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_compile_options(custody_${name} PRIVATE ${CUSTODY_WARNINGS})
  target_link_libraries(custody_${name} PUBLIC ${ARG_DEPS})
endfunction()

# custody_test(NAME SOURCES ... DEPS ... [LABELS ...]) defines a GoogleTest binary and
# registers its cases with CTest.
function(custody_test name)
  if(NOT CUSTODY_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_compile_options(${name} PRIVATE ${CUSTODY_WARNINGS})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  target_compile_definitions(${name} PRIVATE
      CUSTODY_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
      CUSTODY_CONFORMANCE_DIR="${PROJECT_SOURCE_DIR}/../shared/conformance")
  if(NOT ARG_LABELS)
    set(ARG_LABELS unit)
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS "${ARG_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()
