"""The precomputed statistics (stats.models) and the triggers that note changed cases
(stats.triggers). The triggers are also re-created after every migrate (stats.apps)."""

from django.db import migrations, models


def create_triggers(apps, schema_editor):
    from xinfang.stats.triggers import ensure_triggers

    ensure_triggers(schema_editor.connection)
    # Every case already stored is noted, so the first fold (or rebuild) counts it.
    schema_editor.execute(
        "INSERT INTO stats_dirtycase (case_id) SELECT id FROM cases_case ORDER BY id"
    )
    apps.get_model("stats", "RollupState").objects.create(pk=1)


def drop_triggers(apps, schema_editor):
    from xinfang.stats.triggers import drop_triggers

    drop_triggers(schema_editor.connection)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("cases", "0006_note_events"),
        ("portal", "0001_evaluations_and_throttle"),
    ]

    operations = [
        migrations.CreateModel(
            name="CaseFact",
            fields=[
                ("case_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("region_id", models.BigIntegerField()),
                ("category_id", models.BigIntegerField()),
                ("unit_id", models.BigIntegerField(null=True)),
                ("handling_category", models.CharField(max_length=20)),
                ("channel", models.CharField(max_length=10)),
                ("received_on", models.DateField()),
                ("accept_due_on", models.DateField(null=True)),
                ("accept_on_time", models.PositiveSmallIntegerField(default=0)),
                ("handling_due_on", models.DateField(null=True)),
                ("handling_on_time_served", models.PositiveSmallIntegerField(default=0)),
                ("handling_on_time_replied", models.PositiveSmallIntegerField(default=0)),
                ("served_on", models.DateField(null=True)),
                ("organ_rating", models.CharField(default="", max_length=20)),
                ("office_rating", models.CharField(default="", max_length=20)),
                ("transferred_on", models.DateField(null=True)),
                ("transferred", models.PositiveSmallIntegerField(default=0)),
                ("assigned", models.PositiveSmallIntegerField(default=0)),
                ("open_due_on", models.DateField(null=True)),
            ],
            options={
                "verbose_name": "统计事项要素",
            },
        ),
        migrations.CreateModel(
            name="ContactFact",
            fields=[
                ("contact_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("case_id", models.BigIntegerField(db_index=True)),
                ("day", models.DateField()),
                ("channel", models.CharField(max_length=10)),
                ("reception_unit_id", models.BigIntegerField()),
                ("region_id", models.BigIntegerField()),
                ("category_id", models.BigIntegerField()),
                ("unit_id", models.BigIntegerField(null=True)),
                ("handling_category", models.CharField(max_length=20)),
                ("collective_batches", models.PositiveIntegerField(default=0)),
                ("collective_people", models.PositiveIntegerField(default=0)),
                ("collective_repeat_batches", models.PositiveIntegerField(default=0)),
                ("collective_repeat_people", models.PositiveIntegerField(default=0)),
                ("individual_people", models.PositiveIntegerField(default=0)),
                ("individual_repeat_people", models.PositiveIntegerField(default=0)),
                ("individual_litigation_people", models.PositiveIntegerField(default=0)),
                ("letters", models.PositiveIntegerField(default=0)),
                ("online", models.PositiveIntegerField(default=0)),
                ("phone", models.PositiveIntegerField(default=0)),
                ("fax", models.PositiveIntegerField(default=0)),
                ("contacts_total", models.PositiveIntegerField(default=0)),
                ("repeat_contacts", models.PositiveIntegerField(default=0)),
            ],
            options={
                "verbose_name": "统计记录要素",
            },
        ),
        migrations.CreateModel(
            name="DirtyCase",
            fields=[
                ("id", models.BigAutoField(primary_key=True, serialize=False)),
                ("case_id", models.BigIntegerField(db_index=True)),
            ],
            options={
                "verbose_name": "统计待更新事项",
            },
        ),
        migrations.CreateModel(
            name="RepeatFact",
            fields=[
                ("case_id", models.BigIntegerField(primary_key=True, serialize=False)),
                ("received_on", models.DateField(db_index=True)),
                ("after", models.DateField(null=True)),
                ("before", models.DateField(null=True)),
                ("region_id", models.BigIntegerField()),
                ("category_id", models.BigIntegerField()),
                ("unit_id", models.BigIntegerField(null=True)),
                ("handling_category", models.CharField(max_length=20)),
                ("channel", models.CharField(max_length=10)),
            ],
            options={
                "verbose_name": "统计重复信访要素",
            },
        ),
        migrations.CreateModel(
            name="RollupState",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("signature", models.CharField(default="", max_length=100)),
                ("stale", models.BooleanField(default=False)),
                ("built_at", models.DateTimeField(null=True)),
            ],
            options={
                "verbose_name": "统计预汇总状态",
            },
        ),
        migrations.CreateModel(
            name="DayCount",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("dim", models.CharField(max_length=10)),
                ("value", models.CharField(max_length=20)),
                ("day", models.DateField()),
                ("organ_rating", models.CharField(default="", max_length=20)),
                ("office_rating", models.CharField(default="", max_length=20)),
                ("collective_batches", models.IntegerField(default=0)),
                ("collective_people", models.IntegerField(default=0)),
                ("collective_repeat_batches", models.IntegerField(default=0)),
                ("collective_repeat_people", models.IntegerField(default=0)),
                ("individual_people", models.IntegerField(default=0)),
                ("individual_repeat_people", models.IntegerField(default=0)),
                ("individual_litigation_people", models.IntegerField(default=0)),
                ("letters", models.IntegerField(default=0)),
                ("online", models.IntegerField(default=0)),
                ("phone", models.IntegerField(default=0)),
                ("fax", models.IntegerField(default=0)),
                ("contacts_total", models.IntegerField(default=0)),
                ("repeat_contacts", models.IntegerField(default=0)),
                ("cases_received", models.IntegerField(default=0)),
                ("acceptance_due", models.IntegerField(default=0)),
                ("acceptance_on_time", models.IntegerField(default=0)),
                ("handling_due", models.IntegerField(default=0)),
                ("handling_on_time_served", models.IntegerField(default=0)),
                ("handling_on_time_replied", models.IntegerField(default=0)),
                ("served", models.IntegerField(default=0)),
                ("transferred", models.IntegerField(default=0)),
                ("assigned", models.IntegerField(default=0)),
                ("open_due", models.IntegerField(default=0)),
            ],
            options={
                "verbose_name": "统计日汇总",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("dim", "value", "day", "organ_rating", "office_rating"),
                        name="stats_daycount_key",
                    )
                ],
            },
        ),
        migrations.RunPython(create_triggers, drop_triggers, elidable=False),
    ]
