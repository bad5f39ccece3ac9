"""The review queues order their cases by when each arrived at its level:
the latest move into awaiting acceptance (cases.querysets.arrived_at_level).
A partial index of those moves, newest version first and carrying the time,
answers each row's lookup from the index alone instead of reading every
event of the case. Only an index is added: no row changes."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0018_unit_exits"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="caseevent",
            index=models.Index(
                condition=models.Q(("action", "transition"), ("to_status", "pending_acceptance")),
                fields=["case", "-version"],
                include=("created_at",),
                name="event_arrival_idx",
            ),
        ),
    ]
