"""Precomputed statistics (统计预汇总): what the figures need of each case and contact, and the
daily counts built from it, so a year's figures at a million cases read a few thousand rows.

- :class:`CaseFact` / :class:`ContactFact` / :class:`RepeatFact`: per case and per contact, the
  day each figure falls on and the dimensions it is broken down by (``facts`` derives them
  with the same definitions as the direct queries; no text, no personal data).
- :class:`DayCount`: per day and per value of one dimension (region, category, unit, …), the
  sum of the facts — one row answers "on this day, in this region, N cases were received,
  M notices fell due, …".
- :class:`DirtyCase`: database triggers (``triggers``) note every case whose row, contacts or
  evaluations change, whatever writes them; folding the queue brings the facts and counts up
  to date (``services.fold_changes``).
- :class:`RollupState`: whether the counts were computed under today's calendar and rules.

None of it is a source of truth: ``manage.py rebuild_statistics`` recomputes it all from the
cases, and a figure the counts cannot answer exactly is read from the cases directly.
"""

from __future__ import annotations

from django.db import models


class CaseFact(models.Model):
    """One case as the statistics see it. Dates are the day a figure counts the case on (None:
    never); flags are 0/1 so the counts are plain sums."""

    case_id = models.BigIntegerField(primary_key=True)
    region_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    unit_id = models.BigIntegerField(null=True)
    handling_category = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)
    received_on = models.DateField()
    accept_due_on = models.DateField(null=True)
    accept_on_time = models.PositiveSmallIntegerField(default=0)
    handling_due_on = models.DateField(null=True)
    handling_on_time_served = models.PositiveSmallIntegerField(default=0)
    handling_on_time_replied = models.PositiveSmallIntegerField(default=0)
    served_on = models.DateField(null=True)
    organ_rating = models.CharField(max_length=20, default="")
    office_rating = models.CharField(max_length=20, default="")
    transferred_on = models.DateField(null=True)
    transferred = models.PositiveSmallIntegerField(default=0)
    assigned = models.PositiveSmallIntegerField(default=0)
    open_due_on = models.DateField(null=True)

    class Meta:
        verbose_name = "统计事项要素"

    def __str__(self) -> str:
        return f"case {self.case_id}"


class ContactFact(models.Model):
    """One contact (来访/来信/来电记录): its local day, its case's dimensions, and its value in
    each contact measure (1 or its people for the measures it meets, else 0)."""

    contact_id = models.BigIntegerField(primary_key=True)
    case_id = models.BigIntegerField(db_index=True)
    day = models.DateField()
    channel = models.CharField(max_length=10)
    reception_unit_id = models.BigIntegerField()
    region_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    unit_id = models.BigIntegerField(null=True)
    handling_category = models.CharField(max_length=20)
    collective_batches = models.PositiveIntegerField(default=0)
    collective_people = models.PositiveIntegerField(default=0)
    collective_repeat_batches = models.PositiveIntegerField(default=0)
    collective_repeat_people = models.PositiveIntegerField(default=0)
    individual_people = models.PositiveIntegerField(default=0)
    individual_repeat_people = models.PositiveIntegerField(default=0)
    individual_litigation_people = models.PositiveIntegerField(default=0)
    letters = models.PositiveIntegerField(default=0)
    online = models.PositiveIntegerField(default=0)
    phone = models.PositiveIntegerField(default=0)
    fax = models.PositiveIntegerField(default=0)
    contacts_total = models.PositiveIntegerField(default=0)
    repeat_contacts = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "统计记录要素"

    def __str__(self) -> str:
        return f"contact {self.contact_id} of case {self.case_id}"


class RepeatFact(models.Model):
    """A case with more than one contact and a repeat contact (重复信访): the first repeat day
    on or after its receipt and the last one before it. ``重复信访事项`` of a period counts the
    cases received in it with a repeat contact in it: received in [s, e] and (``after`` ≤ e or
    ``before`` ≥ s) — two days decide any period, so no list of days is stored."""

    case_id = models.BigIntegerField(primary_key=True)
    received_on = models.DateField(db_index=True)
    after = models.DateField(null=True)
    before = models.DateField(null=True)
    region_id = models.BigIntegerField()
    category_id = models.BigIntegerField()
    unit_id = models.BigIntegerField(null=True)
    handling_category = models.CharField(max_length=20)
    channel = models.CharField(max_length=10)

    class Meta:
        verbose_name = "统计重复信访要素"

    def __str__(self) -> str:
        return f"repeats of case {self.case_id}"


class DayCount(models.Model):
    """The facts summed per day and per value of one dimension (``dim``: ``all``, ``region``,
    ``category``, ``unit``, ``handling``, ``channel``, ``reception``; ``value``: the id or code
    as text, "" for none). ``day`` is each count's own day: the contact's day, the receipt, the
    due date of the notice or of the handling, the service, the transfer, the open step's due
    date. Served cases are split by their latest ratings so 参评/满意 follow the settings."""

    dim = models.CharField(max_length=10)
    value = models.CharField(max_length=20)
    day = models.DateField()
    organ_rating = models.CharField(max_length=20, default="")
    office_rating = models.CharField(max_length=20, default="")
    collective_batches = models.IntegerField(default=0)
    collective_people = models.IntegerField(default=0)
    collective_repeat_batches = models.IntegerField(default=0)
    collective_repeat_people = models.IntegerField(default=0)
    individual_people = models.IntegerField(default=0)
    individual_repeat_people = models.IntegerField(default=0)
    individual_litigation_people = models.IntegerField(default=0)
    letters = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    phone = models.IntegerField(default=0)
    fax = models.IntegerField(default=0)
    contacts_total = models.IntegerField(default=0)
    repeat_contacts = models.IntegerField(default=0)
    cases_received = models.IntegerField(default=0)
    acceptance_due = models.IntegerField(default=0)
    acceptance_on_time = models.IntegerField(default=0)
    handling_due = models.IntegerField(default=0)
    handling_on_time_served = models.IntegerField(default=0)
    handling_on_time_replied = models.IntegerField(default=0)
    served = models.IntegerField(default=0)
    transferred = models.IntegerField(default=0)
    assigned = models.IntegerField(default=0)
    open_due = models.IntegerField(default=0)

    class Meta:
        verbose_name = "统计日汇总"
        constraints = [
            models.UniqueConstraint(
                fields=["dim", "value", "day", "organ_rating", "office_rating"],
                name="stats_daycount_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dim}={self.value} {self.day}"


class DirtyCase(models.Model):
    """A case whose facts may be out of date (written by the triggers, never by the app)."""

    id = models.BigAutoField(primary_key=True)
    case_id = models.BigIntegerField(db_index=True)

    class Meta:
        verbose_name = "统计待更新事项"

    def __str__(self) -> str:
        return f"case {self.case_id}"


class RollupState(models.Model):
    """One row: under which calendar and rules the facts were computed (``signature``), and
    whether a change to the holiday table or the rule sets has made them stale since (set by
    a trigger). Stale facts are never read; the rebuild task recomputes them."""

    signature = models.CharField(max_length=100, default="")
    stale = models.BooleanField(default=False)
    built_at = models.DateTimeField(null=True)

    class Meta:
        verbose_name = "统计预汇总状态"

    def __str__(self) -> str:
        return self.signature
