"""Hearth's benchmark: latency, throughput, timer precision, idle cost and loading, each
next to what it is compared with. ``python -m bench`` (or ``scripts/bench``); see
bench/README.md."""
