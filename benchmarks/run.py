"""``make bench``: every benchmark in turn."""

from __future__ import annotations

from benchmarks import detector, pipeline, pool

if __name__ == "__main__":
    detector.main([])
    print()
    pipeline.main([])
    print()
    raise SystemExit(pool.main([]))
