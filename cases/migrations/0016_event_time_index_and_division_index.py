"""Issue 15: the past-date report finds the cases that moved since in an
index of the status changes by time, not by reading every event.

Issue 13: the division's own foreign-key index (and, on PostgreSQL, its
LIKE twin) repeats case_division_id_idx, which leads with the division.
Only the indexes are dropped: an AlterField would make SQLite rebuild the
case table (dropping its triggers) and PostgreSQL check the foreign key
over every case again."""

import django.db.models.deletion
from django.db import migrations, models

DIVISION_INDEX = "cases_case_division_id_8c5ec03e"  # Django's name for the field's index


def drop_division_index(apps, schema_editor):
    for name in (DIVISION_INDEX, f"{DIVISION_INDEX}_like"):
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def restore_division_index(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX "{DIVISION_INDEX}" ON "cases_case" ("division_id")')
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f'CREATE INDEX "{DIVISION_INDEX}_like" ON "cases_case" ("division_id" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_milestones'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='case',
                    name='division',
                    field=models.ForeignKey(db_index=False, help_text='The province for province-level cases, a city or a county.', on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='cases.division', verbose_name='responsible division'),
                ),
            ],
            database_operations=[migrations.RunPython(drop_division_index, restore_division_index)],
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(condition=models.Q(('action', 'transition')), fields=['created_at', 'case'], name='event_transition_time_idx'),
        ),
    ]
