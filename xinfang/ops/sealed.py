"""Every column that holds an SM4-GCM sealed value, and how to rebuild its AAD from its row.

Key rotation walks this registry, so a sealed column missing from it would keep its old key
forever and become unreadable once that key is retired. ``tests/ops/test_sealed_registry.py``
fails when a model grows a ``*_sealed`` column, or the code a ``seal(...)`` call, that is not
listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models

from xinfang.accounts.models import TotpDevice
from xinfang.cases.models import Case, Petitioner


@dataclass(frozen=True)
class SealedColumn:
    """One sealed column: ``aad(row)`` must equal what its writer passed to ``seal``;
    ``aad_fields`` are the row's columns that ``aad`` reads."""

    model: type[models.Model]
    field: str
    label: str
    aad_fields: tuple[str, ...]
    aad: Callable[[Any], str]


@dataclass(frozen=True)
class BlindIndex:
    """An HMAC-SM3 lookup column computed from a sealed column's plaintext."""

    source: SealedColumn
    field: str
    purpose: str


def _petitioner(column: str, label: str) -> SealedColumn:
    return SealedColumn(
        Petitioner, f"{column}_sealed", label, ("uid",), lambda row: Petitioner.aad(row, column)
    )


PETITIONER_ID_NUMBER = _petitioner("id_number", "身份证号")
PETITIONER_PHONE = _petitioner("phone", "联系电话")
PETITIONER_ADDRESS = _petitioner("address", "住址")

SEALED_COLUMNS: tuple[SealedColumn, ...] = (
    PETITIONER_ID_NUMBER,
    PETITIONER_PHONE,
    PETITIONER_ADDRESS,
    # Written by cases.services.register_case; the AAD names the case number, not the pk.
    SealedColumn(
        Case,
        "query_code_sealed",
        "查询码",
        ("number",),
        lambda row: f"cases_case.query_code.{row.number}",
    ),
    SealedColumn(
        TotpDevice,
        "secret_sealed",
        "动态口令密钥",
        ("user_id",),
        lambda row: TotpDevice.aad(row.user_id),
    ),
)

# cases.services.id_number_index / phone_index: the same purposes, the same key.
BLIND_INDEXES: tuple[BlindIndex, ...] = (
    BlindIndex(PETITIONER_ID_NUMBER, "id_number_index", "id_number"),
    BlindIndex(PETITIONER_PHONE, "phone_index", "phone"),
)


def by_model() -> dict[type[models.Model], list[SealedColumn]]:
    """The registry grouped by model, in registry order: one pass over a table per model."""
    grouped: dict[type[models.Model], list[SealedColumn]] = {}
    for column in SEALED_COLUMNS:
        grouped.setdefault(column.model, []).append(column)
    return grouped
