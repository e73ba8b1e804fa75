"""A bounded load test on the loopback interface (SECURITY.md 29): ``make loadtest``.

The real server — gunicorn from the venv, 2 workers, ``gunicorn.conf.py`` — runs on a free
port of 127.0.0.1 against a database of its own (a SQLite file under the temporary folder, or,
with ``DATABASE_URL=postgres://…``, a fresh ``<name>_load`` database on that server). Far more
clients than the server has threads then list, read and register cases through the API for
``XF_LOAD_SECONDS``. Overload may show as waiting or as 503 "系统繁忙" with ``Retry-After``;
never as a 500, and fewer than 1 % of requests may fail (any other 5xx, a refused or dropped
connection, an answer the operation never gives).

Skipped unless ``XF_LOADTEST=1``: it needs the whole machine for its duration.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from tests.factories import id_number

pytestmark = pytest.mark.skipif(
    os.environ.get("XF_LOADTEST") != "1", reason="负载测试单独运行：make loadtest"
)

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKERS = 2
THREADS = 8
SECONDS = float(os.environ.get("XF_LOAD_SECONDS", "15"))
CLIENTS = int(os.environ.get("XF_LOAD_CLIENTS", "48"))
#: The mix: mostly reading, as at a petition office's desks; one request in six registers.
MIX = {"list": 3, "detail": 2, "register": 1}
EXPECTED = {"list": {200}, "detail": {200}, "register": {200, 201}}
BUSY = {"detail": "系统繁忙，请稍后再试。", "errors": []}
CONNECTION_FAILED = 0  # the status recorded when no HTTP answer came back


@dataclass
class Server:
    port: int
    token: str
    body: dict[str, Any]
    numbers: list[str]
    log: Path
    postgres: str | None  # the load database's URL, on PostgreSQL


@dataclass
class Tally:
    """What the clients saw. Status 0 is a connection that failed or an answer cut short."""

    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    bad_refusals: list[str] = field(default_factory=list)
    peak_connections: int = 0
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, status: int, elapsed: float) -> None:
        with self.lock:
            self.statuses[kind, status] += 1
            self.latencies.setdefault(kind, []).append(elapsed)

    def count(self, predicate: Callable[[str, int], bool]) -> int:
        return sum(n for (kind, status), n in self.statuses.items() if predicate(kind, status))

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def failures(self) -> int:
        """Server errors other than 503, failed connections, and answers never expected."""
        return self.count(lambda kind, status: status != 503 and status not in EXPECTED[kind])

    def summary(self) -> str:
        lines = [
            f"{self.total} 个请求，{self.seconds:.1f} 秒，{self.total / self.seconds:.0f} 个/秒；"
            f"{CLIENTS} 个并发客户端对 {WORKERS} 个进程 × {THREADS} 个线程",
            "状态：" + "，".join(f"{k} {s}×{n}" for (k, s), n in sorted(self.statuses.items())),
        ]
        for kind, values in sorted(self.latencies.items()):
            ordered = sorted(values)
            p95 = ordered[int(len(ordered) * 0.95) - 1] if len(ordered) >= 20 else ordered[-1]
            lines.append(
                f"{kind}: 中位 {statistics.median(ordered) * 1000:.0f} ms，"
                f"p95 {p95 * 1000:.0f} ms，最长 {ordered[-1] * 1000:.0f} ms"
            )
        if self.peak_connections:
            lines.append(f"PostgreSQL 连接数峰值：{self.peak_connections}")
        return "\n".join(lines)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load_database_url(folder: Path) -> str:
    """A fresh database for the server: ``<name>_load`` beside the suite's PostgreSQL one."""
    configured = os.environ.get("DATABASE_URL", "")
    if not configured.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{folder / 'load.sqlite3'}"
    parts = urlsplit(configured)
    name = parts.path.lstrip("/") + "_load"
    drop_database(urlunsplit(parts._replace(path=f"/{name}")))
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return urlunsplit(parts._replace(path=f"/{name}"))


