"""The administrative tree and the responsible units (DESIGN section 2).

Creates Division and Unit, loads Jiangxi's divisions (the province, its 11
cities, its 100 county-level divisions) from cases/data/divisions.csv, and
adds the columns the next migration fills: a case's division and its lead
and cooperating units as records, a scope exit's division, a tally's
division."""

import django.core.validators
import django.db.models.deletion
from django.db import migrations, models

import cases.validation

from cases.divisions import HOME_PROVINCE, load_divisions

from ._triggers import drop_sqlite_triggers, run_triggers


def add_divisions(apps, schema_editor):
    load_divisions(apps.get_model("cases", "Division"), apps.get_model("cases", "City"), provinces={HOME_PROVINCE[:2]})


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_evidence_standards")]

    operations = [
        # Backwards, the last step: SQLite rebuilt the case table.
        migrations.RunPython(migrations.RunPython.noop, run_triggers(division=False)),

        migrations.CreateModel(
            name="Division",
            fields=[
                (
                    "code",
                    models.CharField(
                        max_length=6,
                        primary_key=True,
                        serialize=False,
                        validators=[django.core.validators.RegexValidator("^\\d{6}$", "A GB/T 2260 code has six digits.")],
                        verbose_name="GB/T 2260 code",
                    ),
                ),
                ("name", models.CharField(max_length=64, verbose_name="name")),
                (
                    "level",
                    models.CharField(
                        choices=[("province", "Province"), ("city", "City"), ("county", "County")],
                        max_length=8,
                        verbose_name="level",
                    ),
                ),
                ("kind", models.CharField(max_length=24, verbose_name="kind")),
                (
                    "parent",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="children",
                        to="cases.division",
                        verbose_name="parent",
                    ),
                ),
            ],
            options={"verbose_name": "division", "verbose_name_plural": "divisions", "ordering": ["code"]},
        ),
        migrations.AddConstraint(
            model_name="division",
            constraint=models.CheckConstraint(
                condition=models.Q(level__in=["province", "city", "county"]), name="division_level_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="division",
            constraint=models.CheckConstraint(
                condition=models.Q(level="province", parent__isnull=True)
                | (~models.Q(level="province") & models.Q(parent__isnull=False)),
                name="division_only_provinces_are_roots",
            ),
        ),
        migrations.CreateModel(
            name="Unit",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("name", models.CharField(max_length=200, validators=[cases.validation.PlainText()], verbose_name="name")),
                ("kind", models.CharField(default="other", max_length=16, verbose_name="kind")),
                (
                    "division",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="units",
                        to="cases.division",
                        verbose_name="division",
                    ),
                ),
            ],
            options={"verbose_name": "unit", "verbose_name_plural": "units", "ordering": ["division_id", "name"]},
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.UniqueConstraint(fields=["division", "name"], name="unit_name_unique_in_division"),
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.CheckConstraint(
                condition=models.Q(kind__in=["government", "bureau", "enterprise", "institution", "other"]),
                name="unit_kind_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="unit",
            constraint=models.CheckConstraint(condition=~models.Q(name=""), name="unit_name_not_empty"),
        ),
        migrations.RunPython(add_divisions, migrations.RunPython.noop),
        migrations.AddField(
            model_name="case",
            name="division",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="cases", to="cases.division"
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="lead_unit_ref",
            field=models.ForeignKey(
                blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="led_cases", to="cases.unit"
            ),
        ),
        migrations.AddField(
            model_name="case",
            name="cooperating_unit_refs",
            field=models.ManyToManyField(blank=True, related_name="cooperating_cases", to="cases.unit"),
        ),
        migrations.AddField(
            model_name="casescopeexit",
            name="from_division",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.division"
            ),
        ),
        migrations.AddField(
            model_name="casetally",
            name="division",
            field=models.ForeignKey(
                db_constraint=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="cases.division",
            ),
        ),
        # Backwards, the first step: the triggers go before SQLite rebuilds tables.
        migrations.RunPython(migrations.RunPython.noop, drop_sqlite_triggers),
    ]
