# The habits, by name. `make test` is the README's test command (what CI runs); `make lint` is its first half.
.PHONY: setup test lint demo

setup:
	scripts/bootstrap setup

test:
	scripts/bootstrap test

lint:
	scripts/bootstrap lint

demo:
	scripts/bootstrap demo
