"""The benchmark database: built once by the demo generator, then reused while the scale, the
seed, the database kind and the migrations are the same.

Each database lives in its own data folder (``var/bench/<key>/``; SQLite keeps its file there)
and, on PostgreSQL, in its own database ``bench_<key>``, so benchmarks never touch anybody's
development or test data. A ``built.json`` beside it, written only after a complete build,
says what it holds; without it the database is dropped and built again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.report import REPO

#: The generator's reference date: the data looks the same whenever the benchmark runs.
REFERENCE_DATE = dt.date(2026, 11, 26)
DEFAULT_SEED = 20261126
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432"
SCALES = {"10k": 10_000, "100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
_GENERATOR = ("xinfang/cases/demo.py", "xinfang/cases/demo_workflow.py")


def parse_scale(text: str) -> tuple[str, int]:
    """``10k`` / ``100K`` / ``1m`` / ``2500`` → (label, cases)."""
    label = text.strip().lower()
    if label in SCALES:
        return label, SCALES[label]
    match = re.fullmatch(r"(\d+)([km]?)", label)
    if match is None:
        raise ValueError(f"规模应为 10k、100k、1m 或件数，实际为 {text!r}")
    cases = int(match[1]) * {"": 1, "k": 1000, "m": 1_000_000}[match[2]]
    named = {count: name for name, count in SCALES.items()}
    return named.get(cases, str(cases)), cases


def _digest(paths: list[Path]) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPO)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:10]


def migration_state() -> str:
    """A digest of every migration file: a new migration means a new database."""
    return _digest(list((REPO / "xinfang").glob("*/migrations/*.py")))


def generator_version() -> str:
    return _digest([REPO / name for name in _GENERATOR])


@dataclass(frozen=True)
class Spec:
    scale: str
    cases: int
    seed: int
    database: str  # sqlite | postgres
    data_dir: Path
    postgres_url: str
    #: Read once when the run starts: a migration landing meanwhile must not move the folder.
    migrations: str = field(default_factory=migration_state)

    @property
    def key(self) -> str:
        return f"{self.scale}-s{self.seed}-{self.database}-m{self.migrations}"

    @property
    def folder(self) -> Path:
        return self.data_dir / self.key

    @property
    def postgres_name(self) -> str:
        return "bench_" + re.sub(r"[^a-z0-9]+", "_", self.key.lower())

    @property
    def url(self) -> str:
        if self.database == "sqlite":
            return f"sqlite:///{self.folder / 'bench.sqlite3'}"
        parts = urlsplit(self.postgres_url)
        return urlunsplit(parts._replace(path=f"/{self.postgres_name}"))

    @property
    def marker(self) -> Path:
        return self.folder / "built.json"


def configure(spec: Spec) -> None:
    """Point Django's settings at the benchmark database (call before django.setup())."""
    spec.folder.mkdir(parents=True, exist_ok=True)
    os.environ["XF_VAR_DIR"] = str(spec.folder)
    os.environ["DATABASE_URL"] = spec.url
    os.environ["DJANGO_SETTINGS_MODULE"] = "xinfang.settings"
    # The demo accounts' passwords were set when the data was built; the benchmark signs in
    # with sessions, so an expired password must not turn every page into a redirect.
    os.environ["XF_PASSWORD_MAX_AGE_DAYS"] = "0"  # noqa: S105 - days, not a password
    os.environ.setdefault("XF_LOG_LEVEL", "WARNING")


def built(spec: Spec) -> dict[str, Any] | None:
    if not spec.marker.exists():
        return None
    info: dict[str, Any] = json.loads(spec.marker.read_text())
    return info


