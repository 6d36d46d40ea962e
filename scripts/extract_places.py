"""Build data/places.csv: Quảng Ninh's current units and the names used before the 2025 merger.

Sources (all described in data/sources/PLACES.md):

- current units (54: 30 phường, 22 xã, 2 đặc khu): the installed ``vietnam-provinces``
  package (2025 and later), filtered to the province Quảng Ninh;
- former units (13 district-level units, 171 wards/communes/townships): ``vietnam-provinces==0.6.0``
  (data of 2025-01-04). It cannot be installed next to the new version, so it is run in a
  subprocess from its own virtualenv and its Quảng Ninh part is kept in a small intermediate
  file, ``data/sources/vietnam_provinces_0.6.0_quang_ninh.json``;
- old → new links: ``data/sources/quang_ninh_merger_2025.csv``, transcribed by hand from
  Nghị quyết 1679/NQ-UBTVQH15 (16 June 2025); district seats:
  ``data/sources/quang_ninh_districts_2025.csv``;
- coordinates of the former wards: ``data/sources/quang_ninh_coords.csv``.

Old and new units are joined by NAME (and old district), never by numeric code: a new unit
reuses the code of one of the wards merged into it (6652 was Hà Phong and is now Hà Tu).
Every name in the hand-made files must match a package name exactly, or the script stops.

Re-run (from the repository root)::

    # only needed to refresh the intermediate file from the old package:
    python3 -m venv /tmp/vp/old && /tmp/vp/old/bin/pip install vietnam-provinces==0.6.0
    .venv/bin/python scripts/extract_places.py --old-python /tmp/vp/old/bin/python

    # usual case: reuse the intermediate file kept in data/sources/
    .venv/bin/python scripts/extract_places.py
"""

from __future__ import annotations

import argparse
import csv
import json
import subprocess
import sys
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "data" / "sources"
OLD_JSON = SOURCES / "vietnam_provinces_0.6.0_quang_ninh.json"
MERGER_CSV = SOURCES / "quang_ninh_merger_2025.csv"
DISTRICTS_CSV = SOURCES / "quang_ninh_districts_2025.csv"
COORDS_CSV = SOURCES / "quang_ninh_coords.csv"
OUT_CSV = ROOT / "data" / "places.csv"

OLD_VERSION = "0.6.0"
PROVINCE = "Quảng Ninh"
EXPECTED_CURRENT = {"phường": 30, "xã": 22, "đặc khu": 2}
EXPECTED_OLD = (13, 171)
# Quảng Ninh's extent, with a small margin: a coordinate outside is a geocoding slip.
BBOX = (20.6, 21.75, 106.35, 108.15)

# The old package's division_type is "huyện"/"xã" for every unit of every level, so the
# level is read from the name's prefix instead.
LEVEL_PREFIXES = ("Thành phố", "Thị xã", "Huyện", "Thị trấn", "Phường", "Xã", "Đặc khu")

COLUMNS = [
    "place_id",
    "name",
    "short_name",
    "level",
    "status",
    "current_id",
    "former_district",
    "lat",
    "lon",
    "island",
    "coord_source",
    "map_source",
]

# Runs inside the old package's virtualenv; prints the whole country as JSON on stdout.
_OLD_SNIPPET = """
import json, vietnam_provinces as vp
data = json.loads(vp.NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
print(json.dumps({"version": vp.__version__, "data_version": vp.__data_version__,
                  "provinces": data}, ensure_ascii=False))
"""


class DataError(SystemExit):
    """Stops the script with a message naming every inconsistency found."""

    def __init__(self, title: str, problems: Iterable[str]) -> None:
        lines = "\n  ".join(dict.fromkeys(problems))
        super().__init__(f"extract_places: {title}:\n  {lines}")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text.strip())


def split_level(name: str) -> tuple[str, str]:
    """("Phường Hà Tu") -> ("phường", "Hà Tu")."""
    for prefix in LEVEL_PREFIXES:
        if name.startswith(prefix + " "):
            return prefix.lower(), name[len(prefix) + 1 :]
    raise DataError("unknown level prefix", [name])


