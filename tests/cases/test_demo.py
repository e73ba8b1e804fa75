from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db.models import Count, Q
from django.utils import timezone
from pytest_django.fixtures import Settings

from xinfang.accounts.enums import RegionLevel, Role, UnitKind
from xinfang.accounts.models import Region, Unit, User
from xinfang.audit.models import AuditEvent
from xinfang.cases.demo import DEMO_PASSWORD, DEMO_USERS, DISTRICTS, seed_demo
from xinfang.cases.enums import CaseStatus, Channel, EventKind, HandlingCategory, PetitionForm
from xinfang.cases.models import (
    Case,
    CaseEvent,
    CasePetitioner,
    Contact,
    ContentCategory,
    NumberSequence,
    Petitioner,
    RoutingRule,
)
from xinfang.cases.services import (
    CaseInput,
    ContactInput,
    PetitionerInput,
    id_number_index,
    phone_index,
    register_case,
)
from xinfang.core.validators import validate_id_number, validate_phone, with_check_digit
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 26)


@pytest.fixture(autouse=True)
def fast_passwords(settings: Settings) -> None:
    # Nine demo accounts with the production hasher cost seconds per test; the hasher is not
    # what these tests are about.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def case_rows() -> list[tuple[str, str, str, str]]:
    return list(Case.objects.order_by("number").values_list("number", "title", "channel", "status"))


def people_rows() -> list[tuple[str, str, str]]:
    links = CasePetitioner.objects.select_related("case", "petitioner").order_by(
        "case__number", "position"
    )
    return [
        (link.case.number, link.petitioner.name, link.petitioner.decrypt("id_number"))
        for link in links
    ]


def wipe_everything_the_demo_wrote() -> None:
    """Back to an empty database (the append-only audit trail aside)."""
    RoutingRule.objects.all().delete()
    Document.objects.all().delete()
    CaseEvent.objects.all().delete()
    Contact.objects.all().delete()
    CasePetitioner.objects.all().delete()
    Case.objects.all().delete()
    Petitioner.objects.all().delete()
    NumberSequence.objects.all().delete()
    User.objects.all().delete()
    for unit in sorted(Unit.objects.all(), key=lambda u: -u.path.count("/")):
        unit.delete()
    ContentCategory.objects.filter(level=2).delete()
    ContentCategory.objects.all().delete()
    for level in sorted(RegionLevel, reverse=True):
        Region.objects.filter(level=level).delete()


def test_the_same_seed_and_count_give_the_same_cases_in_a_fresh_database() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)
    first_cases, first_people = case_rows(), people_rows()
    wipe_everything_the_demo_wrote()
    assert Case.objects.count() == 0

    seed_demo(cases=200, seed=7, today=TODAY)

    assert case_rows() == first_cases
    assert people_rows() == first_people
    assert len(first_cases) == 200
    assert first_cases[0][0] == "A01-2025-000001"


def test_another_seed_gives_other_cases() -> None:
    seed_demo(cases=50, seed=7, today=TODAY)
    first = [title for _number, title, _channel, _status in case_rows()]
    wipe_everything_the_demo_wrote()

    seed_demo(cases=50, seed=8, today=TODAY)

    assert [title for _number, title, _channel, _status in case_rows()] != first


def test_every_petitioner_has_a_valid_sealed_id_number_and_phone_with_matching_indexes() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)

    people = list(Petitioner.objects.all())
    assert len(people) > 200
    for person in people:
        id_number = person.decrypt("id_number")
        phone = person.decrypt("phone")
        assert validate_id_number(id_number, today=TODAY) == id_number
        assert validate_phone(phone) == phone
        assert person.id_number_index == id_number_index(id_number)
        assert person.phone_index == phone_index(phone)
        assert person.decrypt("address").startswith("西地省A市A")


def test_no_two_petitioner_rows_share_an_id_number_and_some_people_are_on_several_cases() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)

    indexes = list(Petitioner.objects.values_list("id_number_index", flat=True))
    on_several = Petitioner.objects.annotate(cases=Count("case_links")).filter(cases__gte=2)
    assert len(indexes) == len(set(indexes))
    assert 0 < on_several.count() < Petitioner.objects.count() // 4


