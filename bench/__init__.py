"""Benchmarks for ``make bench``: each module writes a markdown table to bench-results/."""
