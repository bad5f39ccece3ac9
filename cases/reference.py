"""Reference data every installation needs: Jiangxi's 11 prefecture-level
cities (GB/T 2260) with the pinyin used for their officer accounts. The
data migration 0002 loads it; seed_demo and tests make sure it is there."""

CITIES = [
    # code, name, English name, pinyin slug
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


def ensure_cities(City) -> None:
    """Create the cities that are missing; ``City`` is the model (the real
    one, or the historical one inside a migration)."""
    present = set(City.objects.values_list("code", flat=True))
    City.objects.bulk_create(
        City(code=code, name=name, name_en=name_en, slug=slug)
        for code, name, name_en, slug in CITIES
        if code not in present
    )
