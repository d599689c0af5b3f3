# The learner's front end: a thin wrapper over CMake, CTest and infra/.
# `make help` lists the commands. The work is done by scripts/workbook.
#
#   make example-1            run lesson 1's example
#   make test-1               grade your exercise 1   (SOLUTIONS=1: the reference)
#   make watch                grade the exercise you are on every time you save
#   make check                the project's own test: every grader proven
.DEFAULT_GOAL := help
SHELL := /bin/bash
WORKBOOK := scripts/workbook

export BUILD ?= build
export SOLUTIONS
export VALKEY_URL
export DATABASE_URL
export VALKEY_CLUSTER_URL
export WB_WERROR
export LESSONS
export FORCE
export POLL
export TEST
export TASK
export VERBOSE
export NO_COLOR

# A failing grade is a result, not an error of make's: the learner's commands
# end with status 0 once they have printed their RESULT line, so that make
# adds no "make: *** [...] Error 1" under it. Status 2 (a mistake in the
# command, such as a lesson that does not exist) stays an error. With CI set,
# or WB_STRICT=1, the grade is the exit status (1 for a failing exercise).
result = || { rc=$$?; if [ "$$rc" = 2 ] || [ -n "$$CI$$WB_STRICT" ]; then exit "$$rc"; fi; }

.PHONY: help setup infra-up infra-down infra-status cluster-up cluster-down cluster-status test next watch \
        reset-all doctor report check check-tools lessons compile-commands clean clean-all

help: ## this list
	@echo "Valkey Caching Workbook - commands"
	@echo
	@echo "Your loop"
	@echo "  make next          the first exercise that does not pass yet: what to read, what to edit"
	@echo "  make watch         grade the exercise you edit every time you save it; on to the next when it"
	@echo "                     passes; keys: h hint, n next, r run again, l list, q quit"
	@echo "  make watch-N       the same, starting with exercise N (POLL=1: no file events, look every second)"
	@echo "  make example-N     build and run lesson N's example (starts the servers it needs)"
	@echo "  make test-N        grade your exercise N; SOLUTIONS=1 grades the reference solution"
	@echo "                     TEST=\"words\": only the tests whose name holds them; TASK=2: only task 2's;"
	@echo "                     VERBOSE=1: every test and every failure in full"
	@echo "  make test          grade every exercise and print a progress table"
	@echo "  make hint-N        one more hint for the task your exercise N fails first (ask again for the next)"
	@echo "  make reset-N       put exercise N back to its stub, and its hints back to the first; asks first,"
	@echo "                     keeps your file in .workbook-backups/"
	@echo "                     (the stub: the newest committed version with all its WB_TODO lines, so your"
	@echo "                     own commits are skipped; FORCE=1: do not ask)"
	@echo "  make reset-all     the same for every exercise"
	@echo "  make lessons       the list of lessons"
	@echo
	@echo "Your machine"
	@echo "  make doctor        check compiler, packages, servers and URLs; the fix for each problem"
	@echo "  make setup         install what is missing (compiler, libraries, servers)"
	@echo "  make infra-up      start Valkey and PostgreSQL (Docker if an engine runs, else native)"
	@echo "  make infra-status  which servers, which versions, which ports, do they answer"
	@echo "  make infra-down    stop the servers the workbook started"
	@echo "  make cluster-up    start lesson 15's Valkey Cluster: 3 primaries, 3 replicas on 127.0.0.1"
	@echo "  make cluster-status  its nodes, roles and slots; is it healthy"
	@echo "  make cluster-down  stop the cluster and remove its folders (.state/cluster/)"
	@echo "  make compile-commands  compile_commands.json for your editor (clangd, VS Code, CLion)"
	@echo "  make clean         remove the build folder"
	@echo "  make clean-all     also stop the servers and remove what they left (.state/, any folder outside); says what"
	@echo
	@echo "Teaching and the project"
	@echo "  make report        grade everything; write $(BUILD)/report/results.json and summary.txt"
	@echo "  make check         the project's own test: solutions pass, stubs and mutants fail, tools work"
	@echo "  make check-tools   only the tests of these commands (tests/tools)"
	@echo
	@echo "Settings: VALKEY_URL (default redis://127.0.0.1:6379),"
	@echo "          NO_COLOR=1 (no colours), WB_TEST_TIMEOUT / WB_GRADE_TIMEOUT (time limits, 30 / 120 s),"
	@echo "          WB_TEST_JOBS (how many proofs make check runs at once; twice the cores),"
	@echo "          WB_STRICT=1 (a failing grade is the exit status of make test-N, as with CI set),"
	@echo "          DATABASE_URL (default postgresql://workbook:workbook@127.0.0.1:25432/workbook),"
	@echo "          VALKEY_CLUSTER_URL (lesson 15's cluster, default redis://127.0.0.1:7001: ports 7001-7006),"
	@echo "          LESSONS=\"1 3\" or LESSONS=2-5 (only those, for test, next, watch, report), BUILD (build folder)"

setup:
	@scripts/setup.sh

infra-up:
	@infra/infra.sh up

infra-down:
	@infra/infra.sh down

infra-status:
	@infra/infra.sh status

cluster-up:
	@infra/cluster.sh up

cluster-down:
	@infra/cluster.sh down

cluster-status:
	@infra/cluster.sh status

example-%:
	@$(WORKBOOK) example $* $(result)

test-%:
	@$(WORKBOOK) test $* $(result)

hint-%:
	@$(WORKBOOK) hint $* $(result)

test:
	@$(WORKBOOK) test-all $(result)

next:
	@$(WORKBOOK) next $(result)

watch:
	@$(WORKBOOK) watch $(result)

watch-%:
	@$(WORKBOOK) watch $* $(result)

reset-all:
	@$(WORKBOOK) reset all

reset-%:
	@$(WORKBOOK) reset $*

doctor:
	@$(WORKBOOK) doctor

report:
	@$(WORKBOOK) report

check:
	@$(WORKBOOK) check

check-tools:
	@tests/tools/run

lessons:
	@$(WORKBOOK) lessons

compile-commands:
	@$(WORKBOOK) compile-commands

clean:
	rm -rf "$(BUILD)" compile_commands.json

clean-all:
	@infra/cluster.sh down-all
	@infra/infra.sh clean
	rm -rf "$(BUILD)" compile_commands.json
