# The learner's front end: a thin wrapper over CMake, CTest and infra/.
# `make help` lists the commands. The work is done by scripts/workbook.
#
#   make example-1            run lesson 1's example
#   make test-1               grade your exercise 1   (SOLUTIONS=1: the reference)
#   make check                the project's own test: every grader proven
.DEFAULT_GOAL := help
SHELL := /bin/bash
WORKBOOK := scripts/workbook

export BUILD ?= build
export SOLUTIONS
export VALKEY_URL
export DATABASE_URL
export WB_WERROR

.PHONY: help setup infra-up infra-down infra-status test check lessons clean

help: ## this list
	@echo "Valkey Caching Workbook - commands"
	@echo
	@echo "  make example-N     build and run lesson N's example (starts what it needs)"
	@echo "  make test-N        grade your exercise N; SOLUTIONS=1 grades the reference solution"
	@echo "  make test          grade every exercise and print a progress table"
	@echo "  make hint-N        one more hint for exercise N"
	@echo "  make check         the project's own test: solutions pass, stubs and mutants fail"
	@echo "  make lessons       the list of lessons"
	@echo
	@echo "  make setup         install what is missing (compiler, libraries, servers)"
	@echo "  make infra-up      start Valkey and PostgreSQL (Docker if an engine runs, else native)"
	@echo "  make infra-status  which servers, which versions, which ports, do they answer"
	@echo "  make infra-down    stop the servers the workbook started"
	@echo "  make clean         remove the build folder"
	@echo
	@echo "Settings: VALKEY_URL (default redis://127.0.0.1:6379),"
	@echo "          DATABASE_URL (default postgresql://workbook:workbook@127.0.0.1:55432/workbook)"

setup:
	@scripts/setup.sh

infra-up:
	@infra/infra.sh up

infra-down:
	@infra/infra.sh down

infra-status:
	@infra/infra.sh status

example-%:
	@$(WORKBOOK) example $*

test-%:
	@$(WORKBOOK) test $*

hint-%:
	@$(WORKBOOK) hint $*

test:
	@$(WORKBOOK) test-all

check:
	@$(WORKBOOK) check

lessons:
	@$(WORKBOOK) lessons

clean:
	rm -rf "$(BUILD)" compile_commands.json
