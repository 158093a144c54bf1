# The two commands a fresh clone needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
STAMP := $(VENV)/.installed-stamp
SCALE ?= 1
# scales `make bench` runs on this machine; scale 1000 needs a bigger one (see BENCHMARKS.md)
BENCH_SCALES ?= 1 10 100

export AIRFLOW__CORE__LOAD_EXAMPLES := False
export RUST_LOG ?= warn

JARS_STAMPS := $(patsubst infra/jvm/%/pom.xml,.jars/%/.fetched,$(wildcard infra/jvm/*/pom.xml))

.PHONY: setup jars run test test-unit bench up down clean lock test-dags test-e2e airflow-standalone maintain chaos browser bench-portal

setup: $(STAMP) jars

# JVM jars for the local Spark Connect / OpenSearch / Kafka services, pinned in infra/jvm/*/pom.xml
# and fetched with mvn (offline once fetched; a pom change fetches again).
jars: $(JARS_STAMPS) .jars/opensearch/launcher/.compiled

.jars/%/.fetched: infra/jvm/%/pom.xml $(STAMP)
	$(BIN)/python -m infra.jars fetch $*

# GraphFrames' JVM core is built from its vendored sources (mvn package; see third_party/graphframes/)
.jars/graphframes/.fetched: $(shell find third_party/graphframes -type f)

# the OpenSearch node's launcher (infra/opensearch.py), compiled with javac against its jars
.jars/opensearch/launcher/.compiled: $(shell find infra/jvm/opensearch/src -name '*.java') .jars/opensearch/.fetched
	$(BIN)/python -m infra.opensearch compile

# uv installs the ~1.9 GB stack in under a minute where pip takes several. It compiles the bytecode
# at install (38 s on 2 cores for a fresh clone) because a shell with PYTHONDONTWRITEBYTECODE set (CI images
# often set it) would otherwise compile every module from source in every process: importing Great
# Expectations took 17.3 s that way against 7.6 s, and each Airflow task and CLI call paid it again.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check uv==0.13.8
	$(UV) pip install --python $(BIN)/python --constraint constraints.txt --compile-bytecode --editable '.[dev]'
	touch $(STAMP)

run: setup
	$(BIN)/mlg run --scale $(SCALE)

# Two workers, a whole file each (its module fixtures stay in one process), the heaviest files first
# (tests/conftest.py): most of a file's wall time is waiting on a JVM, Airflow or a socket, not CPU.
# PYTEST_WORKERS=0 runs the suite in this process.
PYTEST_WORKERS ?= 2
test: setup browser
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# every chaos scenario (kill points in each stage, faults, corrupt inputs): see RELIABILITY.md;
# `make test` runs only the ones marked chaos_core
chaos: setup
	rm -f chaos-report.jsonl
	MLG_CHAOS=all MLG_CHAOS_REPORT=$(CURDIR)/chaos-report.jsonl $(BIN)/python -m pytest tests/chaos -p no:randomly $(PYTEST_ARGS)
	$(BIN)/python -m tests.chaos.reliability chaos-report.jsonl

# The portal's browser test drives Debian's chromium (Playwright's own download cannot reach the
# network): installed here when missing and running as root, else one line says what to install.
CHROMIUM ?= /usr/bin/chromium
browser:
	@test -x $(CHROMIUM) || { if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
	  else echo "make browser: install Debian's chromium (sudo apt-get install chromium) for the portal's browser test"; fi; }

# portal load test (20 clients on 127.0.0.1): SCALE=10 make bench-portal; figures in BENCHMARKS.md
bench-portal: setup
	$(BIN)/python bench/bench_portal.py --scale $(SCALE)

test-unit: setup
	$(BIN)/python -m pytest tests/unit $(PYTEST_ARGS)

bench: setup
	$(BIN)/mlg bench --scale $(BENCH_SCALES)

up: setup
	$(BIN)/mlg up --scale $(SCALE)

down: setup
	$(BIN)/mlg down

# Re-resolve the full pinned set after changing pyproject.toml.
lock: setup
	$(UV) pip freeze --python $(BIN)/python --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) lakehouse reports .mlg .jars

# ---- Airflow ------------------------------------------------------------------------------
# The DAGs under the Airflow UI (http://localhost:8080, admin password printed at start and
# kept in $(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated). Run `make up` first
# for the local stack; the tasks find it through .mlg/stack.json.
AIRFLOW_HOME ?= $(CURDIR)/.mlg/airflow
AIRFLOW_ENV = PATH=$(CURDIR)/$(BIN):$$PATH AIRFLOW_HOME=$(AIRFLOW_HOME) AIRFLOW__CORE__DAGS_FOLDER=$(CURDIR)/dags \
	MLG_STATE_DIR=$(CURDIR)/.mlg MLG_LAKEHOUSE=$${MLG_LAKEHOUSE:-$(CURDIR)/lakehouse} \
	MLG_REPORTS_DIR=$${MLG_REPORTS_DIR:-$(CURDIR)/reports}

airflow-standalone: setup
	$(AIRFLOW_ENV) $(BIN)/airflow standalone

test-dags: setup
	$(BIN)/python -m pytest tests/dags $(PYTEST_ARGS)

test-e2e: setup
	$(BIN)/python -m pytest -m e2e tests/e2e $(PYTEST_ARGS)

maintain: setup
	$(BIN)/mlg maintain
