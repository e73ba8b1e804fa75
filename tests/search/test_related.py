"""Related cases at registration: same person through the blind indexes, same matter through
the words typed, each with its reason; only cases the clerk may see; bad input answered calmly."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import Units, logged_in
from tests.factories import CaseFactory, PetitionerFactory, UserFactory, id_number
from xinfang.accounts.enums import Role
from xinfang.accounts.models import Region, User
from xinfang.cases.models import Case, ContentCategory
from xinfang.search.related import Draft, related_cases
from xinfang.search.termstats import refresh_term_statistics

URL = reverse("search:related")
ATTACH = re.compile(r'name="attach_to" value="([^"]+)"')

ESTATE_TITLE = "幸福家园小区物业挪用维修基金"
ESTATE_REQUEST = "请求责令幸福家园物业公司退还挪用的住宅专项维修基金，公开维修基金账目。"


@pytest.fixture
def other_clerk(units: Units) -> User:
    """A clerk of unit B: sees the cases registered by or assigned to unit B only."""
    return UserFactory(username="clerk_b", unit=units.unit_b, roles=[Role.CLERK])


def _estate_case(user: User, region: Region, category: ContentCategory, **fields: Any) -> Case:
    values: dict[str, Any] = {
        "registered_by": user,
        "title": ESTATE_TITLE,
        "request": ESTATE_REQUEST,
        "region": region,
        "content_category": category,
    }
    return CaseFactory(**(values | fields))


def _others(user: User) -> None:
    """Cases about other matters, so that words have weights worth the name."""
    for title, request in [
        ("某公司拖欠农民工工资", "请求督促公司支付拖欠的工资。"),
        ("道路施工噪音扰民", "请求夜间停止施工。"),
        ("学校违规补课收费", "请求查处违规收费。"),
        ("小区停车位被占用", "请求物业清理占用的停车位。"),
    ]:
        CaseFactory(registered_by=user, title=title, request=request)


def _typed(**fields: str) -> dict[str, str]:
    """A registration form as typed so far (the names the page posts)."""
    data = {
        "matter-title": "",
        "matter-request": "",
        "matter-facts_reasons": "",
        "matter-region": "",
        "matter-content_category": "",
        "petitioners-0-name": "",
        "petitioners-0-id_number": "",
        "petitioners-0-phone": "",
    }
    data.update(fields)
    return data


def _offered(client: Client, **fields: str) -> list[str]:
    response = client.post(URL, _typed(**fields))
    assert response.status_code == 200
    return ATTACH.findall(response.content.decode())


# --- same person ----------------------------------------------------------------------------------


def test_a_known_id_number_offers_the_persons_case_with_the_reason(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk, petitioners=[PetitionerFactory(id_number=id_number(5))])
    CaseFactory(registered_by=clerk)  # someone else's case

    response = logged_in(clerk).post(URL, _typed(**{"petitioners-0-id_number": id_number(5)}))

    html = response.content.decode()
    assert ATTACH.findall(html) == [case.number]
    assert "同一信访人（身份证号相同）" in html


def test_a_known_phone_offers_the_persons_case(clerk: User) -> None:
    case = CaseFactory(registered_by=clerk, petitioners=[PetitionerFactory(phone="13912345678")])

    related = related_cases(clerk, Draft(phones=("13912345678",)))

    assert [(c.case, c.reasons) for c in related.candidates] == [
        (case, ["同一信访人（联系电话相同）"])
    ]


def test_a_half_typed_id_number_looks_nothing_up(clerk: User) -> None:
    CaseFactory(registered_by=clerk, petitioners=[PetitionerFactory(id_number=id_number(6))])

    assert _offered(logged_in(clerk), **{"petitioners-0-id_number": id_number(6)[:10]}) == []


# --- same matter ----------------------------------------------------------------------------------


def test_words_of_an_existing_matter_offer_it_with_shared_phrases_and_place(
    clerk: User, region: Region, category: ContentCategory
) -> None:
    earlier = _estate_case(clerk, region, category)
    _others(clerk)
    refresh_term_statistics()

    related = related_cases(
        clerk,
        Draft(
            title="幸福家园维修基金被物业挪用",
            request="业主反映物业公司挪用住宅专项维修基金，请求查处。",
            region_id=region.pk,
            category_id=category.pk,
        ),
    )

    assert [c.case for c in related.candidates] == [earlier]
    reasons = related.candidates[0].reasons
    assert reasons[0].startswith("共同词语 “")
    assert "维修基金" in reasons[0]
    assert "幸福家园" in reasons[0]
    assert reasons[1:] == ["同一问题属地（A1区）", "同一内容分类（物业管理）"]


def test_a_matter_found_both_ways_is_listed_once_with_both_reasons(
    clerk: User, region: Region, category: ContentCategory
) -> None:
    person = PetitionerFactory(id_number=id_number(7))
    earlier = _estate_case(clerk, region, category, petitioners=[person])
    _others(clerk)

    related = related_cases(
        clerk, Draft(title=ESTATE_TITLE, request=ESTATE_REQUEST, id_numbers=(id_number(7),))
    )

    assert [c.case for c in related.candidates] == [earlier]
    assert related.candidates[0].reasons[0] == "同一信访人（身份证号相同）"
    assert related.candidates[0].reasons[1].startswith("共同词语")


def test_an_unrelated_complaint_is_offered_nothing(
    clerk: User, region: Region, category: ContentCategory
) -> None:
    _estate_case(clerk, region, category)
    _others(clerk)
    refresh_term_statistics()

    related = related_cases(
        clerk, Draft(title="医院乱收检查费", request="请求退还医院多收的检查费用。")
    )

    assert related.candidates == []
    assert related.looked_up


def test_a_draft_with_too_little_text_is_not_compared(clerk: User) -> None:
    CaseFactory(registered_by=clerk, title="物业")

    assert related_cases(clerk, Draft(title="物业")).looked_up is False


# --- visibility -----------------------------------------------------------------------------------


def test_nobody_is_offered_a_case_they_cannot_see(
    clerk: User, other_clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    """Same ID number, same phone, same words: unit B's clerk is offered only unit B's case."""
    person = PetitionerFactory(id_number=id_number(8), phone="13800000008")
    _estate_case(clerk, region, category, petitioners=[person], handling_unit=units.unit_a)
    theirs = _estate_case(other_clerk, region, category, title="幸福家园小区物业费问题")
    _others(clerk)
    refresh_term_statistics()
    typed = {
        "matter-title": ESTATE_TITLE,
        "matter-request": ESTATE_REQUEST,
        "petitioners-0-id_number": id_number(8),
        "petitioners-0-phone": "13800000008",
    }

    assert _offered(logged_in(other_clerk), **typed) == [theirs.number]
    html = logged_in(other_clerk).post(URL, _typed(**typed)).content.decode()
    assert "挪用维修基金" not in html


def test_the_root_office_is_offered_every_units_case(
    clerk: User, other_clerk: User, region: Region, category: ContentCategory
) -> None:
    theirs = _estate_case(other_clerk, region, category)

    assert _offered(
        logged_in(clerk), **{"matter-title": ESTATE_TITLE, "matter-request": ESTATE_REQUEST}
    ) == [theirs.number]


def test_a_case_accusing_the_clerks_own_unit_is_never_offered(
    clerk: User, other_clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    """检举控告 against unit B, registered by unit B's own clerk (a walk-in at its desk): the
    accuser's matter is not offered back to unit B, by words or by person."""
    person = PetitionerFactory(id_number=id_number(9))
    _estate_case(
        other_clerk,
        region,
        category,
        petitioners=[person],
        handling_category="accusation",
        accused_unit=units.unit_b,
    )
    typed = {
        "matter-title": ESTATE_TITLE,
        "matter-request": ESTATE_REQUEST,
        "petitioners-0-id_number": id_number(9),
    }

    assert _offered(logged_in(other_clerk), **typed) == []
    assert len(_offered(logged_in(clerk), **typed)) == 1


