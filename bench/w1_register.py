"""W1: registering cases over HTTP with 8 concurrent clients. Ours: a real gunicorn server on
the benchmark database, ``POST /api/v1/cases`` with a bearer token (the whole service: repeat
check, sealing, numbering, deadlines, audit). The baseline: the same rows (case, two
petitioners and their links, the contact) written by plain ORM ``create()`` calls in this
process, one registration after another, without any of the extras.

Everything both write is deleted afterwards and the case-number counters put back, so the
database stays as it was built (the append-only audit trail keeps its events)."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from bench.report import REPO, Row
from bench.stats import Summary, percentile
from xinfang.accounts.models import Region, Unit, User
from xinfang.api.models import ApiToken
from xinfang.api.services import issue_token
from xinfang.cases.enums import Channel, ClaimRoute, HandlingCategory, PetitionForm
from xinfang.cases.models import Case, CasePetitioner, Contact, NumberSequence, Petitioner
from xinfang.cases.queries import registrable_categories
from xinfang.core.validators import with_check_digit

CLIENTS = 8
REGION = "990102"
#: Birthplace code of the benchmark's petitioners: one the demo generator never uses, so a
#: registration never updates a seeded person (the same ID number is the same person).
ID_PREFIX = "990109"
THROUGHPUT_TARGET = 200.0
LATENCY_TARGET_MS = 50.0


def id_number(serial: int) -> str:
    birth = dt.date(1960, 1, 1) + dt.timedelta(days=serial // 1000)
    return with_check_digit(f"{ID_PREFIX}{birth:%Y%m%d}{serial % 1000:03d}")


def body(serial: int, category: str) -> dict[str, Any]:
    """A registration the demo clerk may post: a visit of two people to the reception hall."""
    return {
        "channel": "visit",
        "reception_unit": "A01J",
        "people_count": 2,
        "handling_category": "claim",
        "claim_route": 6,
        "content_category": category,
        "region": REGION,
        "title": "小区物业乱收费",
        "request": "请求责令物业公司退还多收的停车费和物业费。",
        "facts_reasons": "物业公司自2026年起每月多收停车费，业主多次反映未果。",
        "petitioners": [
            {
                "name": "张三",
                "id_number": id_number(2 * serial),
                "phone": "13900001111",
                "address": "西地省A市A1区幸福路1号",
                "is_representative": True,
            },
            {"name": "李四", "id_number": id_number(2 * serial + 1)},
        ],
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _request(port: int, token: str, method: str, path: str, payload: bytes | None) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        connection.request(method, path, body=payload, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def workers() -> int:
    """One per core, two to four: the rest of the deployment's settings (worker class,
    threads) come from gunicorn.conf.py, which gunicorn reads from the repository root."""
    return min(4, max(2, os.cpu_count() or 2))


@contextmanager
def server(token: str, log: Path) -> Iterator[int]:
    """gunicorn (from the lock file) on a free local port; stopped afterwards."""
    port = free_port()
    with log.open("ab") as errors:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "xinfang.wsgi:application",
                f"--bind=127.0.0.1:{port}",
                f"--workers={workers()}",
                "--log-level=warning",
            ],
            cwd=REPO,
            env=os.environ,
            stdout=errors,
            stderr=errors,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):  # not listening yet: ask again
                if _request(port, token, "GET", "/api/v1/", None) == 200:
                    break
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {log}")
            time.sleep(0.2)
        yield port
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _over_http(port: int, token: str, bodies: list[list[bytes]], warmup: int) -> dict[str, Any]:
    """Each client posts its bodies in turn; the first ``warmup`` of each are not counted."""
    latencies: list[float] = []
    statuses: list[int] = []
    start = threading.Barrier(len(bodies) + 1)
    lock = threading.Lock()

    def client(mine: list[bytes]) -> None:
        for payload in mine[:warmup]:
            _request(port, token, "POST", "/api/v1/cases", payload)
        start.wait()
        for payload in mine[warmup:]:
            began = time.perf_counter()
            status = _request(port, token, "POST", "/api/v1/cases", payload)
            took = time.perf_counter() - began
            with lock:
                latencies.append(took)
                statuses.append(status)

    threads = [threading.Thread(target=client, args=(mine,)) for mine in bodies]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return {"latencies": latencies, "statuses": statuses, "seconds": seconds}


def _plain_orm(serial: int, clerk: User, units: dict[str, int], category_id: int) -> None:
    """The same rows without the extras: no repeat check, sealing, numbering, deadlines or
    audit; one transaction."""
    now = timezone.now()
    with transaction.atomic():
        case = Case.objects.create(
            number=f"BENCH-{serial:09d}",
            query_code_sealed=b"",
            channel=Channel.VISIT,
            form=PetitionForm.INDIVIDUAL,
            people_count=2,
            handling_category=HandlingCategory.CLAIM,
            claim_route=ClaimRoute.PETITION,
            content_category_id=category_id,
            region_id=units["region"],
            title="小区物业乱收费",
            request="请求责令物业公司退还多收的停车费和物业费。",
            facts_reasons="物业公司自2026年起每月多收停车费，业主多次反映未果。",
            received_on=timezone.localdate(now),
            registered_at=now,
            registered_by=clerk,
            registering_unit_id=units["office"],
        )
        for position, name in enumerate(("张三", "李四")):
            person = Petitioner.objects.create(name=name)
            CasePetitioner.objects.create(
                case=case, petitioner=person, position=position, is_representative=position == 0
            )
        Contact.objects.create(
            case=case,
            channel=Channel.VISIT,
            occurred_at=now,
            reception_unit_id=units["hall"],
            people_count=2,
            registered_by=clerk,
        )


@contextmanager
def _left_as_found() -> Iterator[None]:
    """Delete what the workload writes; put the case-number counters back."""
    last_case = Case.objects.aggregate(last=Max("id"))["last"] or 0
    last_person = Petitioner.objects.aggregate(last=Max("id"))["last"] or 0
    counters = dict(NumberSequence.objects.values_list("scope", "last"))
    try:
        yield
    finally:
        Case.objects.filter(id__gt=last_case).delete()
        Petitioner.objects.filter(id__gt=last_person).delete()
        NumberSequence.objects.exclude(scope__in=counters).delete()
        for scope, last in counters.items():
            NumberSequence.objects.filter(scope=scope).update(last=last)


def run(*, quick: bool, folder: Path) -> list[Row]:
    per_client, warmup = (10, 2) if quick else (60, 3)
    clerk = User.objects.get(username="clerk")
    category = registrable_categories().order_by("code").values_list("code", "id").first()
    if category is None:
        raise RuntimeError("no registrable content category")
    with _left_as_found():
        token, secret = issue_token(actor=None, user=clerk, name="基准测试 benchmark", days=1)
        try:
            bodies = [
                [
                    json.dumps(body(c * 10_000 + i, category[0]), ensure_ascii=False).encode()
                    for i in range(warmup + per_client)
                ]
                for c in range(CLIENTS)
            ]
            with server(secret, folder / "gunicorn.log") as port:
                http = _over_http(port, secret, bodies, warmup)
        finally:
            ApiToken.objects.filter(pk=token.pk).delete()
        units = dict(Unit.objects.filter(code__in=["A01", "A01J"]).values_list("code", "id"))
        ids = {
            "office": units["A01"],
            "hall": units["A01J"],
            "region": Region.objects.values_list("id", flat=True).get(code=REGION),
        }
        count = CLIENTS * per_client
        for serial in range(warmup * CLIENTS):
            _plain_orm(10**8 + serial, clerk, ids, category[1])
        plain: list[float] = []
        began = time.perf_counter()
        for serial in range(count):
            call = time.perf_counter()
            _plain_orm(2 * 10**8 + serial, clerk, ids, category[1])
            plain.append(time.perf_counter() - call)
        plain_seconds = time.perf_counter() - began
    latencies, statuses = http["latencies"], http["statuses"]
    errors = sum(1 for status in statuses if status != 201)
    answers = ", ".join(f"{n}× {code}" for code, n in sorted(Counter(statuses).items()))
    if errors == len(statuses):
        raise RuntimeError(f"no registration succeeded ({answers}); see {folder / 'gunicorn.log'}")
    rate = len(latencies) / http["seconds"]
    p95_ms = percentile(latencies, 95) * 1000
    backend = "SQLite" if connection.vendor == "sqlite" else "PG"
    note = f"{len(latencies)} POSTs, {workers()} gunicorn workers" + (
        f"; answers {answers}" if errors else ""
    )
    return [
        Row(
            workload="W1",
            name=f"登记吞吐 register throughput ({CLIENTS} clients, HTTP)",
            target=f"≥ {THROUGHPUT_TARGET:.0f}/s ({backend})",
            unit="/s",
            ours=rate,
            runs=len(latencies),
            baseline=count / plain_seconds,
            baseline_name="plain ORM create(), in-process, serial",
            passed=rate >= THROUGHPUT_TARGET and errors == 0,
            note=note,
            extra={"errors": errors},
        ),
        Row(
            workload="W1",
            name="登记延迟 register latency",
            target=f"p95 < {LATENCY_TARGET_MS:.0f} ms",
            unit="ms",
            ours=Summary.of(latencies).median * 1000,
            ours_p95=p95_ms,
            runs=len(latencies),
            baseline=Summary.of(plain).median * 1000,
            baseline_name="plain ORM create(), in-process, serial",
            passed=p95_ms < LATENCY_TARGET_MS and errors == 0,
            note=note,
        ),
    ]
