"""The rules offices usually start from: red when a case is more than 30
days overdue, yellow when any case is overdue. Edited in the admin."""

from decimal import Decimal

from django.db import migrations

DEFAULTS = [("red", "max_days_overdue", Decimal("30")), ("yellow", "overdue_cases", Decimal("0"))]


def create_defaults(apps, schema_editor):
    Rule = apps.get_model("reports", "TrafficLightRule")
    if not Rule.objects.exists():
        Rule.objects.bulk_create(Rule(light=l, measure=m, threshold=t) for l, m, t in DEFAULTS)


class Migration(migrations.Migration):
    dependencies = [("reports", "0001_initial")]
    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
