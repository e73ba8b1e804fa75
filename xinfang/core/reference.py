"""A signal for writers of reference data (regions, units, content categories, rule sets,
the calendar) that bypass model signals: ``bulk_create``, ``bulk_update``, ``update()``.
Whoever keeps such data per process (``xinfang.cases.reference``) listens to it and to the
models' own signals."""

from __future__ import annotations

from django.dispatch import Signal

#: Send inside the writing transaction, with the model class as sender.
reference_data_changed = Signal()
