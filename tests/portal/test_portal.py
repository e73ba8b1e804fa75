"""The petitioner's side: submit online, look up with the 查询码, evaluate, ask for 复查."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse

from tests.cases.workflow_cast import Cast, fresh, register, walk_to
from tests.conftest import Units, logged_in
from tests.factories import PetitionerFactory, id_number
from xinfang.accounts.models import Region
from xinfang.audit.models import AuditEvent
from xinfang.cases import steps
from xinfang.cases.enums import CaseStatus, Channel
from xinfang.cases.models import Case, CasePetitioner, ContentCategory
from xinfang.cases.services import PetitionerInput, _seal_petitioner, query_code_of
from xinfang.portal import services
from xinfang.portal.models import Evaluation

pytestmark = pytest.mark.django_db
S = CaseStatus


def petition_form(client: Client) -> dict[str, Any]:
    page = client.get(reverse("portal:submit"))
    html = page.content.decode()
    token = re.search(r'name="challenge" value="([^"]+)"', html)
    key = re.search(r'name="submission_key" value="([^"]+)"', html)
    assert token is not None
    assert key is not None
    answer = signing.loads(token.group(1), salt="xinfang.portal.challenge")["a"]
    return {"challenge": token.group(1), "answer": str(answer), "submission_key": key.group(1)}


def petition(client: Client, region: Region, category: ContentCategory, **changes: Any) -> Any:
    data = {
        **petition_form(client),
        "name": "周建华",
        "phone": "13900001234",
        "address": "A市A1区幸福路8号",
        "id_number": id_number(501),
        "title": "小区物业多收费",
        "request": "请求退还多收的物业费。",
        "facts_reasons": "物业公司自去年起擅自提高收费标准。",
        "content_category": category.pk,
        "region": region.pk,
        **changes,
    }
    return client.post(reverse("portal:submit"), data)


def test_a_person_submits_a_petition_online_and_gets_its_number_and_query_code(
    units: Units, region: Region, category: ContentCategory
) -> None:
    response = petition(Client(), region, category)

    assert response.status_code == 200
    case = Case.objects.get()
    html = response.content.decode()
    assert case.number in html
    assert query_code_of(case) in html
    assert (case.channel, case.status, case.registering_unit) == (
        Channel.ONLINE,
        S.REGISTERED,
        units.office,
    )
    assert case.due_on is not None  # the office's 15 days to route it are running
    assert case.registered_by.username == services.PORTAL_USERNAME
    assert not case.registered_by.is_active
    assert case.registered_by.roles == frozenset()


def test_sending_the_same_petition_form_twice_registers_it_once(
    units: Units, region: Region, category: ContentCategory
) -> None:
    client = Client()
    data = petition_form(client)
    first = petition(client, region, category, **data)
    second = petition(client, region, category, **data)
    assert (first.status_code, second.status_code) == (200, 200)
    assert Case.objects.count() == 1


def test_a_wrong_answer_to_the_check_keeps_what_was_typed_and_registers_nothing(
    units: Units, region: Region, category: ContentCategory
) -> None:
    response = petition(Client(), region, category, answer="99")
    assert response.status_code == 422
    html = response.content.decode()
    assert "验证答案不正确" in html
    assert "请求退还多收的物业费。" in html
    assert not Case.objects.exists()


def test_a_robot_filling_the_hidden_field_is_refused(
    units: Units, region: Region, category: ContentCategory
) -> None:
    response = petition(Client(), region, category, website="http://spam.example")
    assert response.status_code == 422
    assert not Case.objects.exists()


def test_a_bad_id_number_and_phone_get_chinese_messages(
    units: Units, region: Region, category: ContentCategory
) -> None:
    response = petition(Client(), region, category, id_number="110101199001011234", phone="12")
    assert response.status_code == 422
    assert not Case.objects.exists()
    assert "身份证" in response.content.decode()


def look_up(client: Client, case: Case, code: str | None = None) -> Any:
    return client.post(
        reverse("portal:lookup"),
        {"number": case.number, "query_code": code or query_code_of(case)},
    )


def test_looking_up_shows_public_milestones_and_leaks_nothing_internal(cast: Cast) -> None:
    case = walk_to(cast, S.SERVED)
    secret_id = id_number(777)
    other = PetitionerFactory(name="钱二秘密")
    _seal_petitioner(
        other,
        PetitionerInput(
            name="钱二秘密", id_number=secret_id, phone="13811112222", address="秘密路1号"
        ),
    )
    other.save()
    CasePetitioner.objects.create(case=case, petitioner=other, position=5)
    client = Client()
    response = look_up(client, case)
    assert response.status_code == 302
    page = client.get(response["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "已受理" in html
    assert "意见书已送达" in html
    assert "信访处理意见书" in html  # the notice to download
    assert "转送函" not in html  # letters between organs are not the petitioner's
    for leak in (
        secret_id,
        "13811112222",
        "13900001234",
        "秘密路1号",
        "钱二秘密",
        "周建华",
        cast.handler.full_name,
        cast.reviewer.full_name,
        cast.leader.full_name,
        "依据不足。",  # the reviewer's send-back comments
        "需要补充调查。",  # the extension request's reason
    ):
        assert leak not in html, leak
    assert re.search(r"\d{17}[\dXx]", html) is None


def test_a_wrong_code_and_an_unknown_number_fail_alike(cast: Cast) -> None:
    case = register(cast)
    wrong = look_up(Client(), case, code="ZZZZZZZZ")
    missing = Client().post(
        reverse("portal:lookup"), {"number": "A01-2026-999999", "query_code": "ZZZZZZZZ"}
    )
    assert wrong.status_code == missing.status_code == 422
    message = "信访件编号或查询码不正确"
    assert message in wrong.content.decode()
    assert message in missing.content.decode()


def test_guessing_the_code_locks_the_number_then_it_unlocks(cast: Cast) -> None:
    case = register(cast)
    with time_machine.travel(dt.datetime(2026, 12, 1, 2, tzinfo=dt.UTC), tick=False):
        for _ in range(5):
            look_up(Client(REMOTE_ADDR="10.0.0.1"), case, code="WRONG234")
        locked = look_up(Client(REMOTE_ADDR="10.0.0.2"), case)  # even the right code waits
        assert locked.status_code == 429
        assert "查询失败次数过多" in locked.content.decode()
    with time_machine.travel(dt.datetime(2026, 12, 1, 3, tzinfo=dt.UTC), tick=False):
        assert look_up(Client(REMOTE_ADDR="10.0.0.2"), case).status_code == 302
    assert AuditEvent.objects.filter(event="portal.lookup", outcome="failure").count() == 5


def test_one_address_guessing_many_numbers_is_locked_out(cast: Cast, settings: Any) -> None:
    settings.XF_PORTAL_MAX_FAILURES_PER_ADDRESS = 6
    case = register(cast)
    client = Client(REMOTE_ADDR="10.9.9.9")
    for n in range(6):
        client.post(
            reverse("portal:lookup"), {"number": f"A01-2026-{n:06d}", "query_code": "ZZZZZZZZ"}
        )
    assert look_up(client, case).status_code == 429


def test_case_pages_need_the_code_in_this_session(cast: Cast) -> None:
    case = walk_to(cast, S.SERVED)
    assert Client().get(reverse("portal:progress", args=[case.number])).status_code == 404
    document = case.documents.get(kind="opinion")
    url = reverse("portal:notice", args=[case.number, document.uid])
    assert Client().get(url).status_code == 404


def test_the_petitioner_downloads_the_opinion_but_not_the_transfer_letter(cast: Cast) -> None:
    case = walk_to(cast, S.SERVED)
    client = Client()
    look_up(client, case)
    opinion = case.documents.get(kind="opinion")
    letter = case.documents.get(kind="transfer")
    response = client.get(reverse("portal:notice", args=[case.number, opinion.uid]))
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert client.get(reverse("portal:notice", args=[case.number, letter.uid])).status_code == 404


def test_evaluation_opens_at_service_and_closes_after_the_window(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC), tick=False):
        in_handling = walk_to(cast, S.IN_HANDLING)
        served = walk_to(cast, S.SERVED)
    with pytest.raises(Exception, match="送达后才能评价"):
        services.evaluate(in_handling, office_rating="满意", organ_rating="满意")
    services.evaluate(
        served, office_rating="满意", organ_rating="基本满意", today=dt.date(2026, 4, 1)
    )
    with pytest.raises(Exception, match="评价期限已于2026-04-01届满"):
        services.evaluate(
            served, office_rating="满意", organ_rating="满意", today=dt.date(2026, 4, 2)
        )
    assert Evaluation.objects.filter(case=served).count() == 2


def test_dissatisfied_with_the_organ_offers_review_and_the_request_creates_the_step(
    cast: Cast,
) -> None:
    case = walk_to(cast, S.SERVED)
    client = Client()
    look_up(client, case)
    response = client.post(
        reverse("portal:evaluate", args=[case.number]),
        {"office_rating": "满意", "organ_rating": "不满意", "comment": "处理不公。"},
    )
    assert response.status_code == 302
    assert "offer=review" in response["Location"]
    page = client.get(response["Location"])
    assert "申请复查" in page.content.decode()
    response = client.post(
        reverse("portal:review", args=[case.number]), {"request_text": "物业费计算有误，申请复查。"}
    )
    assert response.status_code == 302
    case = fresh(case)
    assert case.status == S.REVIEW_REQUESTED
    assert case.review_requested_on == dt.date.today()
    event = case.events.get(kind="review_requested")
    assert event.payload["channel"] == "portal"
    assert AuditEvent.objects.filter(event="case.request_review").count() == 1


def test_a_review_request_after_the_window_is_refused_in_chinese(cast: Cast) -> None:
    with time_machine.travel(dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC), tick=False):
        case = walk_to(cast, S.SERVED)
    with time_machine.travel(dt.datetime(2026, 4, 5, 2, tzinfo=dt.UTC), tick=False):
        client = Client()
        look_up(client, case)
        page = client.get(reverse("portal:progress", args=[case.number]))
        assert "提交复查申请" not in page.content.decode()
        response = client.post(
            reverse("portal:review", args=[case.number]), {"request_text": "申请复查。"}
        )
    assert response.status_code == 422
    assert "届满" in response.content.decode()
    assert fresh(case).status == S.SERVED


def test_staff_record_a_phone_follow_up_as_an_evaluation(cast: Cast) -> None:
    case = walk_to(cast, S.SERVED)
    response = logged_in(cast.clerk).post(
        reverse("portal:follow_up", args=[case.number]),
        {"channel": "phone", "office_rating": "满意", "organ_rating": "满意", "comment": ""},
    )
    assert response.status_code == 302
    rows = Evaluation.objects.filter(case=case)
    assert {(r.channel, r.recorded_by_id) for r in rows} == {("phone", cast.clerk.pk)}
    assert (
        logged_in(cast.outsider)
        .post(reverse("portal:follow_up", args=[case.number]), {"channel": "phone"})
        .status_code
        == 404
    )
    page = logged_in(cast.clerk).get(reverse("cases:detail", args=[case.number]))
    assert "电话回访" in page.content.decode()


def test_online_review_request_goes_through_the_same_table(cast: Cast) -> None:
    case = register(cast)
    with pytest.raises(Exception, match="不能进行"):
        steps.request_review_online(
            case, portal_account=services.portal_account(cast.units.office), request_text="x"
        )
