"""Writes for units, users and regions. Each function is one audited operation."""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from xinfang.accounts.enums import ADMIN_ROLES, RegionLevel, Role, UnitKind
from xinfang.accounts.models import Region, Unit, User, UserRole, UserSession
from xinfang.audit.services import record
from xinfang.core.reference import reference_data_changed


def check_role_combination(roles: Iterable[Role]) -> None:
    """三员分立: at most one administrator role, and never together with a case role."""
    chosen = set(roles)
    admin = chosen & ADMIN_ROLES
    if len(admin) > 1:
        raise ValidationError("系统管理员、安全管理员、审计管理员三种角色互斥，只能担任其一。")
    if admin and chosen - ADMIN_ROLES:
        raise ValidationError("管理员角色不能与业务角色（登记、承办、督查等）同时授予同一用户。")


@transaction.atomic
def create_unit(
    *,
    actor: User | None,
    code: str,
    name: str,
    kind: UnitKind,
    parent: Unit | None = None,
    region: Region | None = None,
) -> Unit:
    unit = Unit.objects.create(code=code, name=name, kind=kind, parent=parent, region=region)
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    unit.save(update_fields=["path"])
    record("unit.create", actor=actor, target=unit, detail={"code": code, "name": name})
    return unit


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    username: str,
    full_name: str,
    unit: Unit | None,
    roles: Iterable[Role],
    password: str | None,
) -> User:
    """Create a staff account. ``password=None`` leaves it unusable until one is set; a
    password must pass the policy (ValidationError otherwise, nothing written)."""
    role_list = sorted(set(roles))
    check_role_combination(role_list)
    user = User(username=username, full_name=full_name, unit=unit)
    if password is not None:
        validate_new_password(password, user=user)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    UserRole.objects.bulk_create([UserRole(user=user, role=role) for role in role_list])
    record(
        "user.create",
        actor=actor,
        target=user,
        detail={"username": username, "unit": unit.code if unit else None, "roles": role_list},
    )
    return user


class StaleEditError(Exception):
    """The record changed since the form was drawn (another administrator saved first):
    nothing is written; the page shows what is stored now beside what was submitted."""

    message = "已被他人修改：下面是当前保存的内容，请核对后再保存。"


def _claim_version(instance: Unit | User, version: int | None) -> None:
    """Move ``instance`` to its next version, only from ``version`` (None: no check, for
    commands and loaders). Row-locks it until the transaction ends."""
    rows = type(instance).objects.filter(pk=instance.pk)
    if version is not None:
        rows = rows.filter(version=version)
    if not rows.update(version=F("version") + 1):
        raise StaleEditError
    instance.version = (version or instance.version) + 1


@transaction.atomic
def update_unit(
    unit: Unit, *, actor: User, name: str, is_active: bool, version: int | None = None
) -> Unit:
    """Rename a unit or switch it on/off. A unit that still has active users stays active:
    their accounts must be moved or deactivated first. No change, no audit line."""
    old = {"name": unit.name, "is_active": unit.is_active}
    new = {"name": name, "is_active": is_active}
    if old == new:
        return unit
    _claim_version(unit, version)
    if unit.is_active and not is_active and unit.users.filter(is_active=True).exists():
        raise ValidationError(
            "该单位还有启用的用户账号，请先将其调往其他单位或停用后再停用本单位。"
        )
    unit.name, unit.is_active = name, is_active
    unit.save(update_fields=["name", "is_active"])
    record("unit.update", actor=actor, target=unit, detail={"old": old, "new": new})
    return unit


#: Django's zh-hans catalog ships this one message untranslated; the others are Chinese already.
_PASSWORD_MESSAGES = {"password_too_short": "密码太短，至少需要 %(min_length)d 个字符。"}


