"""Settings from environment variables; nothing else in the project reads the environment."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = REPO_ROOT / "data"
DEMO_DIR = DATA_DIR / "demo"
DEFAULT_SQLITE = DATA_DIR / "matcher.sqlite3"


class Settings(BaseSettings):
    """Every setting of the product, documented in the README's settings table."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", extra="ignore")

    database_url: str = Field(
        default=f"sqlite:///{DEFAULT_SQLITE}",
        validation_alias="DATABASE_URL",
        description="SQLAlchemy URL; SQLite file under data/ by default, PostgreSQL when set.",
    )
    model_dir: Path = Field(default=REPO_ROOT / "models", description="Model artefacts and cards.")
    import_max_mb: float = Field(default=20.0, gt=0, description="Largest file an import takes.")
    import_max_errors: int = Field(default=50, gt=0, description="Errors listed before stopping.")
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)

    @field_validator("database_url")
    @classmethod
    def _driver(cls, url: str) -> str:
        # A bare postgres URL means psycopg2 to SQLAlchemy; we ship psycopg 3.
        for prefix in ("postgresql://", "postgres://"):
            if url.startswith(prefix):
                return "postgresql+psycopg://" + url[len(prefix) :]
        return url


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
