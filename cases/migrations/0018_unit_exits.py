"""Departures from units: a case whose lead unit changes, or whose
cooperating unit is removed, leaves that unit, and the unit's accounts get
``case: null`` in the change feed as for a case leaving their subtree. The
feed trigger records the lead unit's departure, a trigger on the links the
cooperating unit's; a departure names a division or a unit.

SQLite rebuilds the departures table here, so its triggers (whose bodies
name that table) go first and come back, with the units', at the end.
Existing rows are departures from divisions and stay as they are.
"""

import django.db.models.deletion
from django.db import migrations, models

from ._triggers import drop_sqlite_triggers, run_triggers


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0017_publicity_end_and_review_days'),
    ]

    operations = [
        migrations.RunPython(drop_sqlite_triggers, run_triggers(division=True)),
        migrations.AddField(
            model_name='casescopeexit',
            name='from_unit',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.unit'),
        ),
        migrations.AlterField(
            model_name='casescopeexit',
            name='from_division',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='cases.division'),
        ),
        migrations.AddIndex(
            model_name='casescopeexit',
            index=models.Index(fields=['from_unit', 'feed_xid', 'case'], name='scope_exit_unit_feed_idx'),
        ),
        migrations.AddConstraint(
            model_name='casescopeexit',
            constraint=models.CheckConstraint(condition=models.Q(('from_division__isnull', False), ('from_unit__isnull', False), _connector='OR'), name='scope_exit_left_something'),
        ),
        migrations.RunPython(run_triggers(division=True, units=True), drop_sqlite_triggers),
    ]