# --- the old package -------------------------------------------------------------------------


def extract_old(old_python: str) -> dict:
    """Run vietnam-provinces 0.6.0 in its own interpreter and keep Quảng Ninh only."""
    done = subprocess.run(
        [old_python, "-c", _OLD_SNIPPET],
        check=True,
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    payload = json.loads(done.stdout)
    if payload["version"] != OLD_VERSION:
        raise DataError("wrong old package", [f"{old_python} has {payload['version']}"])
    # Filter by province always: ward names repeat across provinces.
    provinces = [p for p in payload["provinces"] if nfc(p["name"]) == f"Tỉnh {PROVINCE}"]
    if len(provinces) != 1:
        raise DataError("province not found once in the old package", [PROVINCE])
    province = provinces[0]
    districts = [
        {
            "code": d["code"],
            "name": nfc(d["name"]),
            "wards": [{"code": w["code"], "name": nfc(w["name"])} for w in d["wards"]],
        }
        for d in province["districts"]
    ]
    return {
        "package": f"vietnam-provinces=={payload['version']}",
        "data_version": payload["data_version"],
        "province": {"code": province["code"], "name": nfc(province["name"])},
        "districts": districts,
    }


def load_old(old_python: str | None) -> dict:
    if old_python:
        old = extract_old(old_python)
        OLD_JSON.write_text(json.dumps(old, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {OLD_JSON.relative_to(ROOT)}")
        return old
    if not OLD_JSON.exists():
        raise DataError("no intermediate file", [f"{OLD_JSON} missing: pass --old-python"])
    return json.loads(OLD_JSON.read_text(encoding="utf-8"))


# --- the new package -------------------------------------------------------------------------


@dataclass(frozen=True)
class NewUnit:
    code: int
    name: str
    level: str


def load_new() -> tuple[list[NewUnit], str]:
    import vietnam_provinces as vp
    from vietnam_provinces import Province, Ward

    matches = [p for p in Province.iter_all() if nfc(p.name) == PROVINCE]
    if len(matches) != 1:
        raise DataError("province not found once in the new package", [PROVINCE])
    units = [
        NewUnit(int(w.code), nfc(w.name), w.division_type.value)
        for w in Ward.iter_by_province(matches[0].code)
    ]
    counts = Counter(u.level for u in units)
    if dict(counts) != EXPECTED_CURRENT:
        raise DataError("unexpected current units", [f"{dict(counts)} != {EXPECTED_CURRENT}"])
    return units, f"vietnam-provinces=={vp.__version__} (data {vp.__data_version__})"


# --- hand-made source files ------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [{k: nfc(v or "") for k, v in row.items()} for row in csv.DictReader(f)]


def check_merger(rows: list[dict], old: dict, new_names: set[str]) -> None:
    old_keys = {(w["name"], d["name"]) for d in old["districts"] for w in d["wards"]}
    problems = [
        f"new unit {r['new_unit']!r} is not a current unit of {PROVINCE} in the package"
        for r in rows
        if r["new_unit"] not in new_names
    ]
    problems += [
        f"former unit {r['old_name']!r} ({r['old_district']}) is not in {old['package']}"
        for r in rows
        if (r["old_name"], r["old_district"]) not in old_keys
    ]
    primaries = Counter((r["old_name"], r["old_district"]) for r in rows if r["primary"] == "1")
    problems += [f"{k[0]} ({k[1]}): no row has primary=1" for k in old_keys - set(primaries)]
    problems += [f"{k[0]} ({k[1]}): {n} primary rows" for k, n in primaries.items() if n > 1]
    receiving = {r["new_unit"] for r in rows if r["primary"] == "1"}
    problems += [f"{n}: no former ward maps to it" for n in new_names - receiving]
    if problems:
        raise DataError(f"{MERGER_CSV.name} does not match the packages", problems)


def check_coords(rows: list[dict], old: dict) -> None:
    codes = {(w["name"], d["name"]): w["code"] for d in old["districts"] for w in d["wards"]}
    lat0, lat1, lon0, lon1 = BBOX
    problems = []
    for r in rows:
        key = (r["old_name"], r["old_district"])
        if key not in codes:
            problems.append(f"{key}: not a former unit")
        elif int(r["old_code"]) != codes[key]:
            # same (old) coding system on both sides: a mismatch means a misread row
            problems.append(f"{key}: code {r['old_code']} != {codes[key]}")
        if not (lat0 <= float(r["lat"]) <= lat1 and lon0 <= float(r["lon"]) <= lon1):
            problems.append(f"{key}: {r['lat']}, {r['lon']} is outside {PROVINCE}")
    missing = set(codes) - {(r["old_name"], r["old_district"]) for r in rows}
    problems += [f"{k}: no coordinates" for k in sorted(missing)]
    if problems:
        raise DataError(f"{COORDS_CSV.name} does not match the old package", problems)


# --- building the rows -----------------------------------------------------------------------


def fmt(x: float) -> str:
    return f"{x:.5f}"


def clause_no(clause: str) -> str:
    return clause.rsplit(" ", 1)[-1]


def ward_map_source(links: list[dict]) -> str:
    if len(links) == 1:
        (r,) = links
        return f"{r['source']}, Điều 1 khoản {clause_no(r['clause'])} ({r['share']})"
    parts = [
        f"khoản {clause_no(r['clause'])} ({r['share']}) → {r['new_unit']}"
        + (" [primary]" if r["primary"] == "1" else "")
        for r in links
    ]
    return f"{links[0]['source']}: split, " + "; ".join(parts) + f". {links[0]['note']}"


def build_rows(old: dict, new_units: list[NewUnit], new_pkg: str) -> list[dict[str, str]]:
    merger = read_csv(MERGER_CSV)
    coords = read_csv(COORDS_CSV)
    seats = read_csv(DISTRICTS_CSV)
    check_merger(merger, old, {u.name for u in new_units})
    check_coords(coords, old)

    cur_id = {u.name: f"cur-{u.code}" for u in new_units}
    coord = {(r["old_name"], r["old_district"]): r for r in coords}
    links: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for r in merger:
        links[(r["old_name"], r["old_district"])].append(r)
    return (
        current_rows(new_units, merger, primary_members(links), coord, new_pkg)
        + district_rows(old, seats, coord, cur_id, links)
        + ward_rows(old, links, coord, cur_id)
    )


def primary_unit(links: list[dict]) -> str:
    return next(r["new_unit"] for r in links if r["primary"] == "1")


def primary_members(links: dict) -> dict[str, list[tuple[str, str]]]:
    """New unit name -> the former wards whose primary link points at it."""
    members: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for key, rows in links.items():
        members[primary_unit(rows)].append(key)
    return members


def ward_rows(old: dict, links: dict, coord: dict, cur_id: dict) -> list[dict[str, str]]:
    rows = []
    for d in old["districts"]:
        for w in d["wards"]:
            key = (w["name"], d["name"])
            level, short = split_level(w["name"])
            c = coord[key]
            rows.append(
                {
                    "place_id": f"old-{w['code']}",
                    "name": w["name"],
                    "short_name": short,
                    "level": level,
                    "status": "former",
                    "current_id": cur_id[primary_unit(links[key])],
                    "former_district": d["name"],
                    "lat": c["lat"],
                    "lon": c["lon"],
                    "island": c["island"],
                    "coord_source": c["coord_source"],
                    "map_source": ward_map_source(links[key]),
                }
            )
    return rows


def current_rows(
    new_units: list[NewUnit], merger: list[dict], members: dict, coord: dict, new_pkg: str
) -> list[dict[str, str]]:
    rows = []
    for u in sorted(new_units, key=lambda u: u.code):
        keys = members[u.name]
        island = all(coord[k]["island"] == "1" for k in keys)
        # A unit that is mostly road-connected (Vân Đồn) keeps its centre on the road-connected
        # part, so that trips to it are not charged a ferry nor placed in the sea.
        used = [k for k in keys if (coord[k]["island"] == "1") == island]
        lat = sum(float(coord[k]["lat"]) for k in used) / len(used)
        lon = sum(float(coord[k]["lon"]) for k in used) / len(used)
        districts = Counter(r["old_district"] for r in merger if r["new_unit"] == u.name)
        clauses = sorted({clause_no(r["clause"]) for r in merger if r["new_unit"] == u.name})
        note = "" if len(used) == len(keys) else " on the road-connected part"
        rows.append(
            {
                "place_id": f"cur-{u.code}",
                "name": u.name,
                "short_name": split_level(u.name)[1],
                "level": u.level,
                "status": "current",
                "current_id": f"cur-{u.code}",
                "former_district": "; ".join(d for d, _ in districts.most_common()),
                "lat": fmt(lat),
                "lon": fmt(lon),
                "island": "1" if island else "0",
                "coord_source": centre_source(len(used), note),
                "map_source": f"{new_pkg}; formed by NQ 1679/NQ-UBTVQH15, Điều 1 khoản "
                + ", ".join(clauses),
            }
        )
    return rows


def centre_source(n: int, where: str) -> str:
    if n == 1:
        return "approx.: coordinates of the one former commune it continues (see that row)"
    return (
        f"approx.: mean of the {n} former wards/communes merged into it{where} "
        "(their own rows give each source)"
    )


def district_rows(
    old: dict, seats: list[dict], coord: dict, cur_id: dict, links: dict
) -> list[dict[str, str]]:
    seat_of = {r["old_district"]: r for r in seats}
    problems = [d["name"] for d in old["districts"] if d["name"] not in seat_of]
    if problems or len(old["districts"]) != EXPECTED_OLD[0]:
        raise DataError(f"{DISTRICTS_CSV.name}: districts without a seat", problems)
    rows = []
    for d in old["districts"]:
        s = seat_of[d["name"]]
        key = (s["seat"], d["name"])
        primary = [r["new_unit"] for r in links.get(key, []) if r["primary"] == "1"]
        if primary != [s["current_unit"]]:
            raise DataError("district seat does not map as stated", [f"{key} -> {primary}"])
        level, short = split_level(d["name"])
        c = coord[key]
        rows.append(
            {
                "place_id": f"dist-{d['code']}",
                "name": d["name"],
                "short_name": short,
                "level": level,
                "status": "former",
                "current_id": cur_id[s["current_unit"]],
                "former_district": d["name"],
                "lat": c["lat"],
                "lon": c["lon"],
                "island": c["island"],
                "coord_source": f"coordinates of its seat, former {s['seat']} (see that row)",
                "map_source": f"seat {s['seat']} → {s['current_unit']}: {s['seat_source']}",
            }
        )
    return rows


def write(rows: list[dict[str, str]]) -> None:
    ids = Counter(r["place_id"] for r in rows)
    if dups := [i for i, n in ids.items() if n > 1]:
        raise DataError("duplicate place ids", dups)
    with OUT_CSV.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\n")
        out.writeheader()
        out.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--old-python",
        help="python of a virtualenv with vietnam-provinces==0.6.0; refreshes "
        f"{OLD_JSON.relative_to(ROOT)} (default: read that file)",
    )
    args = parser.parse_args(argv)
    old = load_old(args.old_python)
    n_wards = sum(len(d["wards"]) for d in old["districts"])
    if (len(old["districts"]), n_wards) != EXPECTED_OLD:
        raise DataError("unexpected former units", [f"{len(old['districts'])}, {n_wards}"])
    new_units, new_pkg = load_new()
    rows = build_rows(old, new_units, new_pkg)
    write(rows)
    status = Counter(r["status"] for r in rows)
    print(
        f"wrote {OUT_CSV.relative_to(ROOT)}: {status['current']} current, "
        f"{status['former']} former places"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
