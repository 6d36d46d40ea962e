"""Imports of the data contract's files: the result, and the problems of a refused file."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from api.errors import ProblemModel
from matcher.ingest import KINDS

ImportKind = StrEnum("ImportKind", {kind: kind for kind in KINDS})
ImportKind.__doc__ = "The kinds of file of the data contract."


class Merged(BaseModel):
    """A provider of the file that is certainly one already known (same kind, place and
    name; phones not differing): imported as an alias of it."""

    id_in_file: str
    id_kept: str


class Proposed(BaseModel):
    """A provider of the file that only looks like a known one: imported as new, and the
    pair listed for a person to merge or mark distinct (/staff/providers/duplicates)."""

    id_in_file: str
    id_known: str
    likeness: float = Field(description="0-100: how alike the two names are.")


class ImportOut(BaseModel):
    kind: str
    rows: int = Field(description="Records read from the file.")
    created: int
    updated: int
    merged: list[Merged]
    proposed: list[Proposed] = Field(default_factory=list)


class ImportProblem(ProblemModel):
    """A refused file: every problem with its row (the header is row 1) and column."""

    truncated: bool = Field(default=False, description="More problems were not listed.")
