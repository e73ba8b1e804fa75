"""台账导入 pages: clerks only, scoped to their unit; the whole walk from upload to result."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from huey.contrib.djhuey import HUEY

from tests.conftest import Units, logged_in
from tests.factories import UserFactory
from tests.ledger.conftest import import_now, row, upload, xlsx_bytes
from xinfang.accounts.enums import Role
from xinfang.accounts.models import User
from xinfang.cases.models import Case, ContentCategory
from xinfang.ledger.models import LedgerImport

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def tasks_in_process() -> Any:
    HUEY.immediate = True
    yield
    HUEY.immediate = False


@pytest.fixture
def other_clerk(units: Units) -> User:
    return UserFactory(username="clerk_b", unit=units.unit_b, roles=[Role.CLERK])


def _file(rows: list[list[object]]) -> SimpleUploadedFile:
    return SimpleUploadedFile("台账.xlsx", xlsx_bytes(rows), content_type=XLSX)


def test_a_clerk_walks_from_upload_through_mapping_and_preview_to_the_result(
    clerk: User,
    category: ContentCategory,
    tasks_in_process: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    client = logged_in(clerk)
    response = client.post(
        reverse("ledger:index"), {"file": _file([row(1), row(2, 收到日期="无")]), "source": "信箱"}
    )
    ledger = LedgerImport.objects.get()
    assert response["Location"] == reverse("ledger:mapping", args=[ledger.uid])
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert page.context["form"]["col_title"].value() == "2"
    form = {f"col_{name}": str(index) for name, index in ledger.columns.items()}
    form |= {
        "channel": "letter",
        "handling_category": "claim",
        "content_category": str(category.pk),
    }
    response = client.post(reverse("ledger:mapping", args=[ledger.uid]), form)
    assert response["Location"] == reverse("ledger:preview", args=[ledger.uid])
    preview = client.get(response["Location"])
    assert [r.problems for r in preview.context["rows"]] == [[], ["收到时间：无法识别的日期：无"]]
    with django_capture_on_commit_callbacks(execute=True):  # the task is queued on commit
        response = client.post(reverse("ledger:preview", args=[ledger.uid]))
    assert response["Location"] == reverse("ledger:detail", args=[ledger.uid])
    result = client.get(response["Location"])
    assert (result.context["ledger"].imported, result.context["ledger"].rejected) == (1, 1)
    assert "下载未导入的行" in result.content.decode()
    assert Case.objects.get().channel == "letter"


def test_a_refused_file_shows_why_on_the_upload_page(clerk: User) -> None:
    bad = SimpleUploadedFile("台账.xlsx", b"PK\x03\x04broken", content_type=XLSX)
    response = logged_in(clerk).post(reverse("ledger:index"), {"file": bad, "source": "信箱"})
    assert response.status_code == 422
    assert "损坏" in response.content.decode()
    assert LedgerImport.objects.count() == 0


def test_the_progress_fragment_is_served_to_htmx_polling(
    clerk: User, category: ContentCategory
) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    LedgerImport.objects.filter(pk=ledger.pk).update(status="running", rows_total=10, rows_done=4)
    response = logged_in(clerk).get(
        reverse("ledger:detail", args=[ledger.uid]), headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="import-progress"')
    assert '<progress max="10" value="4">40%</progress>' in html
    assert 'hx-trigger="every 2s"' in html


def test_the_rejected_rows_download_is_an_xlsx(clerk: User, category: ContentCategory) -> None:
    ledger = import_now(clerk, upload(clerk, xlsx_bytes([row(1, 标题=None)])), category)
    response = logged_in(clerk).get(reverse("ledger:rejected", args=[ledger.uid]))
    assert response["Content-Type"] == XLSX
    assert response.content.startswith(b"PK")


def test_discarding_deletes_the_file_and_keeps_a_record(clerk: User) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    response = logged_in(clerk).post(reverse("ledger:discard", args=[ledger.uid]))
    assert response["Location"] == reverse("ledger:index")
    ledger.refresh_from_db()
    assert ledger.status == "cancelled"


def test_a_clerk_of_another_unit_gets_404_on_every_page_of_an_import(
    clerk: User, other_clerk: User
) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    client = logged_in(other_clerk)
    for name in ("detail", "mapping", "preview", "rejected"):
        assert client.get(reverse(f"ledger:{name}", args=[ledger.uid])).status_code == 404
    assert client.post(reverse("ledger:discard", args=[ledger.uid])).status_code == 404
    assert list(client.get(reverse("ledger:index")).context["imports"]) == []


def test_a_handler_gets_403(handler: User) -> None:
    assert logged_in(handler).get(reverse("ledger:index")).status_code == 403


def test_discard_by_get_is_not_allowed(clerk: User) -> None:
    ledger = upload(clerk, xlsx_bytes([row(1)]))
    assert logged_in(clerk).get(reverse("ledger:discard", args=[ledger.uid])).status_code == 405


def test_the_import_list_costs_the_same_queries_for_one_and_three_imports(clerk: User) -> None:
    client = logged_in(clerk)
    upload(clerk, xlsx_bytes([row(1)]))
    client.get(reverse("ledger:index"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("ledger:index"))
    upload(clerk, xlsx_bytes([row(2)]))
    upload(clerk, xlsx_bytes([row(3)]))
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("ledger:index"))
    assert len(one) == len(three)
