"""Benchmark for the recognition engine: a deterministic labelled image set and a runner."""
