"""Writes for units, users and regions. Each function is one audited operation."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from xinfang.accounts.enums import ADMIN_ROLES, RegionLevel, Role, UnitKind
from xinfang.accounts.models import Region, Unit, User, UserRole
from xinfang.audit.services import record


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
    """Create a staff account. ``password=None`` leaves it unusable until one is set."""
    role_list = sorted(set(roles))
    check_role_combination(role_list)
    user = User(username=username, full_name=full_name, unit=unit)
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
                if not code.isdigit() or not name or len(code) > 12:
                    raise RegionFileError(f"{filename} 第 {line} 行：代码或名称无效")
                if root and not (code.startswith(root) or root.startswith(code)):
                    continue
                if parent is not None and parent not in known:
                    raise RegionFileError(f"{filename} 第 {line} 行：上级代码 {parent} 不存在")
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
    new = [
        Region(code=code, name=name, level=level)
        for code, name, level, _parent in rows
        if code not in existing
    ]
    changed = []
    for code, name, level, _parent in rows:
        region = existing.get(code)
        if region is not None and (region.name, region.level) != (name, level):
            region.name, region.level = name, level
            changed.append(region)
    Region.objects.bulk_create(new, batch_size=2000)
    Region.objects.bulk_update(changed, ["name", "level"], batch_size=2000)
    ids = dict(Region.objects.values_list("code", "id"))
    parents = [
        Region(id=ids[code], parent_id=ids[parent]) for code, _n, _l, parent in rows if parent
    ]
    Region.objects.bulk_update(parents, ["parent"], batch_size=2000)
    result = RegionLoadResult(created=len(new), updated=len(changed))
    record(
        "region.load",
        actor=actor,
        object_type="accounts.region",
        object_id=root or "all",
        detail={"created": result.created, "updated": result.updated, "rows": len(rows)},
    )
    return result
