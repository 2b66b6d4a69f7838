"""Benchmarks and load scripts (not part of the test suite)."""
