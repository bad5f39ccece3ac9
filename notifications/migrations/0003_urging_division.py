"""An urging's target becomes a division of the tree: the cities urged so
far are the prefecture-level divisions of the same GB/T 2260 code."""

import django.db.models.deletion
from django.db import migrations, models


def city_to_division(apps, schema_editor):
    Urging = apps.get_model("notifications", "Urging")
    Urging.objects.update(division_id=models.F("city_id"))


def division_to_city(apps, schema_editor):
    Urging = apps.get_model("notifications", "Urging")
    for urging in Urging.objects.all():
        urging.city_id = urging.division_id[:4] + "00"
        urging.save(update_fields=["city"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_case_divisions_units_final"),
        ("notifications", "0002_urgings"),
    ]

    operations = [
        migrations.AddField(
            model_name="urging",
            name="division",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.division",
                verbose_name="division urged",
            ),
        ),
        migrations.AlterField(
            model_name="urging",
            name="city",
            field=models.ForeignKey(
                null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.city",
                verbose_name="division urged",
            ),
        ),
        migrations.RunPython(city_to_division, division_to_city),
        migrations.AlterField(
            model_name="urging",
            name="division",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT, related_name="+", to="cases.division",
                verbose_name="division urged",
            ),
        ),
        migrations.RemoveField(model_name="urging", name="city"),
    ]
