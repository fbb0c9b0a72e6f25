# Two entry points a new user needs: `make run` and `make test` (see README.md).
# uv comes from PyPI when the machine lacks it; everything else from uv.lock.
SHELL := /bin/bash
UV := $(shell command -v uv 2>/dev/null || echo .bootstrap/bin/uv)

.PHONY: setup setup-spark run test test-slow lint bench bench-scale clean docs

# -qq: a machine's pip configuration may name extra indexes that do not exist here; pip's
# "Location ... is ignored" warnings about them are noise for this one package (errors still show).
.bootstrap/bin/uv:
	python3 -m venv .bootstrap
	.bootstrap/bin/pip install -qq --disable-pip-version-check uv

setup: $(UV)
	$(UV) sync --locked

# The tests also build a county on a local Spark session (optional `spark` extra: pyspark, dbt-spark).
setup-spark: $(UV)
	$(UV) sync --locked --extra spark

run: setup
	$(UV) run lantian build

test: setup-spark
	$(UV) run ruff check .
	$(UV) run pytest -n 2 --dist loadfile -q

test-slow: setup-spark
	$(UV) run pytest -n 2 --dist loadfile -q -m slow

bench: setup
	$(UV) run python benchmarks/bench_hj212_parse.py
	$(UV) run python benchmarks/bench_hj212_command.py
	$(UV) run python benchmarks/bench_detectors.py
	$(UV) run python benchmarks/bench_receiver.py

# county-years of 26 and 100 CEMS outlets and the nightly increment (hours; ~5 GB of generated data)
bench-scale: setup
	$(UV) run python benchmarks/bench_build.py --outlets 26 100 --nightly

clean:
	rm -rf .venv .bootstrap .lantian .dagster_home .spark dbt/target dbt/logs warehouse.duckdb exports

# dbt docs (every model and column, with units and Chinese labels) from the built warehouse.
docs: setup
	cd dbt && LANTIAN_WAREHOUSE=$(abspath warehouse.duckdb) DBT_SEND_ANONYMOUS_USAGE_STATS=false \
	  ../.venv/bin/dbt docs generate --profiles-dir . --project-dir . --target-path target/docs
	@echo "open dbt/target/docs/index.html (or: cd dbt && ../.venv/bin/dbt docs serve --target-path target/docs --host 127.0.0.1)"
