"""Possible duplicate providers and the merges a person makes of them."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.clients import ID_PATTERN

ProviderRef = Annotated[str, Field(pattern=ID_PATTERN, description="a provider id")]


class PairSide(BaseModel):
    provider_id: str
    name: str
    kind: str
    place_id: str
    phone: str
    options: int
    placements: int


class PairOut(BaseModel):
    """Two providers that may be one, waiting for a person."""

    a: PairSide
    b: PairSide
    likeness: float = Field(description="0-100: how alike their names are.")
    found_at: datetime | None


class ScanOut(BaseModel):
    found: int = Field(description="Pairs proposed now that were never proposed before.")


class DistinctIn(BaseModel):
    a: ProviderRef
    b: ProviderRef


class MergeIn(BaseModel):
    keep: ProviderRef = Field(description="The provider that stays.")
    other: ProviderRef = Field(description="The provider merged into it.")


class MergeOut(BaseModel):
    merge_id: int
    kept_id: str
    merged_id: str
    merged_name: str | None
    merged_at: datetime | None
    merged_by: str
    undone_at: datetime | None
    options: int = Field(description="Options that moved.")
    undoable: bool
    blocker: str | None = Field(description="Why it can no longer be undone: placed_since, "
                                            "kept_gone or id_taken.")