def test_contact_count_equals_the_contacts_of_each_case_and_only_the_first_is_not_a_repeat() -> (
    None
):
    seed_demo(cases=200, seed=7, today=TODAY)

    cases = Case.objects.annotate(
        contacts_stored=Count("contacts", distinct=True),
        first_contacts=Count("contacts", filter=Q(contacts__is_repeat=False), distinct=True),
        registered_events=Count(
            "events", filter=Q(events__kind=EventKind.REGISTERED), distinct=True
        ),
        repeat_events=Count(
            "events", filter=Q(events__kind=EventKind.CONTACT_ADDED), distinct=True
        ),
    )
    for case in cases:
        assert case.contact_count == case.contacts_stored
        assert (case.first_contacts, case.registered_events) == (1, 1)
        assert case.repeat_events == case.contact_count - 1
    with_repeats = sum(1 for case in cases if case.contact_count > 1)
    assert 15 <= with_repeats <= 45  # about 15 % of 200


def test_repeat_contacts_come_after_the_first_and_before_the_reference_day() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)

    midnight = dt.datetime.combine(TODAY, dt.time(), tzinfo=timezone.get_current_timezone())
    for case in Case.objects.prefetch_related("contacts"):
        first, *repeats = list(case.contacts.all())
        assert first.is_repeat is False
        assert timezone.localdate(first.occurred_at) == case.received_on
        assert first.occurred_at <= case.registered_at < midnight
        assert all(r.is_repeat and first.occurred_at < r.occurred_at < midnight for r in repeats)


def test_about_a_tenth_of_the_cases_are_collective_and_forms_follow_the_threshold() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)

    threshold = settings.XF_COLLECTIVE_THRESHOLD
    collective = Case.objects.filter(form=PetitionForm.COLLECTIVE)
    assert 10 <= collective.count() <= 30  # 10 % of 200, give or take chance
    assert not collective.filter(people_count__lt=threshold).exists()
    assert not Case.objects.filter(
        form=PetitionForm.INDIVIDUAL, people_count__gte=threshold
    ).exists()
    assert all(
        is_collective == (people >= threshold)
        for is_collective, people in Contact.objects.values_list("is_collective", "people_count")
    )
    for case in collective.prefetch_related("case_petitioners"):
        representatives = [link for link in case.case_petitioners.all() if link.is_representative]
        assert 1 <= len(representatives) <= 7
        assert len(representatives) == len(case.case_petitioners.all())


def test_a_few_collective_cases_have_more_than_five_representatives_to_show_the_warning() -> None:
    seed_demo(cases=2000, seed=7, today=TODAY)

    many = Contact.objects.filter(is_repeat=False, representative_count__gt=5)
    assert 1 <= many.count() <= 30


def test_channel_mix_litigation_and_statuses_have_the_documented_shape() -> None:
    seed_demo(cases=2000, seed=7, today=TODAY)

    channels = dict(Case.objects.values_list("channel").annotate(n=Count("id")))
    litigation = Case.objects.filter(involves_litigation=True)
    assert 700 <= channels[Channel.VISIT] <= 900
    assert 300 <= channels[Channel.LETTER] <= 500
    assert 500 <= channels[Channel.ONLINE] <= 700
    assert 120 <= channels[Channel.PHONE] <= 280
    assert 60 <= litigation.count() <= 140
    assert all(
        contact == case
        for contact, case in Contact.objects.values_list(
            "involves_litigation", "case__involves_litigation"
        )
    )
    # The bulk rows cover every state but the short-lived ones of 复查/复核; the walked
    # cases (next test) cover those.
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus) - {
        CaseStatus.REVIEWED,
        CaseStatus.RECHECK_HEARING,
        CaseStatus.RECHECKED,
    }


