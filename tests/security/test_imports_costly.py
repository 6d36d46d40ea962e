"""Issue 14, item 4: an import cannot tie up a worker.

Over HTTP against real servers: an .xlsx declaring a whole sheet (1,048,576 × 16,384 cells)
answers 422 in seconds; a zip bomb and a part packed absurdly tight are refused before
openpyxl unpacks them; a sheet whose dimension lies cannot make openpyxl pad past the row
limit; only the allowed encodings are read (punycode is refused by name, UTF-16 with its
byte-order mark is read); an upload from a caller who may not import is answered 401/403
without its body being read; and a server with a tiny MATCHER_IMPORT_MAX_SECONDS stops a
long import with 422 and writes nothing.
"""

from __future__ import annotations

import io
import re
import socket
import time
import zipfile
from urllib.parse import urlsplit

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from matcher.store.db import transaction
from matcher.store.tables import AuditEntry, Client
from tests import local_http
from tests.api import server as srv
from tests.conftest import BACKENDS
from tests.web.signin import login_form

STAFF = "canbo.chuongtrinh"
HEADER = ["client_id", "full_name", "birth_date", "gender", "group", "place", "education",
          "consent_share"]
PLACE = "Phường Móng Cái 3"
FAST_S = 10  # a refused file is answered well within this (the old code took minutes)


def _ids(n: int) -> list[str]:
    stamp = time.time_ns()
    return [f"COST{stamp}-{k}" for k in range(n)]


def _row(cid: str) -> list[str]:
    return [cid, "Nguyễn Thị Hoa", "2001-04-12", "female", "other", PLACE, "primary", "1"]


def _count(db, ids) -> int:
    with transaction(db) as s:
        return s.scalar(select(func.count()).select_from(Client)
                        .where(Client.client_id.in_(ids)))


def _upload(server, name: str, content: bytes, *, timeout: float = 60, **params):
    with server.client(STAFF) as c:
        return c.post("/v1/imports/clients", params=params, timeout=timeout,
                      files={"file": (name, content, "application/octet-stream")})


def _xlsx(ids: list[str], *, sheet_xml=None, extra: dict[str, bytes] | None = None) -> bytes:
    """A small, valid clients workbook; ``sheet_xml`` rewrites its sheet, ``extra`` adds
    parts."""
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for cid in ids:
        sheet.append(_row(cid))
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml" and sheet_xml is not None:
                data = sheet_xml(data.decode()).encode()
            dst.writestr(item, data)
        for name, data in (extra or {}).items():
            dst.writestr(name, data)
    return out.getvalue()


def _last_row(xml: str, ref: str, far_cell: str) -> str:
    """The sheet declaring ``ref``, with one more cell at ``far_cell`` (its last row)."""
    row = re.match(r"[A-Z]+(\d+)", far_cell).group(1)
    xml = re.sub(r'<dimension ref="[^"]+" ?/>', f'<dimension ref="{ref}"/>', xml)
    return xml.replace("</sheetData>",
                       f'<row r="{row}"><c r="{far_cell}"><v>1</v></c></row></sheetData>')


def test_an_xlsx_declaring_a_whole_sheet_is_refused_in_seconds(api, db):
    ids = _ids(2)
    content = _xlsx(ids, sheet_xml=lambda x: _last_row(x, "A1:XFD1048576", "XFD1048576"))
    started = time.monotonic()
    r = _upload(api, "whole-sheet.xlsx", content, timeout=FAST_S)
    assert time.monotonic() - started < FAST_S
    assert r.status_code == 422, r.text
    assert "1,048,576 rows and 16,384 columns" in r.json()["detail"]
    assert "MATCHER_IMPORT_MAX_ROWS" in r.json()["detail"]
    assert _count(db, ids) == 0


def test_the_cohort_pages_upload_refuses_it_too(api):
    # The programme staff's page reads an uploaded cohort file with the same reader.
    content = _xlsx(_ids(1), sheet_xml=lambda x: _last_row(x, "A1:XFD1048576", "XFD1048576"))
    with local_http.Client(base_url=api.url, timeout=FAST_S, follow_redirects=False) as client:
        r = login_form(client, STAFF)
        assert r.status_code == 303, r.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/cohort").text).group(1)
        started = time.monotonic()
        r = client.post("/cohort/upload", data={"csrf": csrf},
                        files={"file": ("cohort.xlsx", content, "application/octet-stream")})
    assert time.monotonic() - started < FAST_S
    assert r.status_code == 422, r.text[:300]
    assert 'id="upload-error"' in r.text and "1,048,576" in r.text


def test_a_dimension_that_lies_cannot_pad_past_the_row_limit(api, db):
    # Declares A1:H3, which passes the declared-size check, but has a cell in the last row:
    # read with the declared bounds, the rows below would be dropped without a word; read
    # with the limits, the sheet is refused.
    ids = _ids(2)
    content = _xlsx(ids, sheet_xml=lambda x: _last_row(x, "A1:H3", "A1048576"))
    r = _upload(api, "lying.xlsx", content, timeout=FAST_S)
    assert r.status_code == 422, r.text
    assert "more than 100,000 rows" in r.json()["detail"]
    assert _count(db, ids) == 0


