# Builds tests/cmake_consumer as a user would: against an installed csmetrics
# (MODE=find_package) or with csmetrics as a subfolder (MODE=add_subdirectory).

# Runs the command in ARGN; a failure stops the test with "<what> failed".
function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(rc)
    message(FATAL_ERROR "${what} failed")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(_args -DCMAKE_CXX_COMPILER=${CXX} -DCSMETRICS_CONSUMER_MODE=${MODE})
if(MODE STREQUAL "find_package")
  run_step("configuring csmetrics"
           ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib
           -DCSMETRICS_BUILD_TESTS=OFF -DCSMETRICS_BUILD_EXAMPLES=OFF
           -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
  run_step("building csmetrics" ${CMAKE_COMMAND} --build ${WORK_DIR}/lib)  # csmetrics::compiled
  run_step("installing csmetrics" ${CMAKE_COMMAND} --install ${WORK_DIR}/lib)
  if(NOT EXISTS ${WORK_DIR}/prefix/share/pkgconfig/csmetrics.pc)
    message(FATAL_ERROR "the pkg-config file was not installed")
  endif()
  list(APPEND _args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
else()
  list(APPEND _args -DCSMETRICS_SOURCE_DIR=${SOURCE_DIR})
endif()
run_step("configuring the consumer (${MODE})"
         ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/cmake_consumer -B ${WORK_DIR}/build ${_args})
run_step("building the consumer (${MODE})" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
foreach(_exe consumer consumer_compiled)
  execute_process(COMMAND ${WORK_DIR}/build/${_exe} RESULT_VARIABLE rc OUTPUT_VARIABLE out)
  if(rc OR NOT out MATCHES "consumer ok")
    message(FATAL_ERROR "${_exe} (${MODE}) did not run: ${rc} ${out}")
  endif()
  message(STATUS "${_exe} (${MODE}): ${out}")
endforeach()
