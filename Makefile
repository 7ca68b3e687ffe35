# schema-audit — every target installs what it needs first, so each works alone on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install deps-test deps-demo test test-fast lint format docs demo report bench bench-quick bench-limits bench-fleet fuzz clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# System programs (PostgreSQL server binaries, Chromium for the HTML test): installed as root
# with apt-get when missing, otherwise the exact command to run is printed before anything runs.
deps-test:
	@tools/ensure-deps.sh postgres chromium

deps-demo:
	@tools/ensure-deps.sh postgres

test: install deps-test
	$(BIN)/python -m pytest -q

# The inner loop: no PostgreSQL, no browser, no fuzzing (seconds, not minutes). `make test` runs all.
test-fast: install
	$(BIN)/python -m pytest -q -m "not db and not browser and not slow"

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# docs/rules.md, docs/lint-rules.md, docs/probes.md and docs/requirement-kinds.md are
# generated from the registries (schema_audit/rules/, schema_audit/lint/rules/,
# schema_audit/probes/kinds/, schema_audit/kinds/)
docs: install
	$(BIN)/python -m schema_audit.rules._docs > docs/rules.md
	$(BIN)/python -m schema_audit.lint.rules._docs > docs/lint-rules.md
	$(BIN)/python -m schema_audit.probes.kinds._docs > docs/probes.md
	$(BIN)/python -m schema_audit.kinds._docs > docs/requirement-kinds.md

# The main job on the bundled example: audit the B0.3 migrations against the B0.3 spec,
# statically and against a live throwaway PostgreSQL. Findings exit 1; that is the point of the demo.
demo: install deps-demo
	$(BIN)/python -m schema_audit.demo

report: install deps-demo
	$(BIN)/python -m schema_audit.demo --write-reports

# Every row of issue 19 beside its reference measured in the same run (pg_dump, psql -f,
# python -c pass), as ratios, with peak RSS and each target marked ✓/✗ (benchmarks/README.md).
# BENCH_ARGS: --rounds N, --sizes 1000,5000, --json FILE.
bench: install deps-demo
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)

# The 1,000-table rows only, one round.
bench-quick: install deps-demo
	$(BIN)/python benchmarks/run.py --quick $(BENCH_ARGS)

bench-limits: install
	$(BIN)/python benchmarks/limits.py

bench-fleet: install deps-demo
	$(BIN)/python benchmarks/fleet.py

# Coverage-guided fuzzing of the spec loader and the SQL reader for FUZZ_SECONDS (default 120);
# not part of test or CI. Failures land in fuzz-crashes/ (turn each into a test).
fuzz: install
	$(BIN)/python tools/fuzz.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out fuzz-crashes
