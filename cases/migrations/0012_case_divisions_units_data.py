"""Existing cases into the tree, their units into records.

- Each case's division: a petition whose 行政区域 names a county-level
  division of its city (南昌市新建区, 新建区, 新建) goes to that county and
  the text is cleared; a place that names none is reported and kept as
  text, and the case stays with its city. Other cases keep their city, or
  the province when they had none.
- Lead unit, cooperating units and the old 责任单位 text become Unit
  records in the division their name says (九江市浔阳区人民政府 in
  360403; 市住建局 in the case's city, named 九江市住建局); 责任单位 is the
  lead when no lead was written, otherwise a cooperating unit if it names
  another body. Nothing is dropped.
- A scope exit's division is the city it recorded.

What could not be placed is printed (and returned by migrate_rows for the
test)."""

from django.db import migrations
from django.db.models import F

from cases.divisions import HOME_PROVINCE, NameIndex, ancestor_line
from cases.units import place_unit, split_units

BATCH = 1000


def _kind_for(name: str) -> str:
    # A copy of cases.constants.unit_kind_for as it was when this ran.
    for word, kind in (
        ("人民政府", "government"),
        ("管委会", "government"),
        ("公司", "enterprise"),
        ("企业", "enterprise"),
        ("厂", "enterprise"),
        ("局", "bureau"),
        ("厅", "bureau"),
        ("委", "bureau"),
        ("办", "bureau"),
        ("部门", "bureau"),
        ("中心", "institution"),
        ("院", "institution"),
    ):
        if word in name:
            return kind
    return "other"


def migrate_rows(apps, schema_editor=None, *, verbose: bool = True) -> dict:
    Case = apps.get_model("cases", "Case")
    Division = apps.get_model("cases", "Division")
    Unit = apps.get_model("cases", "Unit")
    CaseScopeExit = apps.get_model("cases", "CaseScopeExit")
    Cooperation = Case.cooperating_unit_refs.through

    divisions = {d.code: d for d in Division.objects.all()}
    index = NameIndex((d.code, d.name, d.parent_id) for d in divisions.values())
    province = HOME_PROVINCE if HOME_PROVINCE in divisions else None
    units = {(u.division_id, u.name): u.pk for u in Unit.objects.all()}
    report = {"placed_in_county": 0, "unplaced_places": [], "units_created": 0, "cases": 0}

    def unit_id(name, line):
        code, full_name = place_unit(name, line=line, index=index)
        key = (code, full_name[:200])
        if key not in units:
            units[key] = Unit.objects.create(name=key[1], division_id=code, kind=_kind_for(key[1])).pk
            report["units_created"] += 1
        return units[key]

    cases = Case.objects.order_by("pk").only(
        "pk", "reference", "kind", "city_id", "district", "lead_unit", "cooperating_units", "responsible_unit"
    )
    last = 0
    while True:
        batch = list(cases.filter(pk__gt=last)[:BATCH])
        if not batch:
            break
        last = batch[-1].pk
        links = []
        for case in batch:
            report["cases"] += 1
            home = case.city_id or province
            if home is None:
                raise RuntimeError(f"case {case.pk} has no city and the province {HOME_PROVINCE} is not loaded")
            case.division_id = home
            if case.kind == "petition" and case.district.strip():
                found = [c for c in index.find(case.district.strip(), within=home) if divisions[c].level == "county"]
                if len(found) == 1:
                    case.division_id = found[0]
                    case.district = ""
                    report["placed_in_county"] += 1
                else:
                    report["unplaced_places"].append((case.reference, case.district))
            line = ancestor_line(case.division_id, divisions)
            lead_text = case.lead_unit.strip() or case.responsible_unit.strip()
            cooperating = split_units(case.cooperating_units)
            if case.lead_unit.strip() and case.responsible_unit.strip() != case.lead_unit.strip():
                cooperating += split_units(case.responsible_unit)
            case.lead_unit_ref_id = unit_id(lead_text, line) if lead_text else None
            for name in dict.fromkeys(cooperating):
                unit = unit_id(name, line)
                if unit != case.lead_unit_ref_id:
                    links.append(Cooperation(case_id=case.pk, unit_id=unit))
        Case.objects.bulk_update(batch, ["division_id", "district", "lead_unit_ref_id"])
        Cooperation.objects.bulk_create(links, ignore_conflicts=True)
    CaseScopeExit.objects.filter(from_division__isnull=True).update(from_division_id=F("from_city_id"))

    if verbose and report["cases"]:
        print(
            f"\n  cases: {report['cases']} cases placed in the tree, {report['placed_in_county']} petitions in their "
            f"county, {report['units_created']} units created from their names."
        )
        if report["unplaced_places"]:
            print(f"  cases: {len(report['unplaced_places'])} places name no county of their city; kept as text:")
            for reference, place in report["unplaced_places"]:
                print(f"    {reference}: {place}")
    return report


def forward(apps, schema_editor):
    migrate_rows(apps, schema_editor)


def backward(apps, schema_editor):
    """Back to text: the units' names, and a county's name as the place."""
    Case = apps.get_model("cases", "Case")
    for case in Case.objects.select_related("division", "lead_unit_ref", "division__parent").prefetch_related(
        "cooperating_unit_refs"
    ):
        case.lead_unit = case.lead_unit_ref.name if case.lead_unit_ref else ""
        case.responsible_unit = case.lead_unit
        case.cooperating_units = "、".join(u.name for u in case.cooperating_unit_refs.all())[:500]
        if case.division and case.division.level == "county" and not case.district:
            case.district = (case.division.parent.name + case.division.name)[:64]
        case.save(update_fields=["lead_unit", "responsible_unit", "cooperating_units", "district"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0011_divisions_units")]
    operations = [migrations.RunPython(forward, backward)]
