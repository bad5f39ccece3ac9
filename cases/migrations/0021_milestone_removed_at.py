"""Milestones (阶段性目标) are no longer deleted: a removed target keeps its
row with ``removed_at`` (and who removed it in ``removed_by``). Both columns
are nullable and added empty, so every existing milestone stays as it was
and keeps counting; no row changes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0020_search_bigram_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='milestone',
            name='removed_at',
            field=models.DateTimeField(blank=True, help_text='Set when the target was removed; it then no longer counts.', null=True, verbose_name='removed at'),
        ),
        migrations.AddField(
            model_name='milestone',
            name='removed_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='removed by'),
        ),
        migrations.AddConstraint(
            model_name='milestone',
            constraint=models.CheckConstraint(condition=models.Q(('removed_at__isnull', False), ('removed_by__isnull', True), _connector='OR'), name='milestone_removed_by_only_when_removed'),
        ),
    ]
