"""Sealbag benchmarks (make bench)."""
