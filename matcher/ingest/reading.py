"""Reading a contract file (UTF-8 CSV, with or without BOM, or .xlsx) into rows of text.

Every read is bounded: the file's size, the encodings (an allow-list, checked before any
decoding: some codecs, punycode for one, take super-linear time), an .xlsx's unpacked size and
declared rows and columns (:mod:`.xlsx_guard`), and the time (:mod:`.deadline`, checked per row).
"""

from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from matcher.ingest.deadline import Deadline
from matcher.ingest.errors import ImportFailed, Problem
from matcher.ingest.xlsx_guard import XlsxLimits, check_xlsx

XLSX_MAGIC = b"PK\x03\x04"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# The encodings a CSV may be read in, by the names people write: UTF-8 (a BOM is fine),
# Windows-1258 (Excel's plain "CSV" on a Vietnamese Windows) and UTF-16 with its byte-order
# mark (Excel's "Unicode Text"). Any other name is refused without looking it up.
ENCODINGS = {"utf-8": "utf-8-sig", "utf8": "utf-8-sig", "utf-8-sig": "utf-8-sig",
             "cp1258": "cp1258", "windows-1258": "cp1258", "utf-16": "utf-16",
             "utf16": "utf-16"}


@dataclass(frozen=True)
class Table:
    """A file's header and records as stripped NFC text; ``rows[i]`` is spreadsheet row i+2."""

    header: list[str]
    rows: list[list[str]]
    row_numbers: list[int]


def allowed_encoding(encoding: str | None) -> str | None:
    """The codec to read a CSV with (None: UTF-8, or UTF-16 when the file starts with its
    byte-order mark); :class:`ImportFailed` naming the ``encoding`` field for any other."""
    if encoding is None:
        return None
    codec = ENCODINGS.get(encoding.strip().lower().replace("_", "-"))
    if codec is None:
        raise ImportFailed([Problem(None, "encoding", (
            f"cannot read a file as {encoding[:40]!r}: the encodings are utf-8, "
            "cp1258 (Windows-1258) and utf-16"))])
    return codec


def read_table(path: Path, *, max_bytes: int, encoding: str | None = None,
               deadline: Deadline | None = None, limits: XlsxLimits | None = None) -> Table:
    """Read ``path`` as the contract says, or raise :class:`ImportFailed` saying why not.

    ``limits`` (an .xlsx's unpacked size, rows and columns) default to the settings;
    ``deadline`` to none: the server's callers pass one.
    """
    codec = allowed_encoding(encoding)
    deadline = deadline or Deadline(None)
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
        table = _read_xlsx(raw, limits or XlsxLimits.from_settings(), deadline)
    else:
        table = _read_csv(_decode(raw, codec), deadline)
    if not table.header or not any(table.header):
        raise ImportFailed([Problem(1, None, "the header row is empty")])
    return table


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding is None and raw.startswith(UTF16_BOMS):
        encoding = "utf-16"
    if encoding == "utf-16" and not raw.startswith(UTF16_BOMS):
        raise ImportFailed([Problem(None, "encoding", (
            "the file does not start with UTF-16's byte-order mark: save it as 'Unicode "
            "Text' or 'CSV UTF-8'"))])
    if encoding:
        try:
            return unicodedata.normalize("NFC", raw.decode(encoding))
        except UnicodeDecodeError as exc:
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


def _read_csv(text: str, deadline: Deadline) -> Table:
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
            deadline.check()
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


def _read_xlsx(raw: bytes, limits: XlsxLimits, deadline: Deadline) -> Table:
    from openpyxl import load_workbook

    check_xlsx(raw, limits)
    try:
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise ImportFailed([Problem(None, None, f"cannot open the Excel file: {exc}")]) from exc
    try:
        return _sheet_table(book.worksheets[0], limits, deadline)
    finally:
        book.close()


def _sheet_table(sheet, limits: XlsxLimits, deadline: Deadline) -> Table:
    # Explicit bounds, the limits rather than the sheet's own dimension: openpyxl pads rows
    # to the declared width (or, with none declared, to each row's last cell) and fills
    # missing rows, and drops what lies past the declared corner. Read with the limits, a
    # sheet whose dimension lies (or is absent) can neither make it pad past them nor hide
    # values: a row past the limit is refused, and values past the header are reported.
    width = limits.max_columns
    header: list[str] = []
    rows: list[list[str]] = []
    numbers: list[int] = []
    cells_of = sheet.iter_rows(max_row=limits.max_rows + 1, max_col=width, values_only=True)
    for number, values in enumerate(cells_of, start=1):
        deadline.check()
        if number > limits.max_rows:
            raise ImportFailed([Problem(number, None, (
                f"the sheet has more than {limits.max_rows:,} rows (setting "
                "MATCHER_IMPORT_MAX_ROWS): delete the empty rows after the data, or split "
                "the file"))])
        if not header:
            header = [_cell_text(v) for v in values]
            while header and not header[-1]:
                header.pop()
            continue
        # Only the header's width is converted cell by cell; past it, tuple.count (C speed)
        # says whether anything is there, and only the values there are kept (their number
        # is what a problem reports), so a wide declared sheet costs little per row.
        used, tail = list(values[: len(header)]), values[len(header):]
        if tail.count(None) != len(tail):
            used.extend(v for v in tail if v is not None)
        cells = [_cell_text(v) for v in used]
        if not any(cells):
            continue
        rows.append(cells)
        numbers.append(number)
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