# --- the endpoint ---------------------------------------------------------------------------------


def test_the_panel_refuses_get_with_405(clerk: User) -> None:
    assert logged_in(clerk).get(URL).status_code == 405


def test_a_handler_gets_403_from_the_panel(handler: User) -> None:
    assert logged_in(handler).post(URL, _typed()).status_code == 403


def test_anonymous_is_sent_to_login_from_the_panel(db: None) -> None:
    response = Client().post(URL, _typed())
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize(
    "fields",
    [
        {"matter-region": "abc", "matter-content_category": "-1"},
        {"matter-region": "99999999999999999999999"},
        {"matter-title": "物业" * 20_000, "matter-request": "\x00\u200b\ufeff" * 1000},
        {"matter-title": "'\"; DROP TABLE cases_case; --", "matter-request": "* OR NEAR( AND"},
        {"petitioners-0-id_number": "12345", "petitioners-0-phone": "abc"},
        {"petitioners-7-id_number": "<script>", "petitioners-x-phone": "1" * 5000},
        {"matter-title": "，。！？、；：", "matter-request": "……——"},
    ],
)
def test_bad_input_gets_a_calm_panel_and_changes_nothing(
    clerk: User, region: Region, category: ContentCategory, fields: dict[str, str]
) -> None:
    _estate_case(clerk, region, category)
    before = Case.objects.count()

    response = logged_in(clerk).post(URL, _typed(**fields))

    assert response.status_code == 200
    assert "可能相关的已有事项" in response.content.decode()
    assert Case.objects.count() == before


