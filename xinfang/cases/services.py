"""Writes on cases. One function per business operation: typed, keyword-only, atomic, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone

from xinfang.accounts import rules
from xinfang.accounts.models import Region, Unit, User
from xinfang.audit.services import record
from xinfang.cases import reference, workflow
from xinfang.cases.access import (
    RECUSED_MESSAGE,
    WITHHELD_MESSAGE,
    forget_recusals,
    is_recused,
    may_see_petitioner,
)
from xinfang.cases.deadlines import Calendar, RuleSetData, calendar_overrides, rule_set_for
from xinfang.cases.enums import (
    Channel,
    ClaimRoute,
    EventKind,
    HandlingCategory,
    PetitionForm,
)
from xinfang.cases.models import (
    Attachment,
    Case,
    CaseEvent,
    CasePetitioner,
    Contact,
    ContentCategory,
    NumberSequence,
    Petitioner,
    Recusal,
)
from xinfang.core.commits import shared_transaction
from xinfang.core.crypto import blind_index, seal, unseal
from xinfang.core.inserts import insert_row, insert_rows
from xinfang.core.uploads import safe_display_name, sniff_upload

QUERY_CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud over a phone
QUERY_CODE_LENGTH = 8


@dataclass(frozen=True)
class PetitionerInput:
    name: str
    id_number: str = ""
    phone: str = ""
    address: str = ""
    is_representative: bool = False


@dataclass(frozen=True)
class ContactInput:
    channel: Channel
    occurred_at: dt.datetime
    reception_unit: Unit
    people_count: int = 1
    skipped_level: bool = False
    note: str = ""


@dataclass(frozen=True)
class CaseInput:
    handling_category: HandlingCategory
    content_category: ContentCategory
    region: Region
    title: str
    request: str
    facts_reasons: str = ""
    involves_litigation: bool = False
    claim_route: ClaimRoute | None = None
    accused_unit: Unit | None = None  # 被检举控告单位, 检举控告类 only


@dataclass
class Registration:
    case: Case
    query_code: str
    created: bool
    warnings: list[str] = field(default_factory=list)


# --- helpers ----------------------------------------------------------------------------------


def id_number_index(id_number: str) -> str:
    return blind_index(id_number, purpose="id_number")


def phone_index(phone: str) -> str:
    return blind_index(phone, purpose="phone")


def next_number(scope: str, *, count: int = 1) -> int:
    """The next value of a gapless counter (with ``count``, the last of that many taken at
    once); call inside the transaction that uses it."""
    # One UPDATE … RETURNING (SQLite ≥ 3.35, PostgreSQL) instead of read, update, read: a
    # registration takes a number on every call. The row is created the first time a scope
    # is used.
    table = NumberSequence._meta.db_table
    for _attempt in range(2):
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET last = last + %s WHERE scope = %s RETURNING last",  # noqa: S608
                [count, scope],
            )
            row = cursor.fetchone()
        if row is not None:
            return int(row[0])
        NumberSequence.objects.get_or_create(scope=scope)
    raise RuntimeError(f"counter {scope} could not be created")  # pragma: no cover


def case_number_scope(unit: Unit, year: int) -> str:
    """The counter of a unit's case numbers in a year (by the year received)."""
    return f"case:{unit.code}:{year}"


def case_number(unit: Unit, year: int, sequence: int) -> str:
    return f"{unit.code}-{year}-{sequence:06d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def query_code_of(case: Case) -> str:
    return unseal(bytes(case.query_code_sealed), aad=f"cases_case.query_code.{case.number}")


def _collective(people_count: int) -> bool:
    return people_count >= settings.XF_COLLECTIVE_THRESHOLD


def _check_clerk(actor: User) -> Unit:
    if not rules.can_register_cases(actor) or actor.unit is None:
        raise PermissionDenied("只有登记员可以登记信访事项。")
    return actor.unit