def test_bulk_cases_carry_key_dates_and_due_dates_consistent_with_their_status() -> None:
    seed_demo(cases=500, seed=7, today=TODAY)

    open_steps = Case.objects.filter(
        status__in=[CaseStatus.REGISTERED, CaseStatus.TRANSFERRED, CaseStatus.RECEIVED]
    )
    assert open_steps.exists()
    assert not open_steps.filter(due_on=None).exists()
    assert not Case.objects.filter(status=CaseStatus.IN_HANDLING, accepted_on=None).exists()
    assert not Case.objects.filter(status=CaseStatus.SERVED, served_on=None).exists()
    assert not Case.objects.filter(status=CaseStatus.CLOSED).exclude(due_on=None).exists()
    assert Case.objects.filter(tier="severe").exists()  # an office's backlog shows


def test_the_walk_moves_one_case_into_every_state_with_its_notices() -> None:
    seed_demo(cases=20, seed=7, today=TODAY, walk=True)

    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus)
    kinds = set(Document.objects.values_list("kind", flat=True))
    # every kind a single case carries (a 集中交办单 belongs to a batch, see tests/batches)
    assert kinds == set(NoticeKind.values) - {NoticeKind.BATCH_ASSIGNMENT}


def test_recent_cases_wait_unrouted_and_older_ones_have_a_handling_unit() -> None:
    seed_demo(cases=2000, seed=7, today=TODAY)

    recent = Case.objects.filter(received_on__gte=TODAY - dt.timedelta(days=20))
    registered = Case.objects.filter(status=CaseStatus.REGISTERED)
    assert recent.filter(status=CaseStatus.REGISTERED).count() > recent.count() * 0.7
    assert not registered.exclude(handling_unit=None).exists()
    assert (
        not Case.objects.exclude(status=CaseStatus.REGISTERED).filter(handling_unit=None).exists()
    )
    housing = Case.objects.filter(handling_unit__code="A11")
    assert housing.count() >= 200
    assert set(housing.values_list("content_category__parent__code", flat=True)) >= {"03"}
    assert (
        not Case.objects.filter(involves_litigation=True, handling_unit__isnull=False)
        .exclude(handling_unit__kind=UnitKind.LEGAL)
        .exists()
    )


def most_cases_about_one(pattern: str) -> int:
    """How many cases name the most frequent match of ``pattern`` in their facts."""
    names = [
        match.group(1)
        for facts in Case.objects.values_list("facts_reasons", flat=True)
        if (match := re.search(pattern, facts))
    ]
    return max(names.count(name) for name in set(names))


def test_several_cases_are_about_the_same_estate_employer_or_village() -> None:
    seed_demo(cases=2000, seed=7, today=TODAY)

    assert most_cases_about_one(r"物业服务由(\S+?)负责") >= 5
    assert most_cases_about_one(r"(\S+?)的业主，小区共有") >= 5
    assert most_cases_about_one(r"我在(A市\S+?有限公司)从事") >= 5
    assert most_cases_about_one(r"我们是A\d区(\S+?村)的村民") >= 3


def test_texts_are_within_the_documented_lengths_and_dates_within_the_last_year() -> None:
    seed_demo(cases=500, seed=7, today=TODAY)

    for title, request, facts, received in Case.objects.values_list(
        "title", "request", "facts_reasons", "received_on"
    ):
        assert 10 <= len(title) <= 30
        assert 20 <= len(request) + len(facts) <= 3000
        assert TODAY - dt.timedelta(days=366) <= received < TODAY


def test_case_numbers_follow_registration_order_and_the_sequence_holds_the_last_number() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)

    numbers = list(Case.objects.order_by("registered_at", "id").values_list("number", flat=True))
    counters = NumberSequence.objects.filter(scope__startswith="case:")
    sequences = dict(counters.values_list("scope", "last"))
    by_year: dict[str, list[int]] = {}
    for number in numbers:
        _unit, year, seq = number.split("-")
        by_year.setdefault(year, []).append(int(seq))
    assert by_year == {year: list(range(1, len(seqs) + 1)) for year, seqs in by_year.items()}
    assert sequences == {f"case:A01:{year}": len(seqs) for year, seqs in by_year.items()}


