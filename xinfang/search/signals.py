"""Keeps the index in step with writes on cases, from outside the cases app.

- A case saved through the ORM (registration creates it with ``Case.objects.create``) is
  indexed at once; a new case costs no extra read.
- Every timeline entry that can carry text re-indexes its case: the workflow writes cases with
  a conditional UPDATE (no ``post_save``), but each step records a ``CaseEvent``, and the draft
  opinion and the issued opinions arrive that way.
- A deleted case takes its document with it (cascade), and the document its FTS5 tokens.

Rows written with ``bulk_create`` or ``QuerySet.update`` (demo data, bulk loaders) send no
signals: run ``manage.py rebuild_search_index`` after them.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from xinfang.cases.models import Case, CaseEvent
from xinfang.search import index
from xinfang.search.documents import TEXTLESS_EVENT_KINDS, new_case_text
from xinfang.search.models import SearchDocument


@receiver(post_save, sender=Case, dispatch_uid="search.case_saved")
def case_saved(sender: type[Case], instance: Case, created: bool, raw: bool, **kwargs: Any) -> None:
    if raw:
        return  # loaddata: the rebuild command indexes fixtures
    if created:
        index.index_texts([new_case_text(instance)], new=True)
    else:
        index.index_cases([instance.pk])


@receiver(post_save, sender=CaseEvent, dispatch_uid="search.event_saved")
def event_saved(
    sender: type[CaseEvent], instance: CaseEvent, created: bool, raw: bool, **kwargs: Any
) -> None:
    if raw or instance.kind in TEXTLESS_EVENT_KINDS:
        return
    index.index_cases([instance.case_id])


@receiver(post_delete, sender=SearchDocument, dispatch_uid="search.document_deleted")
def document_deleted(sender: type[SearchDocument], instance: SearchDocument, **kwargs: Any) -> None:
    index.forget_document(instance.case_id, instance.body)