@pytest.mark.parametrize("part, size, words", [
    # Unpacks to more than the 50 MB limit (60 MB of spaces pack to about 60 kB).
    ("xl/media/image1.bin", 60_000_000, "unpacks to 60 MB"),
    # Under the limit, but packed a thousand times tighter than anything Excel writes.
    ("xl/worksheets/sheet2.xml", 8_000_000, "times its packed size"),
])
def test_a_zip_bomb_is_refused_before_it_is_unpacked(api, db, part, size, words):
    ids = _ids(1)
    content = _xlsx(ids, extra={part: b" " * size})
    assert len(content) < 1_000_000
    r = _upload(api, "bomb.xlsx", content, timeout=FAST_S)
    assert r.status_code == 422, r.text
    assert words in r.json()["detail"]
    assert _count(db, ids) == 0


def test_an_encoding_outside_the_allow_list_is_refused_by_name(api, db):
    ids = _ids(1)
    text = ",".join(HEADER) + "\n" + ",".join(_row(ids[0])) + "\n"
    for name in ("punycode", "idna", "utf-7", "rot13", "base64"):
        r = _upload(api, "clients.csv", text.encode(), encoding=name)
        assert r.status_code == 422, (name, r.text)
        assert r.json()["field"] == "encoding", (name, r.text)
        assert "utf-8, cp1258 (Windows-1258) and utf-16" in r.json()["detail"]
    assert _count(db, ids) == 0


def test_utf16_with_its_byte_order_mark_is_read(api, db):
    # Excel's "Unicode Text": UTF-16 with a BOM, tab-separated.
    ids = _ids(1)
    text = "\t".join(HEADER) + "\r\n" + "\t".join(_row(ids[0])) + "\r\n"
    r = _upload(api, "unicode.csv", text.encode("utf-16"))
    assert r.status_code == 201, r.text
    assert _count(db, ids) == 1
    headless = _upload(api, "nobom.csv", text.encode("utf-16-le"), encoding="utf-16")
    assert headless.status_code == 422 and headless.json()["field"] == "encoding"


def _raw_upload(url: str, headers: dict[str, str]) -> tuple[bytes, float]:
    """Send an upload's headers announcing 20 MB and only its first bytes: the answer and
    how long it took (a server waiting for the rest answers nothing)."""
    host, port = urlsplit(url).hostname, urlsplit(url).port
    head = ["POST /v1/imports/clients HTTP/1.1", f"Host: {host}:{port}",
            "Content-Type: multipart/form-data; boundary=xyz", "Content-Length: 20000000",
            *(f"{k}: {v}" for k, v in headers.items())]
    started = time.monotonic()
    with socket.create_connection((host, port), timeout=3) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + b"--xyz\r\nContent-Dis")
        try:
            answer = sock.recv(4096)
        except TimeoutError:
            answer = b""
    return answer, time.monotonic() - started


@pytest.mark.parametrize("who, status", [
    (None, 401), ("bad-token", 401), ("ctv.halong", 403), ("truong.nghe", 403)])
def test_a_caller_who_may_not_import_is_answered_before_the_body(api, who, status):
    headers = {}
    if who == "bad-token":
        headers["Authorization"] = "Bearer not.a.token"
    elif who is not None:
        headers["Authorization"] = f"Bearer {api.token(who)}"
    answer, took = _raw_upload(api.url, headers)
    assert answer.startswith(f"HTTP/1.1 {status}".encode()), answer[:200]
    assert b"application/problem+json" in answer
    assert took < 2


# --- a server whose imports may take 0.2 s --------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def hurried(request, server_pool, trained_model_dir, tmp_path_factory):
    """A second server on the session server's database, with a tiny import time limit."""
    shared = server_pool(request.param)
    log = tmp_path_factory.mktemp("hurried") / "server.log"
    server = srv.start(shared.db_url, trained_model_dir, request.param, log=log,
                       MATCHER_IMPORT_MAX_SECONDS="0.2")
    yield server
    server.stop()


def test_an_import_over_its_time_limit_is_stopped_and_writes_nothing(hurried):
    ids = _ids(40_000)
    text = ",".join(HEADER) + "\n" + "".join(",".join(_row(cid)) + "\n" for cid in ids)
    from matcher.store.db import make_engine

    db = make_engine(hurried.db_url)
    try:
        with transaction(db) as s:
            audits = s.scalar(select(func.count()).select_from(AuditEntry))
        started = time.monotonic()
        r = _upload(hurried, "long.csv", text.encode())
        took = time.monotonic() - started
        assert r.status_code == 422, r.text[:300]
        assert "longer than 0.2 s" in r.json()["detail"]
        assert "MATCHER_IMPORT_MAX_SECONDS" in r.json()["detail"]
        assert took < FAST_S
        # Nothing written, not even the audit entry; and the worker answers at once.
        assert _count(db, ids[:1000]) == 0 and _count(db, ids[-1000:]) == 0
        with transaction(db) as s:
            assert s.scalar(select(func.count()).select_from(AuditEntry)) == audits
        with hurried.client(STAFF) as c:
            assert c.get("/readyz", timeout=2).status_code == 200
    finally:
        db.dispose()
