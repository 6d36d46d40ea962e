"""Cells of a download (xlsx or CSV) written as text, never as a formula.

Names, titles and reasons come from imports, providers and social workers; a spreadsheet
program evaluates a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some, a tab or
carriage return before them), so a client named ``=HYPERLINK("http://…"&B3,"Hồ sơ")`` would
become a live link that sends a neighbouring cell away (CSV/formula injection). Following
OWASP's CSV injection guidance, such a string is prefixed with a single quote, which every
spreadsheet program shows as text and which survives a save to CSV; in xlsx the cell is
also typed as a string with Excel's quote prefix set, so editing the cell keeps it text.
Numbers stay numbers: only strings are neutralised (a negative *number* is not a formula).

Every writer of a download goes through :func:`text_cell`: :func:`append_row` for openpyxl,
:func:`csv_row` for the csv module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# The characters that start a formula (OWASP), and their full-width forms, which some
# East Asian Excel builds read as the same operators.
TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")

# Control characters an xlsx file cannot hold (openpyxl refuses them with an exception): a
# stored name carrying one must not turn the whole download into a 500.
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def text_cell(value: Any) -> Any:
    """``value`` as a download cell: a string that could start a formula gets a ``'`` before
    it; numbers, dates, booleans and None are left as they are."""
    if not isinstance(value, str):
        return value
    value = _ILLEGAL_XML.sub("", value)
    if value.startswith(TRIGGERS):
        return "'" + value
    return value


def is_neutralised(value: Any) -> bool:
    """Whether a downloaded cell value is safe: not a string, or a string no program
    would evaluate."""
    return not isinstance(value, str) or not value.startswith(TRIGGERS)


def csv_row(values: Iterable[Any]) -> list[Any]:
    """A row for ``csv.writer.writerow`` with every string neutralised."""
    return [text_cell(v) for v in values]


def append_row(sheet, values: Iterable[Any]) -> None:
    """Append a row to an openpyxl worksheet, every string written as a text cell.

    openpyxl itself turns any string starting with ``=`` into a formula cell; here a string
    is always a string cell (data type ``s``) and, when it was neutralised, carries the
    quote-prefix style, Excel's own mark for "typed as text". Works on an ordinary and on a
    write-only worksheet.
    """
    from openpyxl.cell.cell import Cell

    cells = []
    for value in values:
        if not isinstance(value, str):  # a number, date or None is never read as a formula
            cells.append(value)
            continue
        safe = text_cell(value)
        # A provisional place: append moves it to its row and column; a write-only sheet
        # (a workbook too large to keep in memory) names the cell's place before it does.
        cell = Cell(sheet, row=1, column=1, value=safe)
        cell.data_type = "s"
        cell.quotePrefix = safe[:1] == "'" and safe[1:].startswith(TRIGGERS)
        cells.append(cell)
    sheet.append(cells)
