from django.db import migrations


class Migration(migrations.Migration):
    """ImportJob.created/updated/unchanged/invalid read like timestamps or
    flags; they are row counts. Renamed columns keep every value."""

    dependencies = [("imports", "0001_initial")]

    operations = [
        migrations.RenameField("importjob", old, f"{old}_count")
        for old in ("created", "updated", "unchanged", "invalid")
    ]
