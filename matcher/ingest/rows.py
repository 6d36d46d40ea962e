"""Header and cell checks that need no database: the first pass over a file."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import process

from matcher.ingest.contract import CONTRACT, ROW_RULES, Column
from matcher.ingest.deadline import Deadline
from matcher.ingest.errors import Problem, TooManyProblems
from matcher.ingest.reading import Table


@dataclass
class ProblemList:
    """Collects problems up to a limit, so a broken 100,000-row file stops early."""

    limit: int
    items: list[Problem] = field(default_factory=list)
    truncated: bool = False

    def add(self, row: int | None, column: str | None, message: str) -> None:
        self.items.append(Problem(row, column, message))
        if len(self.items) >= self.limit:
            self.truncated = True
            raise TooManyProblems

    def __bool__(self) -> bool:
        return bool(self.items)


@dataclass(frozen=True)
class Record:
    row: int
    values: dict[str, Any]  # keyed by the table attribute (Column.target)


def check_header(kind: str, header: list[str], problems: ProblemList) -> list[Column | None]:
    """Map each header cell to its contract column; report missing, extra and repeated ones."""
    spec = {c.name: c for c in CONTRACT[kind]}
    names = [h.strip().lower() for h in header]
    seen: set[str] = set()
    mapping: list[Column | None] = []
    for name in names:
        if name in seen:
            problems.add(1, name, "the column appears twice")
        seen.add(name)
        column = spec.get(name)
        if column is None:
            if not name:
                problems.add(1, None, "a column has no name")
            else:
                close = process.extractOne(name, list(spec))
                hint = f" (did you mean {close[0]}?)" if close and close[1] >= 70 else ""
                problems.add(1, name, f"not a column of {kind} files{hint}; "
                             f"the columns are: {', '.join(spec)}")
        mapping.append(column)
    for column in CONTRACT[kind]:
        if column.required and column.name not in seen:
            problems.add(1, column.name, "required column is missing")
    return mapping


def parse_records(kind: str, table: Table, problems: ProblemList,
                  deadline: Deadline | None = None) -> list[Record]:
    """Parse every cell; a record with any problem is reported and left out."""
    deadline = deadline or Deadline(None)
    mapping = check_header(kind, table.header, problems)
    if problems:
        return []
    records: list[Record] = []
    width = len(mapping)
    required = [c for c in CONTRACT[kind] if c.required]
    for row, cells in zip(table.row_numbers, table.rows, strict=True):
        deadline.check()
        extra = [c for c in cells[width:] if c]
        if extra:
            problems.add(row, None,
                         f"{width + len(extra)} values, but the header has {width} columns")
            continue
        values: dict[str, Any] = {}
        ok = True
        for column, text in zip(mapping, cells, strict=False):
            assert column is not None
            if text == "":
                continue
            try:
                values[column.target] = column.parse(text)
            except ValueError as exc:
                problems.add(row, column.name, str(exc))
                ok = False
        for column in required:
            if column.target not in values and not _reported(problems, row, column.name):
                problems.add(row, column.name, "required value is empty")
                ok = False
        if ok and kind in ROW_RULES:
            for column_name, message in ROW_RULES[kind](values):
                problems.add(row, column_name, message)
                ok = False
        if ok:
            records.append(Record(row, values))
    return records


def _reported(problems: ProblemList, row: int, column: str) -> bool:
    return any(p.row == row and p.column == column for p in problems.items[-20:])
