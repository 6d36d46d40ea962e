"""Imports of the data contract's files: the result, and the problems of a refused file."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, Field

from api.errors import ProblemModel
from matcher.ingest import KINDS

ImportKind = StrEnum("ImportKind", {kind: kind for kind in KINDS})
ImportKind.__doc__ = "The kinds of file of the data contract."


class Merged(BaseModel):
    """A provider of the file found to be one already known (the fuzzy merge)."""

    id_in_file: str
    id_kept: str


class ImportOut(BaseModel):
    kind: str
    rows: int = Field(description="Records read from the file.")
    created: int
    updated: int
    merged: list[Merged]


class ImportProblem(ProblemModel):
    """A refused file: every problem with its row (the header is row 1) and column."""

    truncated: bool = Field(default=False, description="More problems were not listed.")
