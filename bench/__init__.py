"""Benchmarks: they print numbers and never gate anything by time."""
