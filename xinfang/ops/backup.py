"""备份与恢复: the database, the attachment folder and a manifest, into one folder.

Layout of a backup folder::

    manifest.json          what is inside: row counts per table, sha256 of every file, the
                           audit chain head, the applied migrations, created-at
    database.sqlite3       SQLite: a copy made with the online backup API, or
    database.pgdump        PostgreSQL: ``pg_dump -Fc`` of one exported snapshot
    attachments/…          the attachment folder, same relative paths

A backup never holds a key (``XF_PI_KEYS``, ``XF_BLIND_INDEX_KEY``, ``XF_AUDIT_KEY``,
``XF_SECRET_KEY``): the personal data in it stays sealed, and the manifest names only the ids
of the SM4 keys configured when it was made. Restoring needs the same keys from the secret store.

The database is copied before the attachment folder: an attachment is written to disk before
the transaction that records it commits, so every attachment the copied database names is
already on disk when the folder is copied.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader

from xinfang.audit.queries import verify_chain
from xinfang.audit.services import record
from xinfang.cases.models import Attachment
from xinfang.cases.services import attachment_path
from xinfang.core.crypto import keyring

FORMAT = 1
MANIFEST = "manifest.json"
ATTACHMENTS = "attachments"
DATABASE_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
CHUNK = 1024 * 1024
KEYS_NOTE = "本备份不含任何密钥；恢复时须从密钥管理系统取得同一组 XF_PI_KEYS、XF_AUDIT_KEY 等。"

Progress = Callable[[str], None]


class BackupError(Exception):
    """A backup or restore refused or failed; the message is for the operator, in Chinese."""


@dataclass
class RestoreReport:
    manifest: dict[str, Any]
    rows: int
    audit_events: int
    attachments: int
    notes: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


def _quiet(_message: str) -> None:
    return None


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _vendor() -> str:
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"不支持的数据库类型：{connection.vendor}")
    return connection.vendor


def _count_rows(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for table in sorted(tables):
        cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (introspected names)
        counts[table] = int(cursor.fetchone()[0])
    return counts


def _state(cursor: Any, tables: list[str], quote: Callable[[str], str]) -> dict[str, Any]:
    """Row counts, audit head and migrations, read through ``cursor`` (one snapshot)."""
    cursor.execute("SELECT seq, hash FROM audit_audithead WHERE id = 1")
    head = cursor.fetchone()
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    migrations = [[str(app), str(name)] for app, name in cursor.fetchall()]
    return {
        "row_counts": _count_rows(cursor, tables, quote),
        "audit_head": {"seq": int(head[0]), "hash": str(head[1])} if head else None,
        "migrations": migrations,
    }


def _libpq_environment(settings_dict: dict[str, Any]) -> dict[str, str]:
    """Connection settings for pg_dump/pg_restore as libpq variables: the password never
    appears on a command line (visible to every local user in the process list)."""
    env = dict(os.environ)
    values = {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": settings_dict.get("OPTIONS", {}).get("sslmode"),
    }
    env.update({name: str(value) for name, value in values.items() if value})
    return env


def _run(command: list[str], settings_dict: dict[str, Any], what: str) -> None:
    result = subprocess.run(  # noqa: S603 (fixed program, arguments we built)
        command,
        env=_libpq_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BackupError(f"{what}失败（退出码 {result.returncode}）：{result.stderr.strip()}")


def _copy_file(source: Path, target: Path) -> str:
    """Copy ``source`` to ``target`` (created 0600, flushed to disk); returns its sha256."""
    digest = hashlib.sha256()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with source.open("rb") as reader, os.fdopen(descriptor, "wb") as writer:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            writer.write(chunk)
        writer.flush()
        os.fsync(writer.fileno())
    return digest.hexdigest()


def _regular_files(folder: Path) -> Iterator[Path]:
    """Every regular file under ``folder``, never following a symbolic link out of it."""
    if not folder.is_dir():
        return
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            path = Path(root) / name
            if path.is_file() and not path.is_symlink():
                yield path


def _inside(base: Path, relative: str) -> Path:
    """``base / relative``, refusing absolute paths and ``..`` (a manifest is input too)."""
    candidate = (base / relative).resolve()
    if Path(relative).is_absolute() or not candidate.is_relative_to(base.resolve()):
        raise BackupError(f"清单中的文件路径不合法：{relative}")
    return candidate


# --- backup -----------------------------------------------------------------------------------


def _backup_sqlite(target: Path) -> dict[str, Any]:
    """Copy the live database with SQLite's online backup API in one step (one read snapshot;
    under WAL, writers keep going), then read counts, audit head and migrations from the copy."""
    source_name = str(connection.settings_dict["NAME"])
    with closing(sqlite3.connect(source_name)) as source, closing(sqlite3.connect(target)) as copy:
        source.backup(copy)
        # A self-contained file: no -wal or -shm beside it, and reading it changes nothing.
        copy.execute("PRAGMA journal_mode=DELETE")
        tables = [
            row[0]
            for row in copy.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        cursor = copy.cursor()
        return _state(cursor, tables, lambda name: '"' + name.replace('"', '""') + '"')


def _backup_postgresql(target: Path) -> dict[str, Any]:
    """``pg_dump -Fc`` of a snapshot exported by a REPEATABLE READ transaction; the counts,
    audit head and migrations are read in that same transaction, so they describe the dump."""
    if connection.in_atomic_block:
        raise BackupError("备份须在事务之外运行。")
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = str(cursor.fetchone()[0])
        tables = connection.introspection.table_names(cursor)
        state = _state(cursor, tables, connection.ops.quote_name)
        _run(
            ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={target}"],
            connection.settings_dict,
            "pg_dump",
        )
    return state


def create_backup(destination: Path, *, progress: Progress = _quiet) -> dict[str, Any]:
    """备份: write the database, the attachment folder and ``manifest.json`` into
    ``destination`` (a new or empty folder). The manifest is written last, so a folder without
    one is an unfinished backup. Audit: ``backup.create`` (in the live database, after the
    snapshot, so the copy does not contain it). Returns the manifest."""
    vendor = _vendor()
    if destination.exists() and (not destination.is_dir() or any(destination.iterdir())):
        raise BackupError(f"备份目录 {destination} 已存在且不为空，请换一个新目录。")
    destination.mkdir(parents=True, exist_ok=True, mode=0o700)
    database_file = destination / DATABASE_FILES[vendor]
    progress(f"正在备份数据库（{vendor}）……")
    state = (
        _backup_sqlite(database_file) if vendor == "sqlite" else _backup_postgresql(database_file)
    )
    database_file.chmod(0o600)
    _fsync(database_file)
    files = {
        database_file.name: {
            "sha256": _sha256_of(database_file),
            "size": database_file.stat().st_size,
        }
    }
    progress(
        f"数据库已备份：{sum(state['row_counts'].values())} 行，{len(state['row_counts'])} 张表。"
    )
    attachment_dir = Path(settings.ATTACHMENT_DIR)
    copied = 0
    for path in _regular_files(attachment_dir):
        relative = f"{ATTACHMENTS}/{path.relative_to(attachment_dir).as_posix()}"
        files[relative] = {
            "sha256": _copy_file(path, destination / relative),
            "size": path.stat().st_size,
        }
        copied += 1
    progress(f"附件已复制：{copied} 个文件。")
    manifest: dict[str, Any] = {
        "format": FORMAT,
        "created_at": dt.datetime.now(dt.UTC).isoformat(),
        "engine": vendor,
        "database_file": database_file.name,
        **state,
        "files": files,
        "pi_key_ids": sorted(keyring().keys),
        "keys_included": False,
        "note": KEYS_NOTE,
    }
    partial = destination / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
    partial.chmod(0o600)
    _fsync(partial)
    partial.replace(destination / MANIFEST)
    _fsync(destination)
    with transaction.atomic():
        record(
            "backup.create",
            actor=None,
            object_type="backup",
            object_id=destination.name,
            detail={
                "engine": vendor,
                "tables": len(state["row_counts"]),
                "rows": sum(state["row_counts"].values()),
                "attachments": copied,
                "audit_seq": (state["audit_head"] or {}).get("seq", 0),
            },
        )
    return manifest


# --- restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(f"{source} 中没有 {MANIFEST}：不是备份目录，或备份未完成。")
    try:
        manifest: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        raise BackupError(f"{MANIFEST} 无法解析，备份已损坏。") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"备份格式 {manifest.get('format')!r} 不受支持（应为 {FORMAT}）。")
    return manifest


def verify_files(source: Path, manifest: dict[str, Any]) -> None:
    """Every file the manifest lists is there with its sha256; nothing is written before."""
    problems = []
    for relative, expected in sorted(manifest["files"].items()):
        path = _inside(source, relative)
        if not path.is_file():
            problems.append(f"缺少文件 {relative}")
        elif _sha256_of(path) != expected["sha256"]:
            problems.append(f"{relative} 的校验值不符")
    if problems:
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise BackupError(f"备份文件已损坏或被改动，未做任何恢复：{shown}")


def _existing_tables() -> list[str]:
    with connection.cursor() as cursor:
        return list(connection.introspection.table_names(cursor))


def _restore_sqlite(database_file: Path) -> None:
    connection.close()
    target = str(connection.settings_dict["NAME"])
    Path(target).parent.mkdir(parents=True, exist_ok=True)
    source_uri = f"{database_file.resolve().as_uri()}?mode=ro"
    with (
        closing(sqlite3.connect(source_uri, uri=True)) as source,
        closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=WAL")


def _restore_postgresql(database_file: Path, *, replace: bool) -> None:
    connection.close()
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error"]
    command += ["--single-transaction", f"--dbname={connection.settings_dict['NAME']}"]
    if replace:
        command += ["--clean", "--if-exists"]
    _run([*command, str(database_file)], connection.settings_dict, "pg_restore")


def _copy_attachments(source: Path, manifest: dict[str, Any]) -> int:
    target_dir = Path(settings.ATTACHMENT_DIR)
    count = 0
    for relative in sorted(manifest["files"]):
        if not relative.startswith(f"{ATTACHMENTS}/"):
            continue
        target = _inside(target_dir, relative.removeprefix(f"{ATTACHMENTS}/"))
        _copy_file(_inside(source, relative), target)
        count += 1
    return count


def _check_restored(manifest: dict[str, Any]) -> tuple[list[str], list[str], int]:
    """Compare the restored database with the manifest: counts, audit chain, migrations and
    every attachment row's file. Returns (problems, notes, events checked)."""
    problems: list[str] = []
    notes: list[str] = []
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        state = _state(cursor, tables, connection.ops.quote_name)
    for table, expected in sorted(manifest["row_counts"].items()):
        actual = state["row_counts"].get(table)
        if actual != expected:
            problems.append(f"表 {table} 应有 {expected} 行，恢复后为 {actual}")
    checked, broken = verify_chain()
    if broken is not None:
        problems.append(f"审计链校验失败：第 {broken.seq} 条记录 — {broken.reason}")
    if state["audit_head"] != manifest["audit_head"]:
        problems.append("审计链末端与备份清单不符")
    if state["migrations"] != manifest["migrations"]:
        problems.append("迁移记录与备份清单不符")
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    applied = {(app, name) for app, name in manifest["migrations"]}
    if applied - known:
        notes.append("备份来自更新的版本（含本程序不认识的迁移），请先升级程序再使用该数据库。")
    elif known - applied:
        notes.append("备份来自较早的版本：请运行 manage.py migrate 后再启动服务。")
    for attachment in Attachment.objects.only("uid", "sha256").iterator(chunk_size=500):
        path = attachment_path(attachment)
        if not path.is_file() or _sha256_of(path) != attachment.sha256:
            problems.append(f"附件 {attachment.uid} 缺失或内容不符")
    return problems, notes, checked


