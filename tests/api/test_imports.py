"""Imports over HTTP: the same rules as `matcher import`, all or nothing, row-level errors."""

from __future__ import annotations

import io
import time
import unicodedata

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from matcher.store.db import transaction
from matcher.store.tables import AuditEntry, Client

STAFF = "canbo.chuongtrinh"
HEADER = "client_id,full_name,birth_date,gender,group,place,education,consent_share\n"


def new_ids(n: int) -> list[str]:
    stamp = time.time_ns()
    return [f"IMP{stamp}-{k}" for k in range(1, n + 1)]


def client_count(db) -> int:
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(Client))


def stored(db, ids) -> dict[str, Client]:
    with transaction(db) as s:
        rows = s.scalars(select(Client).where(Client.client_id.in_(ids))).all()
        s.expunge_all()
        return {c.client_id: c for c in rows}


TONES = "\u0300\u0301\u0303\u0309\u0323"


def cp1258(text: str) -> bytes:
    """Text as Excel saves it on a Vietnamese Windows: base letters and tone marks apart."""
    out = []
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in TONES))
        out.append(base + "".join(p for p in parts if p in TONES))
    return "".join(out).encode("cp1258")


def upload(api, user: str, kind: str, name: str, content: bytes, **params):
    with api.client(user) as c:
        return c.post(f"/v1/imports/{kind}", params=params,
                      files={"file": (name, content, "application/octet-stream")})


def test_a_good_clients_csv_is_imported(api, db):
    ids = new_ids(3)
    text = HEADER + "".join([
        f"{ids[0]},Nguyễn Thị Hoa,2001-04-12,female,other,Phường Móng Cái 3,primary,1\n",
        f"{ids[1]},Trần Văn Nam,1999-01-30,nam,disabled,P. Yên Thọ,,0\n",
        f"{ids[2]},,2003-07-01,male,after_prison,Phường Móng Cái 3,vocational,có\n",
    ])
    r = upload(api, STAFF, "clients", "clients.csv", text.encode("utf-8-sig"))
    assert r.status_code == 201, r.text
    assert r.json() == {"kind": "clients", "rows": 3, "created": 3, "updated": 0, "merged": [],
                        "proposed": []}
    rows = stored(db, ids)
    assert set(rows) == set(ids)
    assert rows[ids[0]].full_name == "Nguyễn Thị Hoa" and rows[ids[1]].gender == "male"
    assert rows[ids[2]].group_code == "after_prison" and rows[ids[2]].consent_share is True
    with transaction(db) as s:
        entry = s.scalars(select(AuditEntry).where(AuditEntry.action == "import",
                                                   AuditEntry.actor == STAFF)
                          .order_by(AuditEntry.audit_id.desc()).limit(1)).one()
        assert entry.entity == "clients" and entry.user_id is not None
        assert entry.detail["rows"] == 3 and entry.source == "127.0.0.1"
    # The same ids again: refused, each named by its row.
    again = upload(api, STAFF, "clients", "clients.csv", text.encode())
    assert again.status_code == 422
    assert [(e["row"], e["field"]) for e in again.json()["errors"]] == [
        (2, "client_id"), (3, "client_id"), (4, "client_id")]


def test_a_bad_csv_names_rows_and_columns_and_writes_nothing(api, db):
    ids = new_ids(3)
    text = HEADER + "".join([
        f"{ids[0]},A,2001-04-12,female,other,Phường Móng Cái 3,,1\n",
        f"{ids[1]},B,2001-04-12,female,other,Atlantis City,,1\n",
        f"{ids[2]},C,12/04/2001,female,other,P. Yên Thọ,,1\n",
    ])
    before = client_count(db)
    r = upload(api, STAFF, "clients", "bad.csv", text.encode())
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    problem = r.json()
    where = {(e["row"], e["field"]) for e in problem["errors"]}
    assert where == {(3, "place"), (4, "birth_date")}
    assert "YYYY-MM-DD" in next(e["message"] for e in problem["errors"] if e["row"] == 4)
    assert problem["truncated"] is False and problem["field"] == "place"
    assert "row 3" in problem["detail"] and "nothing was changed" in problem["detail"]
    assert client_count(db) == before and stored(db, ids) == {}


def test_an_xlsx_upload_is_imported(api, db):
    ids = new_ids(2)
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append([ids[0], "Lê Thị Mai", "2000-02-02", "female", "gbv_survivor",
                  "Phường Móng Cái 3", "upper_secondary", 1])
    sheet.append([ids[1], "Phạm Văn Bình", "1998-10-10", "male", "other", "P. Yên Thọ", None, 0])
    buffer = io.BytesIO()
    book.save(buffer)
    r = upload(api, STAFF, "clients", "Danh sách.xlsx", buffer.getvalue())
    assert r.status_code == 201, r.text
    assert r.json()["rows"] == 2 and r.json()["created"] == 2
    rows = stored(db, ids)
    assert rows[ids[0]].full_name == "Lê Thị Mai" and rows[ids[0]].group_code == "gbv_survivor"


def test_a_windows_1258_csv_needs_its_encoding(api, db):
    ids = new_ids(1)
    text = HEADER + f"{ids[0]},Lê Thị Mai,2000-02-02,female,other,Phường Móng Cái 3,,1\n"
    raw = cp1258(text)
    refused = upload(api, STAFF, "clients", "excel.csv", raw)
    assert refused.status_code == 422
    message = refused.json()["errors"][0]["message"]
    assert "not UTF-8" in message and "Windows-1258" in message and "encoding=cp1258" in message
    assert stored(db, ids) == {}
    r = upload(api, STAFF, "clients", "excel.csv", raw, encoding="cp1258")
    assert r.status_code == 201, r.text
    assert stored(db, ids)[ids[0]].full_name == "Lê Thị Mai"


@pytest.mark.parametrize("name, content, words", [
    ("clients.txt", b"client_id\nX\n", ".csv"),
    ("clients.xlsx", b"this is not a spreadsheet", "Excel"),
    ("clients.csv", b"", "empty"),
])
def test_files_that_are_not_csv_or_xlsx_are_refused(api, db, name, content, words):
    before = client_count(db)
    r = upload(api, STAFF, "clients", name, content)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    assert client_count(db) == before


def test_an_unknown_kind_is_refused(api):
    r = upload(api, STAFF, "wishes", "wishes.csv", b"a\n1\n")
    assert r.status_code == 422 and r.json()["field"] == "path.kind"


def test_an_oversized_upload_is_413(api, db):
    before = client_count(db)
    big = HEADER.encode() + b"x" * (21 * 1_000_000)
    r = upload(api, STAFF, "clients", "big.csv", big)
    assert r.status_code == 413
    assert r.json()["status"] == 413
    assert client_count(db) == before


@pytest.mark.parametrize("user", ["ctv.halong", "truong.nghe"])
def test_social_workers_and_providers_cannot_import(api, db, user):
    ids = new_ids(1)
    text = HEADER + f"{ids[0]},A,2001-04-12,female,other,Phường Móng Cái 3,,1\n"
    r = upload(api, user, "clients", "clients.csv", text.encode())
    assert r.status_code == 403
    assert stored(db, ids) == {}
