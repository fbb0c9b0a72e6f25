"""Data quality: great-expectations suites run against warehouse rows (gx_runner)."""
