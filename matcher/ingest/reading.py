"""Reading a contract file (UTF-8 CSV, with or without BOM, or .xlsx) into rows of text."""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from matcher.ingest.errors import ImportFailed, Problem

XLSX_MAGIC = b"PK\x03\x04"


@dataclass(frozen=True)
class Table:
    """A file's header and records as stripped NFC text; ``rows[i]`` is spreadsheet row i+2."""

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]


def read_table(path: Path, *, max_bytes: int, encoding: str | None = None) -> Table:
    """Read ``path`` as the contract says, or raise :class:`ImportFailed` saying why not."""
    path = Path(path)
    if not path.is_file():
        raise ImportFailed([Problem(None, None, f"no such file: {path}")])
    size = path.stat().st_size
    if size > max_bytes:
        raise ImportFailed([Problem(None, None, (
            f"the file is {size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB "
            "(setting MATCHER_IMPORT_MAX_MB): split it into smaller files"))])
    raw = path.read_bytes()
    if not raw.strip():
        raise ImportFailed([Problem(None, None, "the file is empty: expected a header row")])
    if raw.startswith(XLSX_MAGIC) or path.suffix.lower() in {".xlsx", ".xlsm"}:
        table = _read_xlsx(raw)
    else:
        table = _read_csv(_decode(raw, encoding))
    if not table.header or not any(table.header):
        raise ImportFailed([Problem(1, None, "the header row is empty")])
    return table


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return unicodedata.normalize("NFC", raw.decode(encoding))
        except (LookupError, UnicodeDecodeError) as exc:
            raise ImportFailed([Problem(None, None, f"cannot read as {encoding}: {exc}")]) from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        # Excel on a Vietnamese Windows saves "CSV" in Windows-1258. We do not guess: a wrong
        # guess would store garbled names. Say where, and how to fix it.
        line = raw[: exc.start].count(b"\n") + 1
        hint = ""
        try:
            raw.decode("cp1258")
            hint = (" It looks like Windows-1258 (Excel's plain 'CSV' on Vietnamese Windows):"
                    " save it as 'CSV UTF-8', or import it with --encoding cp1258.")
        except UnicodeDecodeError:
            pass
        message = f"the file is not UTF-8 (byte 0x{raw[exc.start]:02X} on line {line}).{hint}"
        raise ImportFailed([Problem(line, None, message)]) from exc


def _read_csv(text: str) -> Table:
    text = unicodedata.normalize("NFC", text.lstrip("\ufeff"))
    # The header alone decides the delimiter: it holds no lists, while a record's `;`-lists
    # would fool a sniffer. Excel with Vietnamese regional settings writes `;`.
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    try:
        for record in reader:
            if not header:
                header = [h.strip() for h in record]
                continue
            if not any(cell.strip() for cell in record):
                continue
            rows.append([cell.strip() for cell in record])
            numbers.append(len(numbers) + 2)
    except csv.Error as exc:
        raise ImportFailed([Problem(reader.line_num, None, f"malformed CSV: {exc}")]) from exc
    return Table(header, rows, numbers)


def _read_xlsx(raw: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFailed([Problem(None, None, f"cannot open the Excel file: {exc}")]) from exc
    sheet = book.worksheets[0]
    header: list[str] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
        cells = [_cell_text(v) for v in values]
        if not header:
            header = cells
            while header and not header[-1]:
                header.pop()
            continue
        if not any(cells):
            continue
        rows.append(cells)
        numbers.append(number)
    book.close()
    return Table(header, rows, numbers)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        midnight = value.time() == datetime.min.time()
        return value.date().isoformat() if midnight else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return unicodedata.normalize("NFC", str(value)).strip()
