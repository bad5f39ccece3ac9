"""A partial index on (updated_at, id) over the cases handed in (neither
assigned nor in progress, not withdrawn): the web work list's last
segment, newest change first. Page 2,000 of the supervisor's list skips
about 45,000 of those ids; through this index that is an index-only walk
instead of 45,000 case rows read (1.07 s at 1,000,000 cases).

Built CONCURRENTLY on PostgreSQL (hence not atomic), like 0006, so that a
deployment does not lock the case table while it is built."""

from django.db import migrations, models
from django.db.models import Q

INDEX = models.Index(
    fields=["updated_at", "id"],
    condition=~Q(status__in=["assigned", "in_progress"]) & Q(withdrawn_at__isnull=True),
    name="case_handed_in_updated_idx",
)


def create(apps, schema_editor):
    case = apps.get_model("cases", "Case")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.add_index(case, INDEX)
        return
    sql = str(INDEX.create_sql(case, schema_editor, concurrently=True))
    schema_editor.execute(sql.replace("CREATE INDEX CONCURRENTLY", "CREATE INDEX CONCURRENTLY IF NOT EXISTS", 1))


def drop(apps, schema_editor):
    case = apps.get_model("cases", "Case")
    if schema_editor.connection.vendor != "postgresql":
        schema_editor.remove_index(case, INDEX)
        return
    schema_editor.execute(f'DROP INDEX CONCURRENTLY IF EXISTS "{INDEX.name}"')


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("cases", "0008_sign_off_chain")]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunPython(create, drop, elidable=False)],
            state_operations=[migrations.AddIndex(model_name="case", index=INDEX)],
        )
    ]