def validate_new_password(password: str, *, user: User) -> None:
    """The password policy of ``AUTH_PASSWORD_VALIDATORS``, every message in Chinese."""
    try:
        validate_password(password, user=user)
    except ValidationError as error:
        raise ValidationError(
            [
                ValidationError(
                    _PASSWORD_MESSAGES.get(item.code or "", item.message),
                    code=item.code,
                    params=item.params,
                )
                for item in error.error_list
            ]
        ) from None


def _refuse_own_account(user: User, actor: User, message: str) -> None:
    # An administrator never widens, narrows or disables their own account: a second
    # administrator must do it, so one stolen session cannot entrench itself.
    if user.pk == actor.pk:
        raise ValidationError(message)


@transaction.atomic
def set_user_unit(user: User, *, actor: User, unit: Unit, version: int | None = None) -> User:
    """Move an account to another (active) unit; its case scope follows the unit."""
    if not unit.is_active:
        raise ValidationError("不能调入已停用的单位。")
    old = user.unit
    if old is not None and old.pk == unit.pk:
        return user
    _claim_version(user, version)
    user.unit = unit
    user.save(update_fields=["unit"])
    record(
        "user.unit",
        actor=actor,
        target=user,
        detail={"old": old.code if old else None, "new": unit.code},
    )
    return user


@transaction.atomic
def set_user_roles(
    user: User, *, actor: User, roles: Iterable[Role], version: int | None = None
) -> User:
    """Replace the account's roles (三员分立 checked). The audit line holds old and new lists."""
    _refuse_own_account(user, actor, "不能修改自己的角色，请由另一位系统管理员操作。")
    new = sorted(set(roles))
    check_role_combination(new)
    old = sorted(Role(role) for role in user.role_grants.values_list("role", flat=True))
    if old == new:
        return user
    _claim_version(user, version)
    user.role_grants.exclude(role__in=new).delete()
    UserRole.objects.bulk_create(
        [UserRole(user=user, role=role) for role in new if role not in old]
    )
    user.__dict__.pop("roles", None)  # the cached_property would still answer the old roles
    record("user.roles", actor=actor, target=user, detail={"old": old, "new": new})
    return user


def end_sessions_of(user: User, *, keep: str | None = None) -> int:
    """Delete every server-side session signed in as ``user`` (except the one keyed ``keep``:
    the person's own, after they changed their password); returns how many were still live.
    One indexed delete: the session store keeps the account id beside each session."""
    sessions = UserSession.objects.filter(user_id=user.pk)
    if keep:
        sessions = sessions.exclude(session_key=keep)
    live = sessions.filter(expire_date__gt=timezone.now()).count()
    sessions.delete()
    return live


@transaction.atomic
def set_user_active(user: User, *, actor: User, active: bool, version: int | None = None) -> User:
    """Enable or disable an account. Disabling also ends all its sessions at once."""
    if not active:
        _refuse_own_account(user, actor, "不能停用自己的账号。")
    if user.is_active == active:
        return user
    _claim_version(user, version)
    user.is_active = active
    user.save(update_fields=["is_active"])
    detail = {"sessions_ended": end_sessions_of(user)} if not active else {}
    record(
        "user.activate" if active else "user.deactivate", actor=actor, target=user, detail=detail
    )
    return user


@transaction.atomic
def reset_password(user: User, *, actor: User, new_password: str) -> User:
    """Set a new password chosen by an administrator (validated against the password policy).

    The user's existing sessions stop working on their next request, because Django ties
    each session to the password hash. The password never reaches the audit trail."""
    _refuse_own_account(user, actor, "不能在此重置自己的密码。")
    validate_new_password(new_password, user=user)
    user.set_password(new_password)
    user.save(update_fields=["password"])
    record("user.password_reset", actor=actor, target=user)
    return user


# --- Administrative divisions ------------------------------------------------------------------

