"""The fallback-accuracy benchmark of the emissions inventory (`bench_inventory_fallback.py`).

A county-year is built twice: once with every CEMS packet (the truth: each monitored outlet's
monthly CEMS mass), once with half the CEMS outlets' packets withheld for the first half of the
year. The inventory's estimates for the withheld outlet-months are scored against that truth.

Modules: `builds` (run `lantian build` as a child process, timed), `withhold` (choose the
outlets, copy the sources without their packets), `score` (truth, estimates, metrics, county
totals, closure checks), `report` (text), and `world` (the second county-year, made
independently of the project's generator).
"""
