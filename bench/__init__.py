"""Benchmarks: print their figures; not part of the test run."""