REGION_FILES = (
    ("provinces.csv", RegionLevel.PROVINCE, None),
    ("cities.csv", RegionLevel.CITY, "provinceCode"),
    ("areas.csv", RegionLevel.COUNTY, "cityCode"),
    ("streets.csv", RegionLevel.TOWNSHIP, "areaCode"),
    ("villages.csv", RegionLevel.VILLAGE, "streetCode"),
)


@dataclass(frozen=True)
class RegionLoadResult:
    created: int
    updated: int


class RegionFileError(ValueError):
    """The division files are missing, malformed or inconsistent; nothing was written."""


def _read_region_rows(
    folder: Path, root: str | None
) -> list[tuple[str, str, RegionLevel, str | None]]:
    if not (folder / "provinces.csv").is_file():
        raise RegionFileError(f"在 {folder} 中找不到 provinces.csv（统计用区划代码）")
    rows: list[tuple[str, str, RegionLevel, str | None]] = []
    known: set[str] = set()
    for filename, level, parent_column in REGION_FILES:
        path = folder / filename
        if not path.is_file():
            continue
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            required = {"code", "name"} | ({parent_column} if parent_column else set())
            if not required.issubset(reader.fieldnames or []):
                raise RegionFileError(f"{filename} 缺少列：{', '.join(sorted(required))}")
            for line, row in enumerate(reader, start=2):
                code, name = (row["code"] or "").strip(), (row["name"] or "").strip()
                parent = (row[parent_column] or "").strip() if parent_column else None
                if not re.fullmatch(r"[0-9]{2,12}", code) or not name:
                    raise RegionFileError(f"{filename} 第 {line} 行：代码或名称无效")
                if root and not (code.startswith(root) or root.startswith(code)):
                    continue
                if parent is not None and parent not in known:
                    raise RegionFileError(f"{filename} 第 {line} 行：上级代码 {parent} 不存在")
                if parent is not None and not code.startswith(parent):
                    # Subtrees are prefix matches: a child must carry its parent's code.
                    raise RegionFileError(
                        f"{filename} 第 {line} 行：代码 {code} 不以上级代码 {parent} 开头"
                    )
                known.add(code)
                rows.append((code, name, level, parent))
    return rows


@transaction.atomic
def load_regions(*, actor: User | None, folder: Path, root: str | None = None) -> RegionLoadResult:
    """Load the statistics bureau's division list (whole country, or the subtree under
    ``root`` with its ancestors). All or nothing; re-running updates names in place."""
    rows = _read_region_rows(folder, root)
    if root and not any(code == root for code, *_ in rows):
        raise RegionFileError(f"区划代码 {root} 不在文件中")
    existing = {region.code: region for region in Region.objects.all()}
    ids = {code: region.pk for code, region in existing.items()}
    created = 0
    changed: list[Region] = []
    # Files come parents first, so each level is created with its parent's id already known.
    for level in sorted({row[2] for row in rows}):
        level_rows = [row for row in rows if row[2] == level]
        new = [
            Region(code=code, name=name, level=level, parent_id=ids[parent] if parent else None)
            for code, name, _level, parent in level_rows
            if code not in existing
        ]
        Region.objects.bulk_create(new, batch_size=2000)
        created += len(new)
        ids.update(Region.objects.filter(level=level).values_list("code", "id"))
        for code, name, _level, parent in level_rows:
            region = existing.get(code)
            parent_id = ids[parent] if parent else None
            if region is not None and (region.name, region.level, region.parent_id) != (
                name,
                level,
                parent_id,
            ):
                region.name, region.level, region.parent_id = name, level, parent_id
                changed.append(region)
    Region.objects.bulk_update(changed, ["name", "level", "parent"], batch_size=2000)
    reference_data_changed.send(sender=Region)  # bulk writes send no model signals
    result = RegionLoadResult(created=created, updated=len(changed))
    record(
        "region.load",
        actor=actor,
        object_type="accounts.region",
        object_id=root or "all",
        detail={"created": result.created, "updated": result.updated, "rows": len(rows)},
    )
    return result
