# Runs one lesson's example for CTest (`make check`, labels check and compat):
# it passes when the example exits 0 and printed its banner, the line that
# names the server ("Connected to valkey 8.0.1 at 127.0.0.1:6379").
#   cmake -DEXAMPLE=path/to/example-NN -P run_example.cmake
execute_process(COMMAND "${EXAMPLE}" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err
                TIMEOUT 240)
message("${out}${err}")
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "the example did not finish: exit ${rc}")
endif()
if(NOT out MATCHES "(^|\n)Connected to (valkey|redis) [0-9]")
  message(FATAL_ERROR "the example did not print its banner (Connected to <server> <version> ...)")
endif()
