"""W9: a web worker's memory after many mixed requests (list pages, case pages, the due-soon
page) through the whole Django stack. Runs in its own process (``python -m bench.w9_memory``,
started by the harness with the benchmark database configured), so the RSS it reports is a
worker's, not the harness's; prints one JSON object."""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from bench.report import Row, in_child


def rss_mb() -> float:
    """Resident set size now (Linux /proc), else the peak so far."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _urls(rng: random.Random) -> dict[str, dict[str, list[str]]]:
    """Per user: list pages (several filters, pages 1–10 by cursor) and case pages."""
    from bench.w3_lists import LISTS
    from xinfang.accounts.models import User
    from xinfang.cases.queries import case_page

    users = {user.username: user for user in User.objects.select_related("unit")}
    plan: dict[str, dict[str, list[str]]] = {}
    for username in ("handler", "clerk"):
        user = users[username]
        lists, numbers = [], []
        for spec in LISTS:  # the user's own lists, and the status list for both
            if spec.username != username and spec.key != "status":
                continue
            cursor: str | None = ""
            prefix = f"/cases/?{spec.query}&" if spec.query else "/cases/?"
            for _page in range(10):
                page = case_page(user, spec.filters, after=cursor or "", size=50)
                lists.append(f"{prefix}after={cursor}" if cursor else prefix.rstrip("?&"))
                numbers += [case.number for case in page.cases]
                cursor = page.next_cursor
                if cursor is None:
                    break
        rng.shuffle(numbers)
        plan[username] = {"lists": lists, "cases": numbers[:2000]}
    return plan


def run(requests: int, seed: int) -> dict[str, Any]:
    import django

    django.setup()
    from bench.sessions import on_reference_day, signed_in

    rng = random.Random(seed)  # noqa: S311 - a repeatable mix, not a secret
    with on_reference_day():
        plan = _urls(rng)
        clients = {username: signed_in(username) for username in plan}
        warmup = min(500, max(requests // 10, 50))
        samples: list[tuple[int, float]] = []
        errors = 0
        start_rss = 0.0
        started = time.perf_counter()
        for number in range(1, warmup + requests + 1):
            username = rng.choice(("handler", "clerk"))
            roll = rng.random()
            if roll < 0.35:
                url = rng.choice(plan[username]["lists"])
            elif roll < 0.8 and plan[username]["cases"]:
                url = f"/cases/{rng.choice(plan[username]['cases'])}/"
            else:
                url = "/cases/due/"
            if clients[username].get(url).status_code != 200:
                errors += 1
            if number == warmup:
                start_rss = rss_mb()
                started = time.perf_counter()
            elif number > warmup and (number - warmup) % max(requests // 10, 1) == 0:
                samples.append((number - warmup, round(rss_mb(), 1)))
        seconds = time.perf_counter() - started
    end_rss = rss_mb()
    return {
        "requests": requests,
        "warmup": warmup,
        "errors": errors,
        "rss_start_mb": round(start_rss, 1),
        "rss_end_mb": round(end_rss, 1),
        "growth_mb": round(end_rss - start_rss, 1),
        "seconds": round(seconds, 1),
        "samples": samples,
    }


def measure(*, quick: bool) -> Row:
    """Run the worker in a fresh process with this process's environment; one table row."""
    requests = 300 if quick else 10_000
    result = in_child("bench.w9_memory", "--requests", str(requests))
    return Row(
        workload="W9",
        name=f"内存增长 RSS growth, {requests:,} mixed requests",
        target="< 50 MB",
        unit="MB",
        ours=result["growth_mb"],
        runs=1,
        passed=result["growth_mb"] < 50 and result["errors"] == 0,
        note=(
            f"RSS {result['rss_start_mb']:.0f} → {result['rss_end_mb']:.0f} MB, "
            f"{requests / result['seconds']:.0f} req/s"
            + (f", {result['errors']} errors" if result["errors"] else "")
        ),
        extra=result,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=9)
    args = parser.parse_args()
    sys.stdout.write(json.dumps(run(args.requests, args.seed)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
