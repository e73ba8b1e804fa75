"""No sealed column can be forgotten by key rotation (SECURITY.md 18): every ``*_sealed``
column of every model and every ``seal(...)`` call in the code is in ``ops.sealed``."""

from __future__ import annotations

import ast
from pathlib import Path

from django.apps import apps
from django.db import models

from xinfang.ops.sealed import BLIND_INDEXES, SEALED_COLUMNS

SOURCE = Path(__file__).resolve().parents[2] / "xinfang"
# Where seal() is defined, and the rotation itself (it seals whatever the registry lists).
NOT_WRITERS = {SOURCE / "core" / "crypto.py", SOURCE / "ops" / "rotation.py"}
REGISTERED = {(column.model._meta.label, column.field) for column in SEALED_COLUMNS}


def sealed_model_columns() -> set[tuple[str, str]]:
    return {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.get_fields()
        if isinstance(field, models.BinaryField) and field.name.endswith("_sealed")
    }


def _is_seal_call(node: ast.AST) -> bool:
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    return (isinstance(func, ast.Name) and func.id == "seal") or (
        isinstance(func, ast.Attribute) and func.attr == "seal"
    )


def _written_column(call: ast.Call, parents: dict[ast.AST, ast.AST]) -> str | None:
    """The column a ``seal(...)`` result goes to: ``x.<col> = seal(…)``, ``<col>=seal(…)``
    as a keyword, ``x["<col>"] = seal(…)`` or ``{"<col>": seal(…)}`` (rows written as
    parameters), or the return value of a model method (``TotpDevice.sealed``) whose class
    has one sealed column."""
    parent = parents[call]
    if isinstance(parent, ast.Assign) and isinstance(parent.targets[0], ast.Attribute):
        return parent.targets[0].attr
    if isinstance(parent, ast.Assign) and isinstance(parent.targets[0], ast.Subscript):
        key = parent.targets[0].slice
        return key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
    if isinstance(parent, ast.Dict):
        name = parent.keys[parent.values.index(call)]
        text = name.value if isinstance(name, ast.Constant) else None
        return text if isinstance(text, str) else None
    if isinstance(parent, ast.keyword):
        return parent.arg
    if isinstance(parent, ast.Return):
        node: ast.AST = parent
        while node in parents and not isinstance(node, ast.ClassDef):
            node = parents[node]
        if isinstance(node, ast.ClassDef):
            fields = {f for label, f in REGISTERED if label.endswith(f".{node.name}")}
            if len(fields) == 1:
                return fields.pop()
    return None


def seal_calls() -> list[tuple[str, str | None]]:
    """Every ``seal(...)`` call in xinfang/, as (file:line, the column it writes)."""
    found = []
    for path in sorted(SOURCE.rglob("*.py")):
        if path in NOT_WRITERS:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _is_seal_call(node):
                where = f"{path.relative_to(SOURCE.parent)}:{node.lineno}"
                found.append((where, _written_column(node, parents)))
    return found


def test_every_sealed_binary_column_of_every_model_is_in_the_rotation_registry() -> None:
    assert sealed_model_columns() == REGISTERED


def test_every_seal_call_in_the_code_writes_a_column_the_registry_lists() -> None:
    calls = seal_calls()
    registered_fields = {field for _label, field in REGISTERED}

    unregistered = [(where, column) for where, column in calls if column not in registered_fields]

    assert unregistered == [], "seal() whose column is not in xinfang/ops/sealed.py"
    assert len(calls) >= len(REGISTERED)  # the scan does find the writers


def test_every_blind_index_column_exists_beside_its_sealed_source() -> None:
    missing = [
        (index.source.model._meta.label, index.field)
        for index in BLIND_INDEXES
        if not any(f.name == index.field for f in index.source.model._meta.get_fields())
    ]

    assert missing == []
