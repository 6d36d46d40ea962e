"""Dependency aliases for the routes: they take these as parameters and never build them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from typing import Annotated

from fastapi import Depends
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from matcher.settings import Settings, get_settings
from matcher.store.db import make_engine, session_factory


@lru_cache
def get_engine() -> Engine:
    """One engine (and connection pool) per worker process."""
    return make_engine(get_settings().database_url)


def get_session() -> Iterator[Session]:
    with session_factory(get_engine())() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]
