"""Ledger feeds: contracts (contracts.py), bytes to text (encodings.py), CSV/XLSX readers
(readers.py), header mapping (tables.py), value typing (values.py) and the load into
raw.<table> with audit rows (ingest.py). USCC check digits live in uscc.py."""