def _check_reception_unit(actor_unit: Unit, reception_unit: Unit) -> None:
    if not reception_unit.path.startswith(actor_unit.path):
        raise ValidationError("接待/收件单位必须是本单位或本单位下属的接待点。")


def _seal_petitioner(petitioner: Petitioner, data: PetitionerInput) -> None:
    """Write the sealed PI columns that ``data`` provides; leave the others as they are."""
    if data.id_number:
        petitioner.id_number_sealed = seal(data.id_number, aad=petitioner.aad("id_number"))
        petitioner.id_number_index = id_number_index(data.id_number)
    if data.phone:
        petitioner.phone_sealed = seal(data.phone, aad=petitioner.aad("phone"))
        petitioner.phone_index = phone_index(data.phone)
    if data.address:
        petitioner.address_sealed = seal(data.address, aad=petitioner.aad("address"))


SEALED_COLUMNS = (
    "id_number_sealed",
    "id_number_index",
    "phone_sealed",
    "phone_index",
    "address_sealed",
)


def _stored_people(indexes: set[str]) -> dict[str, Petitioner]:
    """The stored person of each blind index found: their key and uid, which is all a
    registration needs of them (the rest of the row stays unread)."""
    table = connection.ops.quote_name(Petitioner._meta.db_table)
    marks = ", ".join(["%s"] * len(indexes))
    with connection.cursor() as cursor:
        # Newest first, so that of two rows with one ID number the oldest is the person.
        cursor.execute(
            f"SELECT id, uid, id_number_index FROM {table}"  # noqa: S608
            f" WHERE id_number_index IN ({marks}) ORDER BY id DESC",
            sorted(indexes),
        )
        rows = cursor.fetchall()
    alias, columns = connection.alias, ["id", "uid", "id_number_index"]
    return {
        index: Petitioner.from_db(alias, columns, [pk, uuid.UUID(str(uid)), index])
        for pk, uid, index in rows
    }


@dataclass(frozen=True)
class SealedPeople:
    """A registration's people, sealed before its transaction as if none were stored yet:
    on SQLite the transaction holds the one write lock, and sealing and keyed hashing need no
    database. A person found stored after all is sealed again under that row's own uid."""

    inputs: Sequence[PetitionerInput]
    keys: dict[str, str]  # ID number → blind index
    fresh: list[Petitioner]  # the person of each input, as new rows

    @classmethod
    def of(cls, petitioners: Sequence[PetitionerInput]) -> SealedPeople:
        keys = {
            data.id_number: id_number_index(data.id_number)
            for data in petitioners
            if data.id_number
        }
        return cls(inputs=petitioners, keys=keys, fresh=_people(petitioners, keys, {}))


def _people(
    petitioners: Sequence[PetitionerInput], keys: dict[str, str], known: dict[str, Petitioner]
) -> list[Petitioner]:
    """The person of each input: the stored one with that ID number, else a new row (one per
    ID number); each sealed with what its inputs provide, a later input winning."""
    known = dict(known)
    people = []
    for data in petitioners:
        key = keys.get(data.id_number)
        person = known.get(key) if key else None
        if person is None:
            person = Petitioner(name=data.name)
            if key:
                known[key] = person
        _seal_petitioner(person, data)
        people.append(person)
    return people


def upsert_petitioners(
    petitioners: Sequence[PetitionerInput] | SealedPeople,
    *,
    insert: Callable[[list[Petitioner]], object] | None = None,
) -> list[Petitioner]:
    """The stored person for each input, in order. The same ID number is the same person:
    reuse the row, refreshing phone and address (a later input wins); everyone else is a new
    row. One lookup for all the ID numbers, one INSERT for the new people (``insert``, for a
    bulk loader's own writer; by default one multi-row INSERT, as ``bulk_create``)."""
    sealed = petitioners if isinstance(petitioners, SealedPeople) else SealedPeople.of(petitioners)
    known = _stored_people(set(sealed.keys.values())) if sealed.keys else {}
    people = _people(sealed.inputs, sealed.keys, known) if known else sealed.fresh
    new = list({id(person): person for person in people if person.pk is None}.values())
    (insert or insert_rows)(new)
    stored = {person.pk for person in known.values()}
    refreshed = list({person.pk: person for person in people if person.pk in stored}.values())
    if refreshed:
        Petitioner.objects.bulk_update(refreshed, SEALED_COLUMNS)
    return people


