"""One row per measurement, the table they make, and the JSON file of a run."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import unicodedata
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.stats import Summary

REPO = Path(__file__).resolve().parent.parent


def in_child(module: str, *arguments: str) -> dict[str, Any]:
    """``python -m <module> <arguments>`` in a process of its own, with this process's
    environment (its RSS is its own); the JSON object on its last line of output."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", module, *arguments],
        cwd=REPO,
        env=os.environ,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"
        raise RuntimeError(f"{module} {' '.join(arguments)}: {last}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@dataclass
class Row:
    """One line of the table. ``ratio`` reads "times better than the baseline": baseline time
    over ours, or our throughput over the baseline's; below 1 means slower."""

    workload: str  # "W3"
    name: str
    target: str
    unit: str = ""  # "ms", "s", "/s", "MB"
    ours: float | None = None  # median (throughput: the run's rate)
    ours_p95: float | None = None
    runs: int = 0
    baseline: float | None = None
    baseline_name: str = ""
    passed: bool | None = None
    status: str = "ok"  # ok | not_built | error
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if not self.ours or not self.baseline:
            return None
        if self.unit == "/s":
            return self.ours / self.baseline
        return self.baseline / self.ours


def timing_row(
    workload: str,
    name: str,
    *,
    ours: Summary,
    baseline: Summary | None,
    baseline_name: str,
    scale: float,
    unit: str,
    target: str,
    limit: float,
    use_p95: bool = True,
    note: str = "",
    **extra: Any,
) -> Row:
    """A row from seconds: ``scale`` turns them into ``unit``; passes when p95 (or the median)
    in ``unit`` is below ``limit`` and, where compared, ours returned the baseline's rows."""
    checked = (ours.p95 if use_p95 else ours.median) * scale
    return Row(
        workload=workload,
        name=name,
        target=target,
        unit=unit,
        ours=ours.median * scale,
        ours_p95=ours.p95 * scale,
        runs=ours.runs,
        baseline=baseline.median * scale if baseline is not None else None,
        baseline_name=baseline_name,
        passed=checked < limit and extra.get("same_rows") is not False,
        note=note,
        extra=extra,
    )


def not_built(workload: str, name: str, issue: int, target: str) -> Row:
    return Row(
        workload=workload,
        name=name,
        target=target,
        status="not_built",
        note=f"未实现 (issue {issue})",
    )


def failed(workload: str, name: str, target: str, error: BaseException) -> Row:
    return Row(
        workload=workload,
        name=name,
        target=target,
        status="error",
        passed=False,
        note=f"{type(error).__name__}: {error}"[:300],
    )


# --- the machine and the checkout ---------------------------------------------------------------


def memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except OSError:
        return None
    return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed arguments, read-only git commands
            ["git", "--no-optional-locks", *args],  # noqa: S607 - git from PATH, as make does
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def git_commit() -> dict[str, Any]:
    """The commit, and whether the working tree differs from it (then the numbers are of the
    tree, not of the commit)."""
    commit = _git("rev-parse", "--short=12", "HEAD")
    changes = _git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(changes)}


def load_average() -> float | None:
    """The 1-minute load average: on a shared machine, what else was running."""
    try:
        return round(os.getloadavg()[0], 1)
    except OSError:
        return None


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "memory_mb": memory_mb(),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
    }


# --- output ---------------------------------------------------------------------------------------


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:.1f} ms" if value < 100 else f"{value:.0f} ms"
    if unit == "s":
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    if unit == "/s":
        return f"{value:.0f}/s"
    if unit == "MB":
        return f"{value:.1f} MB"
    return f"{value:.3g}"


def _ratio(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:.2g}×" if value < 1 else f"{value:.1f}×"


def cells(row: Row) -> list[str]:
    label = f"{row.workload} {row.name}"
    if row.status == "not_built":
        return [label, row.note, "—", "—", row.target, "—", ""]
    if row.status == "error":
        return [label, "出错 error", "—", "—", row.target, "FAIL", row.note]
    ours = _number(row.ours, row.unit)
    if row.ours_p95 is not None and row.unit != "/s" and row.runs > 1:
        ours += f" / {_number(row.ours_p95, row.unit)}"
    baseline = _number(row.baseline, row.unit)
    ratio = _ratio(row.ratio)
    verdict = "—" if row.passed is None else ("pass" if row.passed else "FAIL")
    return [label, ours, baseline, ratio, row.target, verdict, row.note]


HEADER = [
    "负载 workload",
    "本系统 ours 中位/p95",
    "基线 baseline 中位",
    "倍数 ratio",
    "目标 target",
    "结果",
    "备注 note",
]


def table(rows: list[Row]) -> str:
    lines = [HEADER, *(cells(row) for row in rows)]
    widths = [max(_width(line[i]) for line in lines) for i in range(len(HEADER))]
    rendered = [
        " | ".join(_pad(cell, w) for cell, w in zip(line, widths, strict=True)) for line in lines
    ]
    rendered.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in rendered)


def heading(run: dict[str, Any]) -> str:
    host = run["machine"]
    code = run["code"]
    seeding = run["data"]
    built = (
        f"生成 built in {seeding['seed_seconds']:.0f} s"
        if seeding.get("built_now")
        else f"复用 reused (built in {seeding['seed_seconds']:.0f} s on {seeding['built_on']})"
    )
    return (
        f"规模 scale {run['scale']} ({seeding['cases']:,} cases, {seeding['contacts']:,} contacts)"
        f" · 数据库 {run['database']} · {host['cores']} cores · {host['memory_mb']} MB"
        f" · load {host.get('load_start')}→{host.get('load_end')}"
        f" · commit {code['commit']}{' (modified)' if code['dirty'] else ''} · {run['date']}"
        f"{' · quick' if run['quick'] else ''}\n{built}; seed {seeding['seed']},"
        f" reference date {seeding['reference_date']}"
    )


def as_json(run: dict[str, Any], rows: list[Row]) -> str:
    def row_dict(row: Row) -> dict[str, Any]:
        data = asdict(row)
        data["ratio"] = row.ratio
        for key in ("ours", "ours_p95", "baseline", "ratio"):
            if isinstance(data[key], float):
                data[key] = round(data[key], 4)
        return {key: value for key, value in data.items() if value not in (None, "", {})}

    return json.dumps(
        {"run": run, "rows": [row_dict(row) for row in rows]}, ensure_ascii=False, indent=1
    )