def test_registering_after_seeding_continues_the_case_number_sequence() -> None:
    seed_demo(cases=200, seed=7, today=TODAY)
    clerk = User.objects.get(username="clerk")
    last = NumberSequence.objects.get(scope="case:A01:2026").last

    result = register_case(
        actor=clerk,
        contact=ContactInput(
            channel=Channel.VISIT,
            occurred_at=timezone.make_aware(dt.datetime(2026, 11, 26, 9, 30)),
            reception_unit=Unit.objects.get(code="A01J"),
        ),
        case=CaseInput(
            handling_category=HandlingCategory.CLAIM,
            content_category=ContentCategory.objects.get(code="0301"),
            region=Region.objects.get(code="990102"),
            title="小区物业乱收停车费问题",
            request="请求责令物业公司停止收取停车费。",
        ),
        petitioners=[
            PetitionerInput(name="测试人", id_number=with_check_digit("99010219800101123"))
        ],
    )

    assert result.case.number == f"A01-2026-{last + 1:06d}"
    assert NumberSequence.objects.get(scope="case:A01:2026").last == last + 1


def test_seeding_again_appends_cases_and_reuses_the_same_people() -> None:
    seed_demo(cases=50, seed=7, today=TODAY)
    people = Petitioner.objects.count()

    seed_demo(cases=50, seed=7, today=TODAY)

    assert Case.objects.count() == 100
    assert Petitioner.objects.count() == people
    assert Unit.objects.filter(code="A01").count() == 1
    assert (
        NumberSequence.objects.get(scope="case:A01:2026").last
        == Case.objects.filter(number__startswith="A01-2026-").count()
    )


def test_the_demo_creates_one_account_per_role_and_never_a_superuser() -> None:
    seed_demo(cases=0, seed=7, today=TODAY)

    users = {user.username: user for user in User.objects.select_related("unit")}
    assert set(users) == {person.username for person in DEMO_USERS}
    assert not User.objects.filter(Q(is_superuser=True) | Q(is_staff=True)).exists()
    assert not set(users) & {"admin", "root", "test", "guest"}
    for person in DEMO_USERS:
        user = users[person.username]
        assert user.roles == frozenset({person.role})
        assert user.unit is not None
        assert user.unit.code == person.unit_code
        assert user.full_name != ""
        assert user.check_password(DEMO_PASSWORD)
    assert Unit.objects.get(users__username="handler").name == "市住房和城乡建设局"
    assert Unit.objects.get(users__username="reviewer").name == "市住房和城乡建设局"
    assert Unit.objects.get(users__username="handler2").name == "市人力资源和社会保障局"
    assert users["auditadmin"].roles == frozenset({Role.AUDIT_ADMIN})


def test_the_demo_organisation_has_regions_and_units_in_a_tree() -> None:
    seed_demo(cases=0, seed=7, today=TODAY)

    city = Region.objects.get(code="9901")
    districts = Region.objects.filter(parent=city).order_by("code")
    office = Unit.objects.get(code="A01")
    assert (city.name, city.level, city.parent) == (
        "A市",
        RegionLevel.CITY,
        Region.objects.get(code="99"),
    )
    assert [d.name for d in districts] == [f"A{i}区" for i in range(1, 8)]
    for district in districts:
        townships = Region.objects.filter(parent=district)
        assert 4 <= townships.count() <= 6
        assert all(len(t.code) == 9 and t.code.startswith(district.code) for t in townships)
        assert set(townships.values_list("level", flat=True)) == {RegionLevel.TOWNSHIP}
    assert (office.name, office.kind, office.region) == (
        "A市信访局",
        UnitKind.PETITION_OFFICE,
        city,
    )
    assert Unit.objects.get(code="A01J").name == "市信访局接待大厅"
    assert Unit.objects.get(code="A11").name == "市住房和城乡建设局"
    assert Unit.objects.get(code="A12").name == "市人力资源和社会保障局"
    assert Unit.objects.get(name="驻京接待点").kind == UnitKind.RECEPTION
    assert Unit.objects.filter(kind=UnitKind.LEGAL).count() == 3
    assert Unit.objects.get(kind=UnitKind.DISCIPLINE).name == "市纪委监委"
    governments = Unit.objects.filter(kind=UnitKind.GOVERNMENT)
    # The districts' governments, and the city's (the demo's 复查 organ).
    assert sorted(governments.values_list("name", flat=True)) == [
        *(f"A{i}区人民政府" for i in range(1, 8)),
        "A市人民政府",
    ]
    assert Unit.objects.filter(kind=UnitKind.TOWNSHIP).count() == sum(
        len(d.townships) for d in DISTRICTS
    )
    for unit in Unit.objects.all():
        assert len(unit.code) <= 20
        assert unit.path.startswith(office.path)
        assert unit.path == f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"