def _link_petitioners(
    case: Case,
    petitioners: Sequence[PetitionerInput] | SealedPeople,
    *,
    start: int,
    new_case: bool = False,
) -> int:
    """Attach people to the case (skipping ones already on it); returns how many were added."""
    already: set[int] = set()
    if not new_case:
        already = set(case.case_petitioners.values_list("petitioner_id", flat=True))
    inputs = petitioners.inputs if isinstance(petitioners, SealedPeople) else petitioners
    links = []
    for offset, (data, person) in enumerate(
        zip(inputs, upsert_petitioners(petitioners), strict=True)
    ):
        if person.pk in already:
            continue
        already.add(person.pk)
        links.append(
            CasePetitioner(
                case=case,
                petitioner=person,
                is_representative=data.is_representative,
                position=start + offset,
            )
        )
    insert_rows(links)
    return len(links)


def _representative_warnings(petitioners: Sequence[PetitionerInput]) -> list[str]:
    count = sum(1 for person in petitioners if person.is_representative)
    if count > settings.XF_MAX_REPRESENTATIVES:
        return [
            f"代表人数为 {count} 人，超过《信访工作条例》第二十条规定的"
            f" {settings.XF_MAX_REPRESENTATIVES} 人。已登记，请向信访人说明。"
        ]
    return []


def _accused_unit_warnings(unit: Unit, data: CaseInput) -> list[str]:
    """被检举控告单位: 检举控告类 only. An office inside the accused unit may register the
    matter but then loses sight of the accuser like the rest of the accused unit."""
    accused = data.accused_unit
    if accused is None:
        return []
    if data.handling_category != HandlingCategory.ACCUSATION:
        raise ValidationError("只有检举控告类事项可以登记被检举控告单位。")
    if not unit.path.startswith(accused.path):
        return []
    superior = f"（{accused.parent.name}）" if accused.parent else ""
    return [
        f"本单位属于被检举控告单位{accused.name}。依照《信访工作条例》第三十条、第四十六条，"
        f"登记后本单位不能再查看检举控告人的身份和材料，请及时转送上级机关{superior}。"
    ]


def _validate_people(contact: ContactInput, petitioners: Sequence[PetitionerInput]) -> None:
    if not petitioners:
        raise ValidationError("请至少登记一名信访人。")
    if contact.people_count < len(petitioners):
        raise ValidationError(
            f"人数（{contact.people_count}）不能少于登记的信访人数（{len(petitioners)}）。"
        )


def _create_contact(
    case: Case,
    contact: ContactInput,
    *,
    actor: User,
    representatives: int,
    is_repeat: bool,
) -> Contact:
    row = contact_row(
        case, contact, actor=actor, representatives=representatives, is_repeat=is_repeat
    )
    insert_row(row)
    return row


def contact_row(
    case: Case,
    contact: ContactInput,
    *,
    actor: User,
    representatives: int,
    is_repeat: bool,
) -> Contact:
    """The unsaved row of a contact, as registration writes it (bulk loaders save many)."""
    return Contact(
        case=case,
        channel=contact.channel,
        occurred_at=contact.occurred_at,
        reception_unit=contact.reception_unit,
        people_count=contact.people_count,
        representative_count=representatives,
        is_collective=_collective(contact.people_count),
        is_repeat=is_repeat,
        skipped_level=contact.skipped_level,
        involves_litigation=case.involves_litigation,
        note=contact.note,
        registered_by=actor,
    )


# --- operations -------------------------------------------------------------------------------


