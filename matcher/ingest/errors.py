"""Import problems: each names the row and the column at fault."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file.

    ``row`` is the spreadsheet row number (the header is row 1, the first record row 2),
    so a social worker can find it in Excel; ``None`` for a problem with the whole file.
    """

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class ImportFailed(Exception):
    """The file was not imported; nothing was written. Carries every problem found."""

    def __init__(self, problems: list[Problem], *, truncated: bool = False):
        self.problems = problems
        self.truncated = truncated
        super().__init__(self.render())

    def render(self) -> str:
        lines = [str(p) for p in self.problems]
        if self.truncated:
            lines.append("(more problems were not listed; fix these and import again)")
        return "\n".join(lines)


class TooManyProblems(Exception):
    """Raised inside validation when the error list is full."""
