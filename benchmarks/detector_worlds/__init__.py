"""Labelled benchmark worlds for the detectors: clean CEMS data plus fault injectors.

Kept beside the benchmarks, outside `dagster_project`, so the production detectors never import a
generator or an injector. The tests use the small simulator and world A's injector for their
cases.
"""
