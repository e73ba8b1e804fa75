"""Backup and restore round-trip into an empty database (SECURITY.md 28).

Transactional tests: the backup reads what is committed (pg_dump is another process), and
the restore runs as an operator would, ``manage.py restore`` in a child process pointed at a
database of its own.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from tests.conftest import Units
from tests.factories import id_number
from tests.ops.conftest import Database, manage, using_database
from xinfang.accounts.models import Region, User
from xinfang.audit.models import AuditEvent
from xinfang.audit.queries import verify_chain
from xinfang.cases.enums import Channel, HandlingCategory
from xinfang.cases.models import Attachment, Case, ContentCategory, Petitioner
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    attachment_path,
    register_case,
)
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document
from xinfang.documents.services import NoticeFacts, issue_notice

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.integration]

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(17)
ID_NUMBER = id_number(42)


@pytest.fixture
def attachment_dir(settings: Any, tmp_path: Path) -> Path:
    settings.ATTACHMENT_DIR = tmp_path / "attachments"
    return Path(settings.ATTACHMENT_DIR)


@pytest.fixture
def live_data(
    attachment_dir: Path, clerk: User, units: Units, region: Region, category: ContentCategory
) -> dict[str, Any]:
    """Two registrations through the service (petitioners, attachments, audit events) and a
    notice (a document held in the database)."""
    cases = []
    for serial, files in enumerate(
        [
            [SimpleUploadedFile("材料.pdf", PDF), SimpleUploadedFile("照片.png", PNG)],
            [SimpleUploadedFile("补充材料.pdf", PDF + b"% 2\n")],
        ]
    ):
        result = register_case(
            actor=clerk,
            contact=ContactInput(
                channel=Channel.VISIT,
                occurred_at=timezone.now() - dt.timedelta(hours=1),
                reception_unit=units.hall,
                people_count=2,
            ),
            case=CaseInput(
                handling_category=HandlingCategory.CLAIM,
                content_category=category,
                region=region,
                title=f"小区物业乱收费{serial}",
                request="请求责令物业公司退还多收的费用。",
            ),
            petitioners=[
                PetitionerInput(
                    name="张三", id_number=ID_NUMBER, phone="13900001111", address="幸福路1号"
                ),
                PetitionerInput(name=f"李四{serial}", id_number=id_number(serial + 50)),
            ],
            attachments=files,
        )
        cases.append(result.case)
    document = issue_notice(
        cases[0],
        NoticeKind.NON_ACCEPTANCE,
        actor=clerk,
        issuing_unit=units.office,
        facts=NoticeFacts(issued_on=timezone.localdate(), body="该事项已经依法处理完毕。"),
    )
    return {
        "person": Petitioner.objects.get(name="张三").uid,
        "document": (document.uid, document.sha256),
        "attachments": {a.uid: a.sha256 for a in Attachment.objects.all()},
        "counts": table_counts(),
    }


def table_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
            counts[table] = cursor.fetchone()[0]
    return counts


def back_up(destination: Path) -> dict[str, Any]:
    call_command("backup", str(destination), verbosity=0)
    manifest: dict[str, Any] = json.loads((destination / "manifest.json").read_text())
    return manifest


def restore_into(database: Database, source: Path, attachments: Path, *args: str) -> Any:
    return manage(
        "restore",
        str(source),
        *args,
        DATABASE_URL=database.url,
        XF_ATTACHMENT_DIR=str(attachments),
    )


def test_a_backup_restored_into_an_empty_database_has_the_same_rows_files_and_audit_chain(
    live_data: dict[str, Any], tmp_path: Path, empty_database: Database
) -> None:
    manifest = back_up(tmp_path / "backup")
    restored_files = tmp_path / "restored-attachments"

    result = restore_into(empty_database, tmp_path / "backup", restored_files)

    assert result.returncode == 0, result.stderr
    assert "恢复完成" in result.stdout
    assert manifest["row_counts"] == live_data["counts"]
    with using_database(empty_database):
        counts = table_counts()
        person = Petitioner.objects.get(uid=live_data["person"])
        document = Document.objects.get(uid=live_data["document"][0])
        checked, broken = verify_chain()
        last = AuditEvent.objects.order_by("-seq").first()
        attachment_files = {
            a.uid: hashlib.sha256(attachment_path_in(restored_files, a).read_bytes()).hexdigest()
            for a in Attachment.objects.all()
        }
    assert counts == {
        **live_data["counts"],
        "audit_auditevent": live_data["counts"]["audit_auditevent"] + 1,  # backup.restore
    }
    assert person.decrypt("id_number") == ID_NUMBER
    assert hashlib.sha256(bytes(document.content)).hexdigest() == live_data["document"][1]
    assert attachment_files == live_data["attachments"]
    assert (checked, broken) == (manifest["audit_head"]["seq"] + 1, None)
    assert last is not None
    assert last.event == "backup.restore"


def attachment_path_in(folder: Path, attachment: Attachment) -> Path:
    default = Path(django_settings.ATTACHMENT_DIR)
    return folder / attachment_path(attachment).relative_to(default)


def test_the_manifest_lists_counts_checksums_audit_head_and_migrations(
    live_data: dict[str, Any], tmp_path: Path
) -> None:
    head = AuditEvent.objects.order_by("-seq").first()
    assert head is not None

    manifest = back_up(tmp_path / "backup")

    database_file = "database.sqlite3" if connection.vendor == "sqlite" else "database.pgdump"
    files = {
        name: hashlib.sha256((tmp_path / "backup" / name).read_bytes()).hexdigest()
        for name in manifest["files"]
    }
    assert files == {name: entry["sha256"] for name, entry in manifest["files"].items()}
    assert sorted(files) == sorted(
        [
            database_file,
            *(f"attachments/{a.uid.hex[:2]}/{a.uid.hex}" for a in Attachment.objects.all()),
        ]
    )
    assert manifest["audit_head"] == {"seq": head.seq, "hash": head.hash}
    assert ["cases", "0001_initial"] in manifest["migrations"]
    assert (manifest["engine"], manifest["keys_included"]) == (connection.vendor, False)


def test_a_backup_writes_one_audit_event_in_the_live_database(
    live_data: dict[str, Any], tmp_path: Path
) -> None:
    before = AuditEvent.objects.count()

    back_up(tmp_path / "backup")

    event = AuditEvent.objects.get(seq__gt=before)
    assert (event.event, event.object_id, event.detail["attachments"]) == (
        "backup.create",
        "backup",
        3,
    )


def test_no_key_is_in_any_file_of_a_backup(live_data: dict[str, Any], tmp_path: Path) -> None:
    back_up(tmp_path / "backup")
    secrets = [django_settings.SECRET_KEY.encode()]
    for hex_key in (
        *(item.split(":")[1] for item in django_settings.XF_PI_KEYS.split(",")),
        django_settings.XF_BLIND_INDEX_KEY,
        django_settings.XF_AUDIT_KEY,
    ):
        secrets += [hex_key.encode(), hex_key.upper().encode(), bytes.fromhex(hex_key)]

    leaks = [
        path.name
        for path in (tmp_path / "backup").rglob("*")
        if path.is_file() and any(secret in path.read_bytes() for secret in secrets)
    ]

    assert leaks == []


def test_restore_refuses_a_database_that_already_has_tables_and_changes_nothing(
    live_data: dict[str, Any], tmp_path: Path
) -> None:
    back_up(tmp_path / "backup")
    Case.objects.update(title="恢复前的改动")

    with pytest.raises(CommandError, match=r"目标数据库不是空库（已有 \d+ 张表）.*请加 --force"):
        call_command("restore", str(tmp_path / "backup"), verbosity=0)

    assert Case.objects.filter(title="恢复前的改动").count() == 2


def test_restore_refuses_a_backup_with_a_changed_file_before_writing_anything(
    live_data: dict[str, Any], tmp_path: Path, empty_database: Database
) -> None:
    back_up(tmp_path / "backup")
    victim = sorted(p for p in (tmp_path / "backup" / "attachments").rglob("*") if p.is_file())[0]
    content = bytearray(victim.read_bytes())
    content[0] ^= 0x01
    victim.write_bytes(bytes(content))

    result = restore_into(empty_database, tmp_path / "backup", tmp_path / "restored")

    assert result.returncode == 1
    assert "备份文件已损坏或被改动，未做任何恢复" in result.stderr
    assert "校验值不符" in result.stderr
    assert not (tmp_path / "restored").exists()
    with using_database(empty_database):
        assert connection.introspection.table_names() == []


def test_restore_with_force_replaces_a_database_that_has_tables(
    live_data: dict[str, Any], tmp_path: Path, empty_database: Database
) -> None:
    manifest = back_up(tmp_path / "backup")
    first = restore_into(empty_database, tmp_path / "backup", tmp_path / "restored")
    assert first.returncode == 0, first.stderr

    forced = restore_into(empty_database, tmp_path / "backup", tmp_path / "restored", "--force")

    assert forced.returncode == 0, forced.stderr
    with using_database(empty_database):
        # The first restore's own audit event is gone with the data it was appended to.
        assert verify_chain() == (manifest["audit_head"]["seq"] + 1, None)


def test_backup_refuses_a_folder_that_is_not_empty(tmp_path: Path, db: None) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "old.txt").write_text("x")

    with pytest.raises(CommandError, match="已存在且不为空"):
        call_command("backup", str(tmp_path / "backup"), verbosity=0)
