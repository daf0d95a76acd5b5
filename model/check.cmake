# Checks one instance of the godwit model with rumur (docs/model.md).
#
#   cmake -DRUMUR=/usr/bin/rumur -DCC=clang -DMODEL=model \
#         -DNAME=protocol [-DSET=MAXW=3,MAXCRASH=1] [-DEXPECT=pass] \
#         [-DOPT=-O1] [-DCFLAGS=-mcx16] [-DWORKDIR=build/model/protocol] \
#         -P model/check.cmake
#
# MODEL    the folder of the model: its four parts are read as one file, in
#          the order of GODWIT_MODEL_PARTS below (Murphi has no include).
# SET      constants of the model to override, NAME=VALUE separated by commas
#          (MUTANT=n selects a mutant).
# EXPECT   "pass": the check must find no error and reach every cover
#          property; it prints the state count. Otherwise the name of the
#          invariant that must fail (alternatives separated by "|"): any
#          other outcome (a pass, another invariant, an assertion, a
#          deadlock, a compile error) fails the test.
#
# The instance is written to WORKDIR/NAME.m, rumur generates NAME.c (one
# thread, no deadlock detection: a finished run ends in states with nothing
# left to do), CC compiles it, and the verifier runs. Without rumur the
# check prints "model check skipped: rumur not found" (ctest reports it as
# skipped) and succeeds.
cmake_minimum_required(VERSION 3.25)

foreach(var MODEL NAME CC)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "check.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED EXPECT OR EXPECT STREQUAL "")
  set(EXPECT pass)
endif()
if(NOT DEFINED OPT OR OPT STREQUAL "")
  set(OPT -O1)
endif()
if(NOT DEFINED WORKDIR OR WORKDIR STREQUAL "")
  set(WORKDIR ${CMAKE_CURRENT_BINARY_DIR}/model-${NAME})
endif()

if(NOT DEFINED RUMUR OR NOT EXISTS "${RUMUR}")
  message("model check skipped: rumur not found (scripts/bootstrap installs "
          "the Debian package rumur)")
  return()
endif()

# The instance: the model's parts, in order, with constants overridden.
set(GODWIT_MODEL_PARTS godwit_state.m godwit_logic.m godwit_rules.m
                       godwit_properties.m)
set(text "")
foreach(part IN LISTS GODWIT_MODEL_PARTS)
  if(NOT EXISTS ${MODEL}/${part})
    message(FATAL_ERROR "check.cmake: ${MODEL}/${part} is missing")
  endif()
  file(READ ${MODEL}/${part} part_text)
  string(APPEND text "${part_text}")
endforeach()
if(DEFINED SET AND NOT SET STREQUAL "")
  string(REPLACE "," ";" assignments "${SET}")
  foreach(assignment IN LISTS assignments)
    if(NOT assignment MATCHES "^([A-Z_0-9]+)=([0-9]+)$")
      message(FATAL_ERROR "check.cmake: bad SET entry '${assignment}' "
                          "(want NAME=VALUE)")
    endif()
    set(const ${CMAKE_MATCH_1})
    set(value ${CMAKE_MATCH_2})
    # A constant is declared on its own line: "  NAME : value;".
    set(pattern "\n  ${const} +: *[0-9]+;")
    if(NOT text MATCHES "${pattern}")
      message(FATAL_ERROR "check.cmake: the model declares no constant ${const}")
    endif()
    string(REGEX REPLACE "${pattern}" "\n  ${const} : ${value};" text "${text}")
  endforeach()
endif()
file(MAKE_DIRECTORY ${WORKDIR})
file(WRITE ${WORKDIR}/${NAME}.m "${text}")

string(TIMESTAMP t0 "%s")
execute_process(
  COMMAND ${RUMUR} --threads 1 --deadlock-detection off --pack-state off
          --colour off --output ${WORKDIR}/${NAME}.c ${WORKDIR}/${NAME}.m
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: rumur rejected the model (${rc}):\n${out}")
endif()
separate_arguments(cflags UNIX_COMMAND "${CFLAGS}")
execute_process(
  COMMAND ${CC} -std=gnu11 ${OPT} ${cflags} -w ${WORKDIR}/${NAME}.c
          -o ${WORKDIR}/${NAME} -lpthread
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: the verifier does not compile (${rc}):\n${out}")
endif()
string(TIMESTAMP t1 "%s")
execute_process(COMMAND ${WORKDIR}/${NAME}
  WORKING_DIRECTORY ${WORKDIR}
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
string(TIMESTAMP t2 "%s")
file(WRITE ${WORKDIR}/${NAME}.out "${out}")
math(EXPR build_s "${t1} - ${t0}")
math(EXPR check_s "${t2} - ${t1}")

set(states "?")
if(out MATCHES "([0-9]+) states, ([0-9]+) rules fired")
  set(states ${CMAKE_MATCH_1})
  set(rules ${CMAKE_MATCH_2})
endif()
set(summary "${states} states, ${rules} rules fired; generate+compile ${build_s} s, check ${check_s} s")

if(EXPECT STREQUAL "pass")
  if(NOT rc EQUAL 0 OR NOT out MATCHES "No error found")
    message(FATAL_ERROR "${NAME}: the model must pass but the check failed "
                        "(${rc}):\n${out}")
  endif()
  if(out MATCHES "not hit")
    message(FATAL_ERROR "${NAME}: a cover property was not reached:\n${out}")
  endif()
  string(REGEX MATCHALL "cover \"[^\"]*\" hit [0-9]+ times" covers "${out}")
  string(REPLACE ";" "\n  " covers "${covers}")
  message("${NAME}: passed, ${summary}\n  ${covers}")
  return()
endif()

# A mutant: the check must fail, and on the expected invariant.
if(rc EQUAL 0)
  message(FATAL_ERROR "${NAME}: the mutant was NOT caught (${summary}):\n${out}")
endif()
if(NOT out MATCHES "invariant \"([^\"]+)\" failed")
  message(FATAL_ERROR "${NAME}: the check failed, but not on an invariant "
                      "(a deadlock, an assertion or an error of the model "
                      "does not count as catching the mutant):\n${out}")
endif()
set(fired "${CMAKE_MATCH_1}")
string(REPLACE "|" ";" expected "${EXPECT}")
if(NOT fired IN_LIST expected)
  message(FATAL_ERROR "${NAME}: invariant \"${fired}\" failed, expected "
                      "\"${EXPECT}\":\n${out}")
endif()
# The counterexample, one step a line.
string(REGEX MATCHALL "(Startstate|Rule) [^\n]* fired" steps "${out}")
string(REPLACE ";" "\n  " steps "${steps}")
message("${NAME}: caught, invariant \"${fired}\" failed; ${summary}\n"
        "counterexample:\n  ${steps}")