def restore_backup(
    source: Path, *, force: bool = False, progress: Progress = _quiet
) -> RestoreReport:
    """恢复: check every file's sha256, refuse a database that already has tables (and an
    attachment folder that already has files) unless ``force``, load the database and the
    attachments, then compare counts, the audit chain and the attachments with the manifest.
    Audit: ``backup.restore``, appended to the restored chain after the checks."""
    vendor = _vendor()
    manifest = read_manifest(source)
    if manifest["engine"] != vendor:
        raise BackupError(f"这是 {manifest['engine']} 数据库的备份，不能恢复到 {vendor} 数据库。")
    progress("正在核对备份文件的校验值……")
    verify_files(source, manifest)
    progress(f"校验通过：{len(manifest['files'])} 个文件。")
    existing = _existing_tables()
    if existing and not force:
        raise BackupError(
            f"目标数据库不是空库（已有 {len(existing)} 张表），恢复会覆盖其中的数据。"
            "确认无误请加 --force。"
        )
    attachment_dir = Path(settings.ATTACHMENT_DIR)
    if next(_regular_files(attachment_dir), None) is not None and not force:
        raise BackupError(f"附件目录 {attachment_dir} 不为空。确认无误请加 --force。")
    database_file = _inside(source, manifest["database_file"])
    progress("正在恢复数据库……")
    if vendor == "sqlite":
        _restore_sqlite(database_file)
    else:
        _restore_postgresql(database_file, replace=bool(existing))
    copied = _copy_attachments(source, manifest)
    progress(f"附件已恢复：{copied} 个文件。正在核对行数、审计链和附件……")
    problems, notes, checked = _check_restored(manifest)
    if problems:
        shown = "；".join(problems[:10]) + ("……" if len(problems) > 10 else "")
        raise BackupError(f"恢复后核对失败，请勿使用该数据库：{shown}")
    rows = sum(manifest["row_counts"].values())
    with transaction.atomic():
        record(
            "backup.restore",
            actor=None,
            object_type="backup",
            object_id=source.name,
            detail={
                "created_at": manifest["created_at"],
                "rows": rows,
                "audit_seq": checked,
                "attachments": copied,
                "forced": bool(existing),
            },
        )
    return RestoreReport(
        manifest=manifest, rows=rows, audit_events=checked, attachments=copied, notes=notes
    )
