# Dispatch reports (调度) are events of their own action, "reported".

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0013_case_divisions_units_final'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='caseevent',
            name='event_action_valid',
        ),
        migrations.AlterField(
            model_name='caseevent',
            name='action',
            field=models.CharField(choices=[('created', 'Created'), ('transition', 'Status changed'), ('updated', 'Updated'), ('evidence', 'Evidence attached'), ('withdrawn', 'Withdrawn'), ('reported', 'Dispatch report')], max_length=16, verbose_name='action'),
        ),
        migrations.AddConstraint(
            model_name='caseevent',
            constraint=models.CheckConstraint(condition=models.Q(('action__in', ['created', 'transition', 'updated', 'evidence', 'withdrawn', 'reported'])), name='event_action_valid'),
        ),
    ]
