"""Milestones (阶段性目标) of long-term cases. A long-term case's deadline
becomes the date of its next unmet milestone, so the rule that a long-term
case has no deadline leaves the database (the service keeps the new one).
Existing cases keep their deadline (long-term ones none) and get no
milestones.

SQLite rebuilds the case table to drop a constraint, and drops its
triggers with it: they go before and come back after, as in 0013."""

import cases.validation
import django.core.validators
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from ._triggers import drop_sqlite_triggers, run_triggers


def on_sqlite(run):
    def step(apps, schema_editor):
        if schema_editor.connection.vendor == "sqlite":
            run(apps, schema_editor)

    return step


def clear_long_term_deadlines(apps, schema_editor):
    """Backwards: long-term cases have no deadline again."""
    apps.get_model("cases", "Case").objects.filter(deadline_type="long_term").update(deadline=None)


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0014_event_action_reported'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='Milestone',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('due_on', models.DateField(verbose_name='due on')),
                ('target', models.TextField(validators=[cases.validation.PlainText(), django.core.validators.MaxLengthValidator(10000)], verbose_name='target')),
                ('met_on', models.DateField(blank=True, null=True, verbose_name='met on')),
                ('note', models.TextField(blank=True, validators=[cases.validation.PlainText(), django.core.validators.MaxLengthValidator(10000)], verbose_name='note')),
            ],
            options={
                'verbose_name': 'milestone',
                'verbose_name_plural': 'milestones',
                'ordering': ['case_id', 'due_on', 'id'],
            },
        ),
        migrations.RunPython(migrations.RunPython.noop, clear_long_term_deadlines),
        migrations.RunPython(on_sqlite(drop_sqlite_triggers), on_sqlite(run_triggers(division=True))),
        migrations.RemoveConstraint(
            model_name='case',
            name='case_long_term_has_no_deadline',
        ),
        migrations.RunPython(on_sqlite(run_triggers(division=True)), on_sqlite(drop_sqlite_triggers)),
        migrations.AlterField(
            model_name='case',
            name='deadline',
            field=models.DateField(blank=True, help_text='For a long-term case: the date of its next unmet milestone (yearly target), if any.', null=True, verbose_name='deadline'),
        ),
        migrations.AddField(
            model_name='milestone',
            name='case',
            field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='milestones', to='cases.case', verbose_name='case'),
        ),
        migrations.AddField(
            model_name='milestone',
            name='met_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='marked met by'),
        ),
        migrations.AddIndex(
            model_name='milestone',
            index=models.Index(fields=['case', 'due_on'], name='milestone_case_due_idx'),
        ),
        migrations.AddConstraint(
            model_name='milestone',
            constraint=models.CheckConstraint(condition=models.Q(('target', ''), _negated=True), name='milestone_target_not_empty'),
        ),
        migrations.AddConstraint(
            model_name='milestone',
            constraint=models.CheckConstraint(condition=models.Q(('met_on__isnull', False), ('met_by__isnull', True), _connector='OR'), name='milestone_met_by_only_when_met'),
        ),
    ]
