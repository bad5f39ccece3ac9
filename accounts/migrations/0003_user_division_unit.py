"""Accounts bound to a division (and optionally a unit) instead of a city.

Every existing account keeps what it saw: an officer or a city-bound client
is bound to its city's division, a supervisor or province-wide client to
the province; administrators stay unbound. ``city`` stays, derived from
the division."""

import django.db.models.deletion
from django.db import migrations, models

from cases.divisions import HOME_PROVINCE


def bind(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    Division = apps.get_model("cases", "Division")
    if not User.objects.exists():
        return
    if not Division.objects.filter(code=HOME_PROVINCE).exists():
        raise RuntimeError(f"The province {HOME_PROVINCE} is not loaded; run the cases migrations first.")
    User.objects.exclude(role="admin").filter(city__isnull=False).update(division_id=models.F("city_id"))
    User.objects.exclude(role="admin").filter(city__isnull=True).update(division_id=HOME_PROVINCE)


def unbind(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(division__isnull=True).exclude(division__code__endswith="0000"):
        user.city_id = user.division_id[:4] + "00"
        user.save(update_fields=["city"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_initial"),
        ("cases", "0011_divisions_units"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="division",
            field=models.ForeignKey(
                blank=True,
                help_text="The account sees this division's subtree.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="users",
                to="cases.division",
                verbose_name="division",
            ),
        ),
        migrations.AddField(
            model_name="user",
            name="unit",
            field=models.ForeignKey(
                blank=True,
                help_text="Optional: the account then sees only the cases its unit leads or cooperates on.",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="users",
                to="cases.unit",
                verbose_name="unit",
            ),
        ),
        migrations.RemoveConstraint(model_name="user", name="officer_has_city"),
        migrations.RunPython(bind, unbind),
        migrations.AlterField(
            model_name="user",
            name="city",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="users",
                to="cases.city",
                verbose_name="city",
            ),
        ),
        migrations.AlterField(
            model_name="user",
            name="role",
            field=models.CharField(
                choices=[
                    ("officer", "Officer"),
                    ("supervisor", "Provincial supervisor"),
                    ("api_client", "API client"),
                    ("admin", "Administrator"),
                ],
                default="officer",
                max_length=16,
                verbose_name="role",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(role="admin") | models.Q(division__isnull=False), name="user_has_division"
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=~models.Q(role="supervisor") | models.Q(unit__isnull=True), name="supervisor_has_no_unit"
            ),
        ),
    ]
