"""Benchmarks with budgets (issue 7): ``python -m bench --help``. Not part of the test run."""
