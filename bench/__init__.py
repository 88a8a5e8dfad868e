"""Benchmarks of layer_client, each printed as ratios measured in one run.

`python -m bench [--quick] [--only NAME ...]` runs them; `python -m
bench.soak` runs the reliability soak against the local emulator.
"""