def test_seeding_writes_one_demo_seed_audit_event_and_none_per_case() -> None:
    before = AuditEvent.objects.count()

    seed_demo(cases=120, seed=11, today=TODAY)

    events = AuditEvent.objects.filter(seq__gt=before)
    seed_events = events.filter(event="demo.seed")
    assert seed_events.count() == 1
    assert seed_events.get().detail == {"cases": 120, "seed": 11}
    assert set(events.values_list("event", flat=True)) == {
        "unit.create",
        "user.create",
        "category.import",
        "demo.seed",
    }
    assert events.filter(event="category.import").count() == 1


def test_seed_demo_command_prints_progress_and_the_result_in_chinese() -> None:
    out = StringIO()

    call_command("seed_demo", "--cases", "30", "--seed", "5", "--no-walk", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "开始生成演示数据：30 件信访事项，随机种子 5。"
    assert lines[1].startswith("  已写入 30/30 件（100%），用时 ")
    assert lines[2].startswith("演示数据生成完成：信访事项 30 件，")
    assert Case.objects.count() == 30


def test_if_empty_does_nothing_when_cases_exist() -> None:
    call_command("seed_demo", "--cases", "20", stdout=StringIO())
    before = (Case.objects.count(), AuditEvent.objects.count())
    out = StringIO()

    call_command("seed_demo", "--cases", "20", "--if-empty", stdout=out)

    assert out.getvalue() == "数据库中已有信访事项，未生成演示数据（--if-empty）。\n"
    assert (Case.objects.count(), AuditEvent.objects.count()) == before


def test_if_empty_seeds_an_empty_database_with_a_case_walked_into_every_state() -> None:
    out = StringIO()
    call_command("seed_demo", "--cases", "20", "--if-empty", stdout=out)

    walked = Case.objects.count() - 20
    assert f"另按办理流程办理到各个状态的演示事项 {walked} 件" in out.getvalue()
    assert set(Case.objects.values_list("status", flat=True)) == set(CaseStatus)


def test_demo_logins_lists_each_role_with_its_unit_and_the_address() -> None:
    seed_demo(cases=0, seed=7, today=TODAY)
    out = StringIO()

    call_command("demo_logins", stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[0] == "演示账号（仅供演示，请勿在生产环境使用）："
    assert lines[1].split() == ["用户名", "密码", "角色", "单位"]
    assert [line.split() for line in lines[3:12]] == [
        ["clerk", DEMO_PASSWORD, "登记员", "A市信访局"],
        ["handler", DEMO_PASSWORD, "承办人", "市住房和城乡建设局"],
        ["reviewer", DEMO_PASSWORD, "审核人", "市住房和城乡建设局"],
        ["handler2", DEMO_PASSWORD, "承办人", "市人力资源和社会保障局"],
        ["supervisor", DEMO_PASSWORD, "督查员", "A市信访局"],
        ["leader", DEMO_PASSWORD, "领导", "A市信访局"],
        ["sysadmin", DEMO_PASSWORD, "系统管理员", "A市信访局"],
        ["secadmin", DEMO_PASSWORD, "安全管理员", "A市信访局"],
        ["auditadmin", DEMO_PASSWORD, "审计管理员", "A市信访局"],
    ]
    assert lines[12] == "访问地址：http://127.0.0.1:8000/"
    assert lines[13] == "网上信访（信访人，无需登录）：http://127.0.0.1:8000/portal/"
    assert lines[14].startswith("首次登录需用身份验证器")


def test_demo_logins_says_so_when_there_is_no_demo_data() -> None:
    out = StringIO()

    call_command("demo_logins", stdout=out)

    assert out.getvalue() == "尚未生成演示账号，请先运行：python manage.py seed_demo\n"
