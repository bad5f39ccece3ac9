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


# The evidence standards the acceptor ticks (验收标准), the same five for
# every campaign kind: code, name, English name. The data migration 0010
# loads them per kind; they are edited in the admin afterwards.
EVIDENCE_STANDARDS = [
    ("measures_done", "整改措施全部落实", "All rectification measures carried out"),
    ("violations_punished", "违法行为依法查处到位", "Violations investigated and punished according to law"),
    ("technical_norms_met", "达到技术规范要求", "Technical specifications met"),
    ("similar_problems_fixed", "举一反三、同类问题一并整改", "Similar problems found and rectified as well"),
    ("lasting_mechanism", "建立长效机制", "A lasting mechanism established"),
]


def ensure_evidence_standards(EvidenceStandard, kinds) -> None:
    """Create the standards missing for each campaign kind in ``kinds``."""
    present = set(EvidenceStandard.objects.values_list("campaign_kind", "code"))
    EvidenceStandard.objects.bulk_create(
        EvidenceStandard(campaign_kind=kind, code=code, name=name, name_en=name_en, position=position)
        for kind in kinds
        for position, (code, name, name_en) in enumerate(EVIDENCE_STANDARDS, start=1)
        if (kind, code) not in present
    )
