"""Benchmarks: ``python -m benchmarks.detector``, ``python -m benchmarks.pool``; both: ``python -m benchmarks.run``."""
