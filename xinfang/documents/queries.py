"""Reads on documents. A case's documents are reached only through ``cases_visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from xinfang.cases.access import WITHHELD_MESSAGE, may_see_petitioner
from xinfang.cases.queries import cases_visible_to
from xinfang.documents.enums import NoticeKind
from xinfang.documents.models import Document, DocumentTemplate

if TYPE_CHECKING:
    import uuid

    from django.contrib.auth.models import AnonymousUser

    from xinfang.accounts.models import User


def document_for_download(user: User | AnonymousUser, number: str, uid: uuid.UUID) -> Document:
    """One document of a visible case, with its bytes; out of scope or unknown → 404. Notices
    name the accuser: withheld from the accused unit of a 检举控告 (第三十条) → 403."""
    case = get_object_or_404(cases_visible_to(user), number=number)
    document = get_object_or_404(case.documents.defer(None), uid=uid)
    if not may_see_petitioner(user, case):
        raise PermissionDenied(WITHHELD_MESSAGE)
    return document


@dataclass(frozen=True)
class TemplateRow:
    kind: NoticeKind
    active: DocumentTemplate | None


def template_overview() -> list[TemplateRow]:
    """Every notice kind with the uploaded template in use, if any (one query)."""
    active = {
        t.kind: t
        for t in DocumentTemplate.objects.filter(is_active=True)
        .select_related("uploaded_by")
        .defer("content")
    }
    return [TemplateRow(kind, active.get(kind)) for kind in NoticeKind]


def template_history(kind: NoticeKind) -> list[DocumentTemplate]:
    return list(
        DocumentTemplate.objects.filter(kind=kind).select_related("uploaded_by").defer("content")
    )
