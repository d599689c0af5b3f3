// Linked into every executable of a sanitizer build (-DWB_SANITIZE=ON): the
// sanitizers' settings, built in, so that a grader run by hand, by `make
// test-N` or by CTest reports and fails alike.
//
// The runtime calls these functions at start-up when the program defines them.

extern "C" {

// Stop at the first report; print a stack with each undefined behaviour.
// (The build's -fno-sanitize-recover=all makes UBSan stop too.)
const char* __asan_default_options() { return "halt_on_error=1:detect_leaks=1"; }
const char* __ubsan_default_options() { return "halt_on_error=1:print_stacktrace=1"; }

// Leaks that are not ours, by name, each with its reason.
const char* __lsan_default_suppressions() {
  // libpqxx 6.4 (Debian 12) loses the PGresult that libpq makes for the
  // server's error when a statement meets a backend the server terminated
  // (pg_terminate_backend; workbook/tests/test_postgres.cpp "after its
  // connection is cut ..."). libpq has no frame pointers, so the stack
  // LeakSanitizer records ends inside libpq: the one name it shows is libpq's
  // result allocator. Nothing in the workbook calls libpq directly (results
  // are pqxx::result objects, which free theirs), so a leak of ours still
  // shows as the object that owned the result.
  return "leak:PQmakeEmptyPGresult\n";
}

}  // extern "C"