def register_case(
    *,
    actor: User,
    contact: ContactInput,
    case: CaseInput,
    petitioners: Sequence[PetitionerInput],
    attachments: Sequence[UploadedFile[bytes]] = (),
    idempotency_key: str | None = None,
) -> Registration:
    """登记: open a new case with its first contact, its petitioners and attachments.

    Replaying the same ``idempotency_key`` returns the case the same clerk's first call created
    instead of creating another; another user's key is refused. Writes one audit event
    ``case.register``.
    """
    unit = _check_clerk(actor)
    _check_reception_unit(unit, contact.reception_unit)
    _validate_people(contact, petitioners)
    warnings = _accused_unit_warnings(unit, case)
    registration = _register_once(
        actor, unit, contact, case, petitioners, attachments, idempotency_key
    )
    if registration.created:
        registration.warnings += warnings
    return registration


def register_online_petition(
    *,
    portal_account: User,
    office: Unit,
    contact: ContactInput,
    case: CaseInput,
    petitioners: Sequence[PetitionerInput],
    attachments: Sequence[UploadedFile[bytes]] = (),
    idempotency_key: str | None = None,
) -> Registration:
    """网上信访 (第十九、二十一条): the petitioner's own submission, registered in ``office``'s
    queue as 已登记 with the 15-day routing clock running. The portal's service account signs
    the rows; the office's clerks take it from there like any registration. A replayed
    ``idempotency_key`` (the same form sent twice) returns the first case."""
    _validate_people(contact, petitioners)
    return _register_once(
        portal_account, office, contact, case, petitioners, attachments, idempotency_key
    )


def _register_once(
    actor: User,
    unit: Unit,
    contact: ContactInput,
    case: CaseInput,
    petitioners: Sequence[PetitionerInput],
    attachments: Sequence[UploadedFile[bytes]],
    idempotency_key: str | None,
) -> Registration:
    """Register, or answer with the case an earlier call with the same key created."""
    earlier = _replayed(idempotency_key, actor)
    if earlier is not None:
        return earlier
    clock = _registration_clock(contact)
    try:
        with _files_removed_on_error() as written:
            return _register(
                actor,
                unit,
                contact,
                case,
                petitioners,
                attachments,
                idempotency_key,
                written,
                clock,
            )
    except IntegrityError:
        # A concurrent submit with the same key won the race: answer with its case.
        earlier = _replayed(idempotency_key, actor)
        if earlier is not None:
            return earlier
        raise


def _replayed(idempotency_key: str | None, actor: User) -> Registration | None:
    if not idempotency_key:
        return None
    earlier = Case.objects.filter(idempotency_key=idempotency_key).first()
    if earlier is None:
        return None
    if earlier.registered_by_id != actor.pk:
        raise ValidationError("提交标识已被他人使用，请刷新页面后重新登记。")
    return Registration(case=earlier, query_code=query_code_of(earlier), created=False)


def case_row(
    *,
    actor: User,
    unit: Unit,
    contact: ContactInput,
    data: CaseInput,
    number: str,
    query_code: str,
    now: dt.datetime,
    rules: RuleSetData,
    idempotency_key: str | None = None,
) -> Case:
    """The unsaved row of a case being registered (已登记, deadline columns not yet set), as
    registration writes it; bulk loaders save many at once."""
    received_on = timezone.localdate(contact.occurred_at)
    case = Case(
        channel=contact.channel,
        form=PetitionForm.COLLECTIVE
        if _collective(contact.people_count)
        else PetitionForm.INDIVIDUAL,
        people_count=contact.people_count,
        handling_category=data.handling_category,
        claim_route=data.claim_route,
        content_category=data.content_category,
        involves_litigation=data.involves_litigation,
        accused_unit=data.accused_unit,
        region=data.region,
        title=data.title,
        request=data.request,
        facts_reasons=data.facts_reasons,
        received_on=received_on,
        registered_at=now,
        registered_by=actor,
        registering_unit=unit,
        idempotency_key=idempotency_key or None,
        rule_set_key=rules.key,
    )
    _number(case, number, query_code)
    return case