def test_the_panel_costs_the_same_queries_for_one_candidate_and_three(
    clerk: User, region: Region, category: ContentCategory
) -> None:
    typed = {"matter-title": ESTATE_TITLE, "matter-request": ESTATE_REQUEST}
    client = logged_in(clerk)
    _estate_case(clerk, region, category)
    with CaptureQueriesContext(connection) as one:
        assert len(_offered(client, **typed)) == 1
    _estate_case(clerk, region, category)
    _estate_case(clerk, region, category)
    with CaptureQueriesContext(connection) as three:
        assert len(_offered(client, **typed)) == 3
    assert len(three) == len(one)


# --- the registration page ------------------------------------------------------------------------


def test_the_registration_page_explains_the_panel_before_anything_is_typed(clerk: User) -> None:
    html = logged_in(clerk).get(reverse("cases:register")).content.decode()

    assert 'id="existing-cases"' in html
    assert f'hx-post="{URL}"' in html
    assert "Alt+R" in html
    assert ATTACH.findall(html) == []


def test_without_javascript_the_lookup_button_shows_the_candidates(
    clerk: User, units: Units, region: Region, category: ContentCategory
) -> None:
    earlier = _estate_case(clerk, region, category)
    data = {
        "idempotency_key": "0b6f1f66-2d1c-4a1e-9c55-3f1c3e1f0a02",
        "lookup": "1",
        "contact-channel": "visit",
        "petitioners-TOTAL_FORMS": "1",
        "petitioners-INITIAL_FORMS": "0",
        "petitioners-MIN_NUM_FORMS": "1",
        "petitioners-MAX_NUM_FORMS": "50",
    } | _typed(**{"matter-title": ESTATE_TITLE, "matter-request": ESTATE_REQUEST})

    response = logged_in(clerk).post(reverse("cases:register"), data)

    html = response.content.decode()
    assert response.status_code == 200
    assert ATTACH.findall(html) == [earlier.number]
    assert 'data-shortcut="r"' in html
    assert ESTATE_REQUEST in html  # nothing typed is lost
    assert Case.objects.count() == 1
