"""``python -m bench --scale 100k --db sqlite [--quick]``: build or reuse the database, run the
workloads with their baselines, print the table, write the JSON."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import database
from bench.report import (
    REPO,
    Row,
    as_json,
    failed,
    git_commit,
    heading,
    load_average,
    machine,
    not_built,
    table,
)

RESULTS = REPO / "bench" / "results"

#: (id, name, target, issue) of the workloads later issues build: rows, never numbers.
NOT_BUILT: tuple[tuple[str, str, str, int], ...] = ()
BUILT: tuple[str, ...] = ("W1", "W3", "W7", "W9")
BUILT += ("W4", "W8")  # issue 6: the statistics
BUILT += ("W2", "W5", "W6")  # issue 7: search, ledger import, related cases


def arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="性能基准：生成（或复用）演示数据库，运行各项负载及其基线，输出一张表和 JSON。",
    )
    parser.add_argument("--scale", default="10k", help="10k, 100k, 1m or a number of cases")
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--seed", type=int, default=database.DEFAULT_SEED)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (CI smoke run)")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument(
        "--only", default="", help=f"comma-separated subset of {', '.join(BUILT)} to run"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="folder for the JSON file")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("BENCH_DATA_DIR", REPO / "var" / "bench")),
        help="where the benchmark databases live (default var/bench/, or $BENCH_DATA_DIR)",
    )
    parser.add_argument(
        "--postgres",
        default=os.environ.get("BENCH_POSTGRES_URL", database.DEFAULT_POSTGRES),
        help="PostgreSQL server for --db postgres; each scale gets its own bench_* database",
    )
    return parser.parse_args(argv)


def _workloads(spec: database.Spec, quick: bool) -> dict[str, Callable[[], list[Row]]]:
    """Imported here: they need Django set up."""
    from bench import (
        w1_register,
        w2_search,
        w3_lists,
        w4_stats,
        w5_ledger,
        w6_related,
        w7_sweep,
        w8_report,
        w9_memory,
    )

    return {
        # Run in this order: reads first, then what writes and puts things back.
        "W3": lambda: w3_lists.run(quick=quick),
        "W4": lambda: w4_stats.run(quick=quick, cases=spec.cases),
        "W8": lambda: w8_report.run(quick=quick),
        "W2": lambda: w2_search.run(quick=quick),
        "W6": lambda: w6_related.run(quick=quick, cases=spec.cases),
        "W9": lambda: [w9_memory.measure(quick=quick)],
        "W7": lambda: w7_sweep.run(quick=quick, cases=spec.cases),
        "W1": lambda: w1_register.run(quick=quick, folder=spec.folder),
        "W5": lambda: w5_ledger.run(quick=quick, folder=spec.folder),
    }


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = arguments(argv)
    try:
        scale, cases = database.parse_scale(args.scale)
    except ValueError as error:
        _say(str(error))
        return 2
    spec = database.Spec(
        scale=scale,
        cases=cases,
        seed=args.seed,
        database=args.db,
        data_dir=args.data_dir.resolve(),
        postgres_url=args.postgres,
    )
    only = {name.strip().upper() for name in args.only.split(",") if name.strip()}
    database.configure(spec)
    database.prepare(spec, rebuild=args.rebuild)

    import django

    django.setup()
    data = database.ensure(spec)

    rows: list[Row] = []
    load_start = load_average()
    for workload, action in _workloads(spec, args.quick).items():
        if only and workload not in only:
            continue
        _say(f"== {workload}")
        try:
            rows += action()
        except Exception as error:  # one broken workload must not hide the others
            traceback.print_exc()
            rows.append(failed(workload, "", "", error))
    warnings = []
    if database.migration_state() != spec.migrations:
        warnings.append(
            "迁移在运行期间发生变化，结果可能不一致 (the migrations changed during the run)"
        )
    rows += [not_built(w, name, issue, target) for w, name, target, issue in NOT_BUILT]
    rows.sort(key=lambda row: row.workload)  # stable: each workload's rows keep their order

    run: dict[str, Any] = {
        "scale": scale,
        "database": "SQLite" if spec.database == "sqlite" else "PostgreSQL",
        "date": dt.date.today().isoformat(),
        "quick": args.quick,
        "machine": {**machine(), "load_start": load_start, "load_end": load_average()},
        "code": git_commit(),
        "data": {key: value for key, value in data.items() if key not in ("generator",)},
    }
    if warnings:
        run["warnings"] = warnings
    sys.stdout.write(f"{heading(run)}\n\n{table(rows)}\n")
    for warning in warnings:
        sys.stdout.write(f"注意 warning: {warning}\n")
    name = f"{run['date']}-{scale}-{spec.database}{'-quick' if args.quick else ''}.json"
    args.out.mkdir(parents=True, exist_ok=True)
    partial = args.out / f"{name}.tmp"
    partial.write_text(as_json(run, rows) + "\n")
    partial.replace(args.out / name)
    _say(f"结果已写入 written: {args.out / name}")
    return 1 if any(row.status == "error" for row in rows) else 0
