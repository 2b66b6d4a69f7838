"""Benchmarks (not part of the test suite): the recognition benchmark (generate, run,
e2e), the list benchmark at a million records and the HTTP load script."""
