"""Checks of an .xlsx before openpyxl parses it: what it unpacks to and what its sheets declare.

An .xlsx is a zip of XML parts. A small upload can unpack to gigabytes (a zip bomb), and a
sheet can declare ``<dimension ref="A1:XFD1048576"/>``, which makes openpyxl pad every row to
16,384 cells and every missing row up to row 1,048,576 (minutes of CPU for a few kilobytes).
Both are refused here from the zip's directory and the first bytes of each part, without
unpacking the file.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass
from xml.etree.ElementTree import ParseError, iterparse

from matcher.ingest.errors import ImportFailed, Problem

# A part that unpacks to more than this many times its packed size is not something a
# spreadsheet program writes (measured: about 16 for a sheet of 100,000 contract rows; Apache
# POI refuses from 100). Parts under GRACE_BYTES are left alone: they cannot cost much.
MAX_RATIO = 100
GRACE_BYTES = 1 << 20
MAX_PARTS = 10_000
# The dimension comes second in a sheet's XML, after the small sheetPr: reading further than
# this without finding it or the data means the part is not a sheet as Excel writes one.
HEAD_BYTES = 4 << 20
REF = re.compile(r"^\$?([A-Za-z]{1,3})\$?([0-9]{1,7})$")


@dataclass(frozen=True)
class XlsxLimits:
    max_unpacked_bytes: int
    max_rows: int
    max_columns: int

    @classmethod
    def from_settings(cls) -> XlsxLimits:
        from matcher.settings import get_settings

        s = get_settings()
        return cls(int(s.import_max_uncompressed_mb * 1e6), s.import_max_rows,
                   s.import_max_columns)


def check_xlsx(raw: bytes, limits: XlsxLimits) -> None:
    """Raise :class:`ImportFailed` when the workbook unpacks or declares too much."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(raw))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError) as exc:
        raise _failed(f"cannot open the Excel file: {exc}") from None
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _failed(f"the Excel file has {len(parts):,} parts; a workbook has a few dozen")
        total = sum(p.file_size for p in parts)
        if total > limits.max_unpacked_bytes:
            raise _failed(
                f"the Excel file unpacks to {total / 1e6:,.0f} MB; the limit is "
                f"{limits.max_unpacked_bytes / 1e6:,.0f} MB (setting "
                "MATCHER_IMPORT_MAX_UNCOMPRESSED_MB): split it into smaller files")
        for part in parts:
            ratio = part.file_size / max(part.compress_size, 1)
            if part.file_size > GRACE_BYTES and ratio > MAX_RATIO:
                raise _failed(f"the part {part.filename} of the Excel file unpacks to "
                              f"{ratio:,.0f} times its packed size: not a workbook as "
                              "Excel writes one")
        for part in parts:
            if part.is_dir():
                continue
            size = _declared_size(archive, part)
            if size is None:
                continue
            rows, columns = size
            if rows > limits.max_rows or columns > limits.max_columns:
                raise _failed(
                    f"the sheet {part.filename} declares {rows:,} rows and {columns:,} "
                    f"columns; the limits are {limits.max_rows:,} rows and "
                    f"{limits.max_columns:,} columns (settings MATCHER_IMPORT_MAX_ROWS, "
                    "MATCHER_IMPORT_MAX_COLUMNS): delete the empty rows and columns after "
                    "the data, or split the file")


def _declared_size(archive: zipfile.ZipFile, part: zipfile.ZipInfo) -> tuple[int, int] | None:
    """(last row, last column) a worksheet part declares; None for other parts and for a
    sheet without a dimension. Streams the part's head only."""
    try:
        with archive.open(part) as stream:
            first = True
            for _event, element in iterparse(_Head(stream, HEAD_BYTES), events=("start",)):
                name = element.tag.rsplit("}", 1)[-1]
                if first and name != "worksheet":
                    return None
                first = False
                if name == "dimension":
                    return _ref_size(part.filename, element.get("ref") or "")
                if name == "sheetData":
                    return None
    except _TooLong:
        raise _failed(f"the part {part.filename} of the Excel file has no sheet data "
                      f"within its first {HEAD_BYTES >> 20} MB") from None
    except (ParseError, zipfile.BadZipFile, EOFError, OSError, ValueError, RuntimeError,
            NotImplementedError, zlib.error):
        return None  # not XML (an image, say), or damaged: openpyxl will say which
    return None


def _ref_size(part: str, ref: str) -> tuple[int, int]:
    rows = columns = 0
    for corner in ref.split(":"):
        match = REF.match(corner.strip())
        if match is None:
            raise _failed(f"the sheet {part} declares an unreadable size {ref[:40]!r}")
        rows = max(rows, int(match.group(2)))
        columns = max(columns, _column_number(match.group(1)))
    return rows, columns


def _column_number(letters: str) -> int:
    number = 0
    for char in letters.upper():
        number = number * 26 + ord(char) - ord("A") + 1
    return number


class _TooLong(Exception):
    pass


class _Head(io.RawIOBase):
    """A read-only stream that raises :class:`_TooLong` past ``limit`` bytes."""

    def __init__(self, stream, limit: int) -> None:
        self.stream, self.left = stream, limit

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self.left <= 0:
            raise _TooLong
        size = self.left if size is None or size < 0 else min(size, self.left)
        data = self.stream.read(size)
        self.left -= len(data)
        return data


def _failed(message: str) -> ImportFailed:
    return ImportFailed([Problem(None, None, message)])
