# Build and run one consumer project.
#   cmake -DKIND=<add_subdirectory|fetch_content|find_package|no_cmake> -DDUPLEX_ROOT=... -DWORK_DIR=...
#         -DCXX=<compiler> -P run_consumer.cmake
cmake_minimum_required(VERSION 3.16)
set(here "${CMAKE_CURRENT_LIST_DIR}")
file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

function(run)
    execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(NOT rc EQUAL 0)
        message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}\n${err}")
    endif()
endfunction()

set(configure_args -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_BUILD_TYPE=Release)
if(KIND STREQUAL "no_cmake")
    # The "copy include/" user: nothing but the compiler and the headers.
    run(${CXX} -std=c++17 -I "${DUPLEX_ROOT}/include" "${here}/consumer_main.cpp" -pthread -o "${WORK_DIR}/consumer")
elseif(KIND STREQUAL "find_package")
    run(${CMAKE_COMMAND} -S "${DUPLEX_ROOT}" -B "${WORK_DIR}/duplex-build" ${configure_args} -DDUPLEX_BUILD_TESTS=OFF
        -DDUPLEX_BUILD_EXAMPLES=OFF -DDUPLEX_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} --install "${WORK_DIR}/duplex-build")
    run(${CMAKE_COMMAND} -S "${here}/find_package" -B "${WORK_DIR}/build" ${configure_args}
        -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix)
    run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
    if(EXISTS "${WORK_DIR}/build/consumer_tls")
        run("${WORK_DIR}/build/consumer_tls")
    endif()
    file(RENAME "${WORK_DIR}/build/consumer" "${WORK_DIR}/consumer")
else()
    run(${CMAKE_COMMAND} -S "${here}/${KIND}" -B "${WORK_DIR}/build" ${configure_args} -DDUPLEX_ROOT=${DUPLEX_ROOT})
    run(${CMAKE_COMMAND} --build "${WORK_DIR}/build")
    file(RENAME "${WORK_DIR}/build/consumer" "${WORK_DIR}/consumer")
endif()
run("${WORK_DIR}/consumer")
message(STATUS "${KIND}: built and round trip ok")