def _number(case: Case, number: str, query_code: str) -> None:
    """Give the case its number and its query code, sealed to that number."""
    case.number = number
    case.query_code_sealed = seal(query_code, aad=f"cases_case.query_code.{number}")


def _registration_clock(contact: ContactInput) -> tuple[RuleSetData, Calendar]:
    """The rule set and the calendar a registration's deadline is computed with, read before
    its transaction: on SQLite that transaction holds the one write lock, and reading them
    needs no lock. Both are kept per process while the reference data stays the same."""
    # Pinned for the life of the case: a later provincial rule never moves its deadlines.
    jurisdiction, day = settings.XF_RULE_JURISDICTION, timezone.localdate(contact.occurred_at)
    rules = reference.kept(("rule_set", jurisdiction, day), lambda: rule_set_for(jurisdiction, day))
    calendar = Calendar(overrides=reference.kept(("calendar",), calendar_overrides))
    calendar.rule_sets[rules.key] = rules  # computing the deadline reads no rule set again
    return rules, calendar


def _register(
    actor: User,
    unit: Unit,
    contact: ContactInput,
    data: CaseInput,
    petitioners: Sequence[PetitionerInput],
    attachments: Sequence[UploadedFile[bytes]],
    idempotency_key: str | None,
    written: list[Path],
    clock: tuple[RuleSetData, Calendar],
) -> Registration:
    # The row and its deadline are made before the transaction: on SQLite it holds the one
    # write lock, and every other registration waits for it. Only the number, the time of
    # registration and the writes are left for inside.
    rules, calendar = clock
    query_code = new_query_code()
    case = case_row(
        actor=actor,
        unit=unit,
        contact=contact,
        data=data,
        number="",
        query_code=query_code,
        now=timezone.now(),
        rules=rules,
        idempotency_key=idempotency_key,
    )
    today = timezone.localdate(case.registered_at)
    deadline = workflow.deadline_columns(case, today=today, calendar=calendar)
    people = SealedPeople.of(petitioners)

    def write() -> Registration:
        now = timezone.now()
        case.registered_at = now
        columns = deadline
        if timezone.localdate(now) != today:  # midnight passed meanwhile
            columns = workflow.deadline_columns(
                case, today=timezone.localdate(now), calendar=calendar
            )
        return _write_registration(
            actor, unit, contact, case, columns, query_code, people, attachments, written
        )

    # Registrations arriving together share a transaction and its commit (one fsync).
    return shared_transaction(write)


def _write_registration(
    actor: User,
    unit: Unit,
    contact: ContactInput,
    case: Case,
    deadline: dict[str, object],
    query_code: str,
    people: SealedPeople,
    attachments: Sequence[UploadedFile[bytes]],
    written: list[Path],
) -> Registration:
    """The writes of a registration, inside its transaction."""
    petitioners = people.inputs
    now = case.registered_at
    year = case.received_on.year
    _number(case, case_number(unit, year, next_number(case_number_scope(unit, year))), query_code)
    # The deadline columns go in with the row: one INSERT, no UPDATE after it.
    for name, value in deadline.items():
        setattr(case, name, value)
    insert_row(case)
    _link_petitioners(case, people, start=0, new_case=True)
    representatives = sum(1 for person in petitioners if person.is_representative)
    first = _create_contact(
        case, contact, actor=actor, representatives=representatives, is_repeat=False
    )
    insert_row(
        CaseEvent(
            case=case,
            kind=EventKind.REGISTERED,
            actor=actor,
            occurred_at=now,
            payload={"contact": first.pk, "channel": contact.channel},
        )
    )
    stored = [
        _store_attachment(case, upload, actor=actor, now=now, written=written)
        for upload in attachments
    ]
    record(
        "case.register",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={
            "channel": contact.channel,
            "people": contact.people_count,
            "petitioners": len(petitioners),
            "attachments": len(stored),
        },
    )
    return Registration(
        case=case,
        query_code=query_code,
        created=True,
        warnings=_representative_warnings(petitioners),
    )


