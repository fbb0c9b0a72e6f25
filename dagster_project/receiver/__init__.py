"""The HJ 212 receiving station behind `lantian receive` (no Dagster, no dbt: it starts fast and
runs for months). Read in this order: `framer.py` (bytes to records), `packet.py` (checks,
answers, the landed line), `access.py` (registered MNs and passwords), `landing.py` (journal,
hourly files), `server.py` (connections, group commit, limits), `cli.py`."""
