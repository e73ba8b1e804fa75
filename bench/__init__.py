"""The benchmark harness (PERFORMANCE.md): ``python -m bench --scale 100k --db sqlite``.

Builds (or reuses) a database of demo cases, runs each workload together with its baseline in
the same run, prints one table and writes it as JSON under ``bench/results/``. Timings on
shared machines are noisy, so every number is a median beside a baseline measured in the same
run, never a lone absolute number.
"""
