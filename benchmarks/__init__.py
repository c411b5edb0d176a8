"""Speed and accuracy benchmarks (run as `python -m benchmarks.NAME`); never timed assertions in tests."""