@transaction.atomic
def add_contact(
    case: Case,
    *,
    actor: User,
    contact: ContactInput,
    petitioners: Sequence[PetitionerInput] = (),
) -> Contact:
    """重访/重复来信: record that people came again about an existing case. Does not open a new
    case; counts against the organ's failure to resolve, never against the person."""
    unit = _check_clerk(actor)
    _check_reception_unit(unit, contact.reception_unit)
    if contact.people_count < 1:
        raise ValidationError("人数至少为 1。")
    start = case.case_petitioners.count()
    added = _link_petitioners(case, petitioners, start=start)
    representatives = sum(1 for person in petitioners if person.is_representative)
    row = _create_contact(
        case, contact, actor=actor, representatives=representatives, is_repeat=True
    )
    Case.objects.filter(pk=case.pk).update(
        contact_count=F("contact_count") + 1, version=F("version") + 1
    )
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.CONTACT_ADDED,
        actor=actor,
        occurred_at=timezone.now(),
        payload={"contact": row.pk, "channel": contact.channel, "new_petitioners": added},
    )
    record(
        "case.add_contact",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={
            "channel": contact.channel,
            "people": contact.people_count,
            "new_petitioners": added,
        },
    )
    return row


@dataclass(frozen=True)
class RevealedData:
    id_number: str
    phone: str
    address: str


def reveal_personal_data(petitioner: Petitioner, *, actor: User, case: Case) -> RevealedData:
    """显示完整信息: decrypt one person's identifiers for a permitted user; audited. Never to
    the accused unit of a 检举控告 (第三十条) nor to someone recused from the case."""
    if not rules.can_reveal_personal_data(actor):
        raise PermissionDenied("您的角色无权查看完整个人信息。")
    if not may_see_petitioner(actor, case):
        raise PermissionDenied(WITHHELD_MESSAGE)
    if is_recused(actor, case):
        raise PermissionDenied(RECUSED_MESSAGE)
    with transaction.atomic():
        record(
            "petitioner.reveal",
            actor=actor,
            target=petitioner,
            object_id=str(petitioner.uid),
            detail={"case": case.number},
        )
    return RevealedData(
        id_number=petitioner.decrypt("id_number"),
        phone=petitioner.decrypt("phone"),
        address=petitioner.decrypt("address"),
    )


def attachment_path(attachment: Attachment) -> Path:
    return Path(settings.ATTACHMENT_DIR) / attachment.uid.hex[:2] / attachment.uid.hex


