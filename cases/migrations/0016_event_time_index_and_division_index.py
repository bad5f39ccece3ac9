# Issue 15: the past-date report finds the cases that moved since by an
# index of status changes by time. Issue 13: the single-column index of
# cases_case.division_id (and its LIKE twin) duplicates case_division_id_idx.

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0015_milestones'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='case',
            name='division',
            field=models.ForeignKey(db_index=False, help_text='The province for province-level cases, a city or a county.', on_delete=django.db.models.deletion.PROTECT, related_name='cases', to='cases.division', verbose_name='responsible division'),
        ),
        migrations.AddIndex(
            model_name='caseevent',
            index=models.Index(condition=models.Q(('action', 'transition')), fields=['created_at', 'case'], name='event_transition_time_idx'),
        ),
    ]