def _maintenance(spec: Spec, statement: str) -> None:
    """``statement`` with ``{}`` for the benchmark database's name, on the server's
    maintenance database (CREATE and DROP DATABASE cannot run inside the database)."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(spec.postgres_url)
    with psycopg.connect(urlunsplit(parts._replace(path="/postgres")), autocommit=True) as db:
        db.execute(sql.SQL(statement).format(sql.Identifier(spec.postgres_name)))


def drop(spec: Spec) -> None:
    """Forget a database: its marker, its folder's data, its PostgreSQL database."""
    spec.marker.unlink(missing_ok=True)
    if spec.database == "postgres":
        _maintenance(spec, "DROP DATABASE IF EXISTS {} WITH (FORCE)")
    for name in ("bench.sqlite3", "bench.sqlite3-wal", "bench.sqlite3-shm", "tasks.sqlite3"):
        (spec.folder / name).unlink(missing_ok=True)
    shutil.rmtree(spec.folder / "attachments", ignore_errors=True)


def prepare(spec: Spec, *, rebuild: bool) -> None:
    """Before django.setup(): drop what is incomplete or unwanted; create the empty database."""
    if rebuild or built(spec) is None:
        drop(spec)
        if spec.database == "postgres":
            _maintenance(spec, "CREATE DATABASE {}")


def _say(text: str) -> None:
    sys.stderr.write(text + "\n")
    sys.stderr.flush()


def ensure(spec: Spec) -> dict[str, Any]:
    """After django.setup(): migrate, and seed unless ``built.json`` says it is done. Returns
    what the marker records, with ``built_now``."""
    from django.core.management import call_command

    info = built(spec)
    call_command("migrate", verbosity=0, interactive=False)
    if info is not None:
        if info.get("generator") != generator_version():
            _say(
                "注意：基准数据由旧版演示数据生成器生成；要重新生成请加 --rebuild。"
                " (data built by an older generator; --rebuild to regenerate)"
            )
        if "search_seconds" not in info:  # built before the search workloads: index it now
            info.update(_search_index())
            spec.marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
        return {**info, "built_now": False}
    info = {**_seed(spec), **_search_index()}
    spec.marker.write_text(json.dumps(info, ensure_ascii=False, indent=1))
    return {**info, "built_now": True}


def _search_index() -> dict[str, Any]:
    """What ``make demo`` does after the generator (whose bulk loads send no signals): the
    full-text index and the word statistics of related cases (W2, W6)."""
    from xinfang.search.rebuild import rebuild
    from xinfang.search.termstats import refresh_term_statistics

    started = time.perf_counter()
    _say("建立检索索引 indexing the cases for search")
    result = rebuild(batch=2000)
    refresh_term_statistics()
    seconds = time.perf_counter() - started
    _say(f"  完成 {result.written:,} documents in {seconds:.0f} s")
    return {"search_documents": result.written, "search_seconds": round(seconds, 1)}


def _seed(spec: Spec) -> dict[str, Any]:
    import resource

    from django.db import connection

    from xinfang.cases.demo import seed_demo

    started = time.perf_counter()
    step = max(spec.cases // 10, 1)

    def progress(done: int, total: int) -> None:
        if done % step < 2000 or done == total:  # about every tenth, at batch ends
            elapsed = time.perf_counter() - started
            _say(f"  已写入 {done:,}/{total:,} 件，用时 {elapsed:.0f} 秒")

    _say(f"生成基准数据 building: {spec.cases:,} cases, seed {spec.seed}, {spec.database}")
    result = seed_demo(
        cases=spec.cases,
        seed=spec.seed,
        today=REFERENCE_DATE,
        progress=progress,
        walk=False,
    )
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # What autovacuum would do minutes after a bulk load: the planner needs statistics.
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    _say(f"  完成 done in {seconds:.0f} s, peak RSS {peak_mb:.0f} MB")
    return {
        "cases": result.cases,
        "contacts": result.contacts,
        "petitioners": result.petitioners,
        "seed": spec.seed,
        "reference_date": result.reference_date.isoformat(),
        "seed_seconds": round(seconds, 1),
        "seed_peak_rss_mb": round(peak_mb),
        "built_on": dt.date.today().isoformat(),
        "generator": generator_version(),
        "migrations": spec.migrations,
    }
