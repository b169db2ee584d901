# Two commands on a fresh machine: `make demo` and `make test`. Each builds what it needs.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: demo test venv tools lint bench clean

$(VENV)/.installed: pyproject.toml constraints.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c constraints.txt -e '.[test]'
	touch $@

venv: $(VENV)/.installed

tools: venv
	scripts/install-pulumi

demo: tools
	scripts/demo

test: tools
	scripts/test

lint: venv
	$(VENV)/bin/ruff check .

# `make bench BENCH_ARGS="--quick --only validator"`; installs the Chaos Toolkit baseline (extra `bench`) once.
bench: tools
	$(PY) -c 'import chaostoolkit, chaosaws, pyinstrument' 2>/dev/null || $(PY) -m pip install --quiet -c constraints.txt -e '.[bench]'
	$(PY) bench/run.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .tools build *.egg-info .pytest_cache
