"""Benchmarks at city scale: scale data, one module per benchmark, and a shared harness."""
