"""Imports (programme staff, admin): upload one file of the data contract, all or nothing.

The same rules and messages as ``matcher import``: the upload is written to a temporary
file (with its own suffix, which tells CSV from Excel), read, checked row by row, and
written in one transaction only when it has no problem at all. The BodyLimit middleware
refuses a body over ``MATCHER_IMPORT_MAX_MB`` with 413, and a caller who may not import with
401/403, before any of the body is read (FastAPI reads a multipart body before it runs the
route's dependencies). The encoding is checked against an allow-list before anything is
decoded, and the import is bounded in unpacked size, rows, columns and time (matcher.ingest).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Response, UploadFile
from fastapi.responses import JSONResponse

from api.deps import CallerDep, SessionDep, allow
from api.errors import MEDIA_TYPE, TITLES, Problem, problem_responses
from api.routing import ReleasingRoute
from api.schemas.imports import ImportKind, ImportOut, ImportProblem, Merged, Proposed
from matcher.demo import DemoDatabase, refuse_imports
from matcher.ingest import ImportFailed, import_into
from matcher.ingest.deadline import Deadline
from matcher.ingest.reading import allowed_encoding

# Who may import; api.limits checks the same roles before the body is read.
IMPORT_ROLES = ("programme_staff", "admin")

router = APIRouter(route_class=ReleasingRoute, prefix="/v1/imports", tags=["imports"],
                   dependencies=[allow(*IMPORT_ROLES)],
                   responses=problem_responses(401, 403, 409, 413))

SUFFIXES = (".csv", ".xlsx")
#: Files that name clients. Their errors would tell which client ids and follow-up dates
#: exist ("already exists", "unknown client"), and their writes are case records: only
#: programme staff, who may read every client, import them; the admin, who may not, gets 403.
CLIENT_KINDS = frozenset({"clients", "placements", "followups"})


def may_import(kind: ImportKind, caller: CallerDep) -> None:
    if kind.value in CLIENT_KINDS and caller.role != "programme_staff":
        raise Problem(403, f"a {caller.role} account may not import {kind.value}: files that "
                           "name clients are imported by programme staff", field="kind")


@router.post(
    "/{kind}", response_model=ImportOut, status_code=201, dependencies=[Depends(may_import)],
    responses={
        200: {"model": ImportOut, "description": "Imported; no new record (all known already)"},
        422: {"model": ImportProblem, "description": "Not imported: the problems, by row "
              "and column; nothing was written", "content": {MEDIA_TYPE: {}}},
    },
)
def import_upload(
    kind: ImportKind,
    file: Annotated[UploadFile, File(description="UTF-8 CSV (a BOM is fine) or .xlsx.")],
    session: SessionDep,
    caller: CallerDep,
    response: Response,
    encoding: Annotated[str | None, Query(
        min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$",
        description="Read a CSV in this encoding instead of UTF-8: utf-8, cp1258 "
                    "(Windows-1258) or utf-16 (with its byte-order mark).")] = None,
) -> ImportOut | JSONResponse:
    """Import a file of the data contract; 422 lists every problem with its row and column.
    The demo database refuses every import (409)."""
    _refuse_on_demo(session)
    try:
        allowed_encoding(encoding)  # before anything is decoded
    except ImportFailed as exc:
        return _refused(exc)
    suffix = PurePath(file.filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise Problem(422, "send a .csv (UTF-8) or .xlsx file: "
                           f"{file.filename or 'the upload'} is neither", field="file")
    fd, name = tempfile.mkstemp(prefix="matcher-import-", suffix=suffix)
    path = Path(name)
    try:
        with os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(file.file, out, length=1 << 20)
        try:
            result = import_into(session, kind.value, path, encoding=encoding,
                                 actor=caller.username, source=caller.source or "api",
                                 user_id=caller.user_id, deadline=Deadline.from_settings())
        except ImportFailed as exc:
            session.rollback()
            return _refused(exc)
        except DemoDatabase as exc:  # marked demo after the check above
            session.rollback()
            raise Problem(409, str(exc)) from None
        session.commit()
    finally:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
    response.status_code = 201 if result.created else 200
    return ImportOut(kind=result.kind, rows=result.rows, created=result.created,
                     updated=result.updated,
                     merged=[Merged(id_in_file=a, id_kept=b) for a, b in result.merged],
                     proposed=[Proposed(id_in_file=a, id_known=b, likeness=s)
                               for a, b, s in result.proposed])


def _refuse_on_demo(session) -> None:
    try:
        refuse_imports(session)
    except DemoDatabase as exc:
        raise Problem(409, str(exc)) from None


def _refused(exc: ImportFailed) -> JSONResponse:
    """422 problem+json: every problem with its row and column, and whether more were left out."""
    errors = [{"row": p.row, "field": p.column or "file", "message": _for_api(p.message)}
              for p in exc.problems]
    first = errors[0] if errors else {"row": None, "field": "file", "message": "not imported"}
    where = f"row {first['row']}, " if first["row"] is not None else ""
    body = {"type": "about:blank", "title": TITLES[422], "status": 422,
            "detail": f"not imported, nothing was changed: {where}{first['field']}: "
                      f"{first['message']}",
            "field": first["field"], "errors": errors, "truncated": bool(exc.truncated)}
    return JSONResponse(body, status_code=422, media_type=MEDIA_TYPE)


def _for_api(message: str) -> str:
    # The reader's hint names the command-line option; here it is a query parameter.
    return message.replace("import it with --encoding cp1258",
                           "send it again with ?encoding=cp1258")
