"""The 11 cities are reference data every installation needs, so they come
with the schema. (Demo cases and accounts do not: see seed_demo.)"""

from django.db import migrations

CITIES = [
    ("360100", "南昌市", "Nanchang", "nanchang"),
    ("360200", "景德镇市", "Jingdezhen", "jingdezhen"),
    ("360300", "萍乡市", "Pingxiang", "pingxiang"),
    ("360400", "九江市", "Jiujiang", "jiujiang"),
    ("360500", "新余市", "Xinyu", "xinyu"),
    ("360600", "鹰潭市", "Yingtan", "yingtan"),
    ("360700", "赣州市", "Ganzhou", "ganzhou"),
    ("360800", "吉安市", "Ji'an", "jian"),
    ("360900", "宜春市", "Yichun", "yichun"),
    ("361000", "抚州市", "Fuzhou", "fuzhou"),
    ("361100", "上饶市", "Shangrao", "shangrao"),
]


def add_cities(apps, schema_editor):
    City = apps.get_model("cases", "City")
    for code, name, name_en, slug in CITIES:
        City.objects.update_or_create(code=code, defaults={"name": name, "name_en": name_en, "slug": slug})


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(add_cities, migrations.RunPython.noop)]