def _store_attachment(
    case: Case, upload: UploadedFile[bytes], *, actor: User, now: dt.datetime, written: list[Path]
) -> Attachment:
    name = upload.name or "附件"
    kind = sniff_upload(name, upload, upload.size or 0, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    if case.attachments.count() >= settings.ATTACHMENTS_PER_CASE:
        raise ValidationError(f"每件信访事项最多 {settings.ATTACHMENTS_PER_CASE} 个附件。")
    attachment = Attachment(
        uid=uuid.uuid4(),
        case=case,
        original_name=safe_display_name(name),
        content_type=kind.content_type,
        size=upload.size or 0,
        uploaded_by=actor,
        uploaded_at=now,
    )
    path = attachment_path(attachment)
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with path.open("xb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            out.write(chunk)
    written.append(path)
    attachment.sha256 = digest.hexdigest()
    attachment.save(force_insert=True)
    return attachment


@contextmanager
def _files_removed_on_error() -> Iterator[list[Path]]:
    """Files written inside a transaction that then rolls back must not stay on disk."""
    written: list[Path] = []
    try:
        yield written
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise


def add_attachment(case: Case, *, actor: User, upload: UploadedFile[bytes]) -> Attachment:
    """Add one file to a case; audited. An invalid file raises ValidationError, writes nothing.
    Not by a unit the material is withheld from, nor by someone recused from the case."""
    if not rules.can_upload_attachments(actor):
        raise PermissionDenied("您的角色无权上传附件。")
    if not may_see_petitioner(actor, case):
        raise PermissionDenied(WITHHELD_MESSAGE)
    if is_recused(actor, case):
        raise PermissionDenied(RECUSED_MESSAGE)
    with _files_removed_on_error() as written, transaction.atomic():
        return _add_attachment(case, actor=actor, upload=upload, written=written)


def _add_attachment(
    case: Case, *, actor: User, upload: UploadedFile[bytes], written: list[Path]
) -> Attachment:
    attachment = _store_attachment(case, upload, actor=actor, now=timezone.now(), written=written)
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.ATTACHMENT_ADDED,
        actor=actor,
        occurred_at=attachment.uploaded_at,
        payload={"name": attachment.original_name, "size": attachment.size},
    )
    record(
        "case.add_attachment",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={"attachment": str(attachment.uid), "size": attachment.size},
    )
    return attachment


NOTE_KINDS = (EventKind.NOTE, EventKind.INVESTIGATION)


@transaction.atomic
def add_note(case: Case, *, actor: User, kind: EventKind, text: str) -> CaseEvent:
    """工作记录 / 调查记录: an internal entry on the timeline (never shown on the portal).
    Anyone working the case may write one; it changes no status and no deadline."""
    if not rules.can_work_cases(actor) or rules.is_administrator(actor):
        raise PermissionDenied("您的角色无权填写办理记录。")
    if is_recused(actor, case):
        raise PermissionDenied(RECUSED_MESSAGE)
    if kind not in NOTE_KINDS:
        raise ValidationError("记录类型无效。")
    text = (text or "").strip()
    if not text:
        raise ValidationError("请填写记录内容。")
    if len(text) > 5000:
        raise ValidationError("记录内容不能超过 5000 字。")
    event = CaseEvent.objects.create(
        case=case,
        kind=kind,
        actor=actor,
        occurred_at=timezone.now(),
        payload={"note": text},
    )
    record(
        "case.add_note",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={"kind": str(kind), "length": len(text)},
    )
    return event


@transaction.atomic
def declare_recusal(case: Case, *, actor: User, user: User, reason: str) -> Recusal:
    """回避 (第二十八条第三款): ``user`` has an interest in the matter. A staff member declares
    it for themselves; a leader records it for staff of their unit or a unit under it. From
    then on ``user`` takes no step on the case, writes no record on it and sees no full
    personal data. Writes the recusal, a timeline entry and one audit event."""
    if not rules.can_work_cases(actor) or actor.unit is None:
        raise PermissionDenied("您的角色无权申报回避。")
    if user.pk != actor.pk:
        if not rules.can_record_recusals(actor):
            raise PermissionDenied("只有领导可以为他人记录回避。")
        if user.unit is None or not user.unit.path.startswith(actor.unit.path):
            raise PermissionDenied("只能为本单位及下属单位的工作人员记录回避。")
    if not rules.can_work_cases(user):
        raise ValidationError(f"{user}不办理信访事项，无需回避。")
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("请写明回避事由（与本事项有何利害关系）。")
    if len(reason) > 500:
        raise ValidationError("回避事由不能超过 500 字。")
    now = timezone.now()
    try:
        with transaction.atomic():  # a savepoint: a concurrent twin fails here, cleanly
            recusal = Recusal.objects.create(
                case=case, user=user, reason=reason, declared_by=actor, declared_at=now
            )
    except IntegrityError:
        raise ValidationError(f"{user}已就本事项申报回避。") from None
    forget_recusals(user)
    CaseEvent.objects.create(
        case=case,
        kind=EventKind.RECUSAL_DECLARED,
        actor=actor,
        occurred_at=now,
        payload={"user": str(user), "user_id": user.pk, "reason": reason},
    )
    record(
        "case.declare_recusal",
        actor=actor,
        target=case,
        object_id=case.number,
        detail={"user": user.username, "self": user.pk == actor.pk},
    )
    return recusal