def drop_database(url: str) -> None:
    parts = urlsplit(url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as admin:
        name = sql.Identifier(parts.path.lstrip("/"))
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def wait_until_serving(server: Server, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, "gunicorn 未能启动：\n" + server.log.read_text()[-3000:]
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            connection.request(
                "GET", "/api/v1/", headers={"Authorization": f"Bearer {server.token}"}
            )
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.2)
    pytest.fail("gunicorn 30 秒内没有开始服务：\n" + server.log.read_text()[-3000:])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("load")
    database = load_database_url(folder)
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "XF_VAR_DIR": str(folder),
        "XF_LOG_LEVEL": "WARNING",
        "XF_WEB_THREADS": str(THREADS),
    }
    prepared = subprocess.run(
        [sys.executable, "-m", "tests.load.prepare"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert prepared.returncode == 0, prepared.stderr.decode()[-3000:]
    data = json.loads(prepared.stdout)
    log = folder / "gunicorn.log"
    port = free_port()
    here = Server(port, data["token"], data["body"], data["numbers"], log, None)
    if database.startswith("postgres"):
        here.postgres = database
    with log.open("wb") as output:
        command: list[str | Path] = [
            BIN / "gunicorn",
            "xinfang.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
        ]
        command += ["--workers", str(WORKERS), "--threads", str(THREADS)]
        process = subprocess.Popen(  # noqa: S603 - our venv's gunicorn, our arguments
            command,
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_until_serving(here, process)
        yield here
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if here.postgres:
            drop_database(here.postgres)


class Client(threading.Thread):
    """One desk: a kept-alive connection, a request after each answer, until the deadline."""

    def __init__(self, server: Server, tally: Tally, deadline: float, serial: int) -> None:
        super().__init__(daemon=True)
        self.server, self.tally, self.deadline, self.serial = server, tally, deadline, serial
        self.random = random.Random(serial)
        self.connection: http.client.HTTPConnection | None = None
        self.sent = 0

    def run(self) -> None:
        while time.monotonic() < self.deadline:
            kind = self.random.choices(list(MIX), weights=list(MIX.values()))[0]
            started = time.perf_counter()
            status = self.send(kind, *self.request(kind))
            self.tally.record(kind, status, time.perf_counter() - started)
        if self.connection is not None:
            self.connection.close()

    def request(self, kind: str) -> tuple[str, str, bytes | None, dict[str, str]]:
        headers = {"Authorization": f"Bearer {self.server.token}"}
        numbers = self.server.numbers
        if kind == "list":
            query = self.random.choice(["", "?size=20", "?status=registered", "?channel=visit"])
            return "GET", f"/api/v1/cases{query}", None, headers
        if kind == "detail":
            return "GET", f"/api/v1/cases/{self.random.choice(numbers)}", None, headers
        self.sent += 1
        person = {"name": "负载测试", "id_number": id_number(self.serial * 1000 + self.sent)}
        body = self.server.body | {"petitioners": [person]}
        headers |= {"Content-Type": "application/json", "Idempotency-Key": uuid.uuid4().hex}
        return "POST", "/api/v1/cases", json.dumps(body).encode(), headers

    def send(self, kind: str, method: str, path: str, body: bytes | None, headers: Any) -> int:
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(
                    "127.0.0.1", self.server.port, timeout=60
                )
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            payload = response.read()
        except (OSError, http.client.HTTPException):
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return CONNECTION_FAILED
        if response.status == 503:
            self.check_refusal(response, payload)
        if response.status == 201:
            self.server.numbers.append(json.loads(payload)["number"])  # list.append is atomic
        if response.getheader("Connection", "").lower() == "close":
            self.connection.close()
            self.connection = None
        return response.status

    def check_refusal(self, response: http.client.HTTPResponse, payload: bytes) -> None:
        retry_after = response.getheader("Retry-After", "")
        if not retry_after.isdigit() or json.loads(payload) != BUSY:
            self.tally.bad_refusals.append(f"Retry-After={retry_after!r} {payload[:200]!r}")


def count_connections(url: str, tally: Tally, until: float) -> None:
    """The peak number of server connections to the load database, sampled 4 times a second."""
    name = urlsplit(url).path.lstrip("/")
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        while time.monotonic() < until:
            row = connection.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [name]
            ).fetchone()
            tally.peak_connections = max(tally.peak_connections, row[0] if row else 0)
            time.sleep(0.25)


@pytest.fixture(scope="module")
def tally(server: Server) -> Tally:
    result = Tally()
    started = time.monotonic()
    deadline = started + SECONDS
    clients = [Client(server, result, deadline, serial) for serial in range(1, CLIENTS + 1)]
    sampler = None
    if server.postgres:
        sampler = threading.Thread(
            target=count_connections, args=(server.postgres, result, deadline + 1), daemon=True
        )
        sampler.start()
    for client in clients:
        client.start()
    for client in clients:
        client.join(timeout=SECONDS + 120)
    if sampler is not None:
        sampler.join()
    result.seconds = time.monotonic() - started
    return result


def test_the_load_far_exceeds_what_the_server_serves_at_once(tally: Tally) -> None:
    assert CLIENTS >= 3 * WORKERS * THREADS
    assert tally.total >= 10 * SECONDS, tally.summary()
    assert all(tally.statuses[kind, 200] + tally.statuses[kind, 201] for kind in MIX), (
        tally.summary()
    )


def test_no_request_gets_a_500(server: Server, tally: Tally) -> None:
    errors = tally.count(lambda kind, status: status == 500)

    assert errors == 0, tally.summary() + "\n" + server.log.read_text()[-5000:]


def test_fewer_than_one_percent_of_requests_fail(
    tally: Tally, capsys: pytest.CaptureFixture[str]
) -> None:
    with capsys.disabled():
        sys.stdout.write("\n" + tally.summary() + "\n")

    assert tally.failures() < 0.01 * tally.total, tally.summary()


def test_a_request_turned_away_gets_503_in_chinese_with_retry_after(tally: Tally) -> None:
    assert tally.bad_refusals == []


def test_postgresql_connections_stay_within_workers_times_threads(
    server: Server, tally: Tally
) -> None:
    if not server.postgres:
        pytest.skip("只在 PostgreSQL 上检查连接数")

    assert 0 < tally.peak_connections <= WORKERS * THREADS, tally.summary()
