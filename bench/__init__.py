"""Benchmarks: start-up cost, how the synth grows, provider round trips (python -m bench)."""
