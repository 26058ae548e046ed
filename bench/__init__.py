"""Benchmarks: one script per figure, each printing a ratio against a baseline run alongside."""
