"""Benchmarks: each prints what it compares side by side in one run, as a ratio next to its target."""
