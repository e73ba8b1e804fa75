"""W8: the annual report (.docx, 第四十一条) of the data's year, and a detail export of about
100 000 cases (.xlsx), as the root office's leader downloads them: the audited services the
views call, end to end (figures, document, spreadsheet, temporary file).

Each runs in its own process (``python -m bench.w8_report``, started by the harness with the
benchmark database configured), so the peak RSS it reports is the download's, not the
harness's. The export's baseline is the same rows written by openpyxl's write-only mode (what
the exporter used before its own streaming writer), in a process of its own."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import Row, in_child, timing_row
from bench.stats import Summary

EXPORT_ROWS = 100_000
REPORT_YEAR = 2026
LIMIT_S = 5.0
LIMIT_MB = 300.0


def _peak_mb() -> float:
    """This process's peak RSS: the high-water mark of its own memory (VmHWM). ru_maxrss
    would not do: Linux carries the parent's peak over into a child it starts."""
    with contextlib.suppress(OSError, ValueError):  # no /proc: fall back to ru_maxrss
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _export_period() -> Any:
    """The days up to the reference date holding the newest ``EXPORT_ROWS`` cases (all of
    them when there are fewer)."""
    from bench.database import REFERENCE_DATE
    from xinfang.cases.models import Case
    from xinfang.stats.periods import Period

    newest = Case.objects.order_by("-received_on").values_list("received_on", flat=True)
    first = newest[EXPORT_ROWS - 1 : EXPORT_ROWS].first() or newest.last() or REFERENCE_DATE
    return Period(first, REFERENCE_DATE)


def child(repetitions: int, *, openpyxl_baseline: bool) -> dict[str, Any]:
    import django

    django.setup()
    from bench.database import REFERENCE_DATE
    from bench.sessions import on_reference_day
    from xinfang.accounts.models import User
    from xinfang.stats import exporters, services
    from xinfang.stats.measures import MEASURES
    from xinfang.stats.queries import StatsFilters

    started_mb = _peak_mb()
    result: dict[str, Any] = {"report_seconds": [], "export_seconds": []}
    with on_reference_day():
        leader = User.objects.get(username="leader")
        filters = StatsFilters(period=_export_period())
        measure = MEASURES["cases_received"]
        result["period"] = f"{filters.period.start}..{filters.period.end}"
        if openpyxl_baseline:
            from openpyxl import Workbook

            sheet = exporters.drill_sheet(leader, filters, measure, today=REFERENCE_DATE)
            began = time.perf_counter()
            book = Workbook(write_only=True)
            page = book.create_sheet(sheet.title)
            for line in sheet.heading:
                page.append([line])
            page.append(sheet.columns)
            rows = 0
            for row in sheet.rows:
                page.append([exporters.neutralise(value) for value in row])
                rows += 1
            with Path(os.devnull).open("wb") as sink:
                book.save(sink)
            result["export_seconds"].append(time.perf_counter() - began)
            result["rows"] = rows
        else:
            for _ in range(repetitions):
                began = time.perf_counter()
                report = services.annual_report(
                    actor=leader, filters=filters, year=REPORT_YEAR, today=REFERENCE_DATE
                )
                size = len(report.file.read())
                report.file.close()
                result["report_seconds"].append(time.perf_counter() - began)
                result["report_bytes"] = size
                began = time.perf_counter()
                export = services.export_tables(
                    actor=leader,
                    table="cases",
                    title=f"{measure.label}明细",
                    sheets=[exporters.drill_sheet(leader, filters, measure, today=REFERENCE_DATE)],
                    filters=filters,
                )
                export.file.seek(0, os.SEEK_END)
                result["export_bytes"] = export.file.tell()
                export.file.close()
                result["export_seconds"].append(time.perf_counter() - began)
                result["rows"] = export.rows
    result["rss_start_mb"] = round(started_mb, 1)
    result["rss_peak_mb"] = round(_peak_mb(), 1)
    return result


def run(*, quick: bool) -> list[Row]:
    repetitions = 1 if quick else 3
    ours = in_child("bench.w8_report", "--repetitions", str(repetitions))
    baseline = in_child("bench.w8_report", "--openpyxl")
    report = Summary.of(ours["report_seconds"])
    export = Summary.of(ours["export_seconds"])
    peak = ours["rss_peak_mb"]
    export_row = timing_row(
        "W8",
        f"明细导出 {ours['rows']:,}-row .xlsx export",
        ours=export,
        baseline=Summary.of(baseline["export_seconds"]),
        baseline_name="openpyxl write-only, same rows",
        scale=1,
        unit="s",
        target="< 5 s; RSS < 300 MB",
        limit=LIMIT_S,
        note=(
            f"peak RSS {peak:.0f} MB (Django alone {ours['rss_start_mb']:.0f} MB; openpyxl "
            f"{baseline['rss_peak_mb']:.0f} MB); {ours['export_bytes'] / 2**20:.1f} MB file; "
            f"received {ours['period']}"
        ),
        rows=ours["rows"],
        rss_peak_mb=peak,
        openpyxl_rss_peak_mb=baseline["rss_peak_mb"],
    )
    export_row.passed = bool(export_row.passed) and peak < LIMIT_MB
    return [
        timing_row(
            "W8",
            f"年度报告 annual report {REPORT_YEAR} .docx",
            ours=report,
            baseline=None,
            baseline_name="",
            scale=1,
            unit="s",
            target="< 5 s",
            limit=LIMIT_S,
            note=f"{ours['report_bytes'] / 1024:.0f} KB",
        ),
        export_row,
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--openpyxl", action="store_true", help="the baseline writer instead")
    args = parser.parse_args()
    result = child(args.repetitions, openpyxl_baseline=args.openpyxl)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
