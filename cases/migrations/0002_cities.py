"""The 11 cities are reference data every installation needs, so they come
with the schema. (Demo cases and accounts do not: see seed_demo.)"""

from django.db import migrations

from cases.reference import ensure_cities


def add_cities(apps, schema_editor):
    ensure_cities(apps.get_model("cases", "City"))


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add_cities, migrations.RunPython.noop)]
