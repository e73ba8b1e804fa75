"""The benchmark harness runs end to end at a tiny scale: every workload has its row, the
built ones run, and the JSON parses. No timing is asserted (PERFORMANCE.md)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
WORKLOADS = [f"W{n}" for n in range(1, 10)]
BUILT = {"W1", "W3", "W7", "W9"}
BUILT |= {"W4", "W8"}  # the statistics (issue 6)
BUILT |= {"W2", "W5", "W6"}  # search, ledger import, related cases (issue 7)

pytestmark = pytest.mark.bench


def test_a_tiny_run_prints_every_workload_and_writes_json_that_parses(tmp_path: Path) -> None:
    done = subprocess.run(  # noqa: S603 - our own module with fixed arguments
        [
            sys.executable,
            "-m",
            "bench",
            "--scale",
            "300",
            "--quick",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    table_rows = [line.split(" ", 1)[0] for line in done.stdout.splitlines()]
    assert sorted(set(table_rows) & set(WORKLOADS)) == WORKLOADS
    (written,) = (tmp_path / "out").glob("*-300-sqlite-quick.json")
    result = json.loads(written.read_text())
    assert result["run"]["scale"] == "300"
    assert result["run"]["data"]["cases"] == 300
    rows = result["rows"]
    assert sorted({row["workload"] for row in rows}) == WORKLOADS
    assert {row["workload"] for row in rows if row["status"] == "ok"} == BUILT
    assert {row["workload"] for row in rows if row["status"] == "not_built"} == set(
        WORKLOADS
    ) - BUILT
    assert all("ours" in row for row in result["rows"] if row["status"] == "ok")
