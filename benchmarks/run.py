"""``make bench``: the quick benchmarks in turn (the bot-level ones, ``load``, ``flood``, ``vs_seeds``, take minutes
and other checkouts: run them on their own, see docs/benchmarks.md)."""

from __future__ import annotations

from benchmarks import detector, detector_margins, http_client, pipeline, pool

if __name__ == "__main__":
    detector.main([])
    print()
    detector_margins.main([])
    print()
    pipeline.main([])
    print()
    http_client.main([])
    print()
    raise SystemExit(pool.main([]))
