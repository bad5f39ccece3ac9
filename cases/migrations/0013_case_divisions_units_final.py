"""The tree in force: the old unit text columns go, the unit records take
their names, every case has a division, and the triggers key on divisions.

- The feed trigger records a scope exit when a case's division changes
  (from the old division), so a client of any subtree the case left gets
  ``case: null``; one that still holds the case gets the case at the same
  position instead (cases/feed.py).
- The tally triggers count per (kind, city, division, status), so that
  per-city figures and the drill-down below a city both read kept counts;
  the tallies are recounted once here.
- The overdue count index carries the division too.

SQLite drops a table's triggers when it rebuilds the table (as removing a
column does), so its triggers are all created again at the end.
"""

import django.db.models.deletion
from django.db import migrations, models

from ._triggers import drop_sqlite_triggers, run_triggers


class Migration(migrations.Migration):
    dependencies = [("cases", "0012_case_divisions_units_data")]

    operations = [
        # Backwards, the last step: the rebuilt table gets the old triggers.
        migrations.RunPython(drop_sqlite_triggers, run_triggers(division=False)),
        migrations.RemoveIndex(model_name="casescopeexit", name="scope_exit_feed_idx"),
        migrations.RemoveField(model_name="casescopeexit", name="from_city"),
        migrations.AlterField(
            model_name="casescopeexit",
            name="from_division",
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.division"),
        ),
        migrations.AddIndex(
            model_name="casescopeexit",
            index=models.Index(fields=["from_division", "feed_xid", "case"], name="scope_exit_division_feed_idx"),
        ),
        migrations.RemoveField(model_name="case", name="lead_unit"),
        migrations.RemoveField(model_name="case", name="cooperating_units"),
        migrations.RemoveField(model_name="case", name="responsible_unit"),
        migrations.RenameField(model_name="case", old_name="lead_unit_ref", new_name="lead_unit"),
        migrations.RenameField(model_name="case", old_name="cooperating_unit_refs", new_name="cooperating_units"),
        migrations.AlterField(
            model_name="case",
            name="lead_unit",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="led_cases",
                to="cases.unit",
                verbose_name="lead unit",
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="cooperating_units",
            field=models.ManyToManyField(
                blank=True, related_name="cooperating_cases", to="cases.unit", verbose_name="cooperating units"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="division",
            field=models.ForeignKey(
                help_text="The province for province-level cases, a city or a county.",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="cases",
                to="cases.division",
                verbose_name="responsible division",
            ),
        ),
        migrations.AddIndex(
            model_name="case", index=models.Index(fields=["division", "id"], name="case_division_id_idx")
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(fields=["division", "feed_xid", "id"], name="case_division_feed_idx"),
        ),
        migrations.AddIndex(
            model_name="case",
            index=models.Index(
                condition=models.Q(status__in=["assigned", "in_progress"], withdrawn_at__isnull=True),
                fields=["division", "deadline", "id"],
                name="case_open_division_idx",
            ),
        ),
        migrations.AlterField(
            model_name='division',
            name='kind',
            field=models.CharField(choices=[('province', 'Province'), ('autonomous_region', 'Autonomous region'), ('municipality', 'Municipality'), ('sar', 'Special administrative region'), ('prefecture_city', 'Prefecture-level city'), ('prefecture', 'Prefecture'), ('autonomous_prefecture', 'Autonomous prefecture'), ('league', 'League'), ('municipal_area', 'Districts and counties of a municipality'), ('direct_counties', 'County-level divisions directly under the province'), ('district', 'District'), ('county_city', 'County-level city'), ('county', 'County'), ('autonomous_county', 'Autonomous county'), ('banner', 'Banner'), ('autonomous_banner', 'Autonomous banner'), ('special_district', 'Special district'), ('forestry_district', 'Forestry district')], max_length=24, verbose_name='kind'),
        ),
        migrations.AlterField(
            model_name='unit',
            name='kind',
            field=models.CharField(choices=[('government', "People's government"), ('bureau', 'Government department'), ('enterprise', 'Enterprise'), ('institution', 'Public institution'), ('other', 'Other')], default='other', max_length=16, verbose_name='kind'),
        ),
        migrations.RunPython(run_triggers(division=True), drop_sqlite_triggers),
    ]
