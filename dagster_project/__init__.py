"""Blue Sky emissions-inventory warehouse (lantian) for the Mengzhou air-pollution office."""

import os

# No telemetry from any part of the stack: the office network has no internet, and it is policy.
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DBT_VERSION_CHECK", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")

# Before anything imports polars: see allocator.py (measured: a third of HJ 212 parse time).
from dagster_project import allocator

ALLOCATOR_TUNED = allocator.tune()
