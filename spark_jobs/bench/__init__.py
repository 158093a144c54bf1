"""Benchmark harness: measure stages (wall time, rows, peak RSS) and keep results as JSON lines."""
