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
    # An import's cost, bounded before and while it is read (README, "Settings"; SECURITY.md).
    import_max_uncompressed_mb: float = Field(default=50.0, gt=0, description="Largest size "
                                              "an .xlsx may unpack to.")
    import_max_rows: int = Field(default=100_000, ge=1, le=1_048_576, description="Most rows "
                                 "a sheet of an .xlsx may declare or hold.")
    import_max_columns: int = Field(default=1024, ge=1, le=16_384, description="Most "
                                    "columns a sheet of an .xlsx may declare (1,024: the "
                                    "widest sheet LibreOffice made before 7.4).")
    import_max_seconds: float = Field(default=60.0, gt=0, description="An import over the "
                                      "API or the pages still reading or checking after this "
                                      "long is stopped and writes nothing.")
    sqlite_busy_timeout_ms: int = Field(default=10_000, ge=0)

    # The score of a suggestion: weights of its parts (README, "The score").
    weight_success: float = Field(default=1.0, ge=0, description="Predicted chance of success.")
    weight_wish: float = Field(default=0.3, ge=0, description="Match with the client's wishes.")
    weight_travel: float = Field(default=0.15, ge=0, description="Travel, relative to the limit.")
    weight_cost: float = Field(default=0.1, ge=0, description="Fee or start-up cost.")
    cost_scale_vnd: int = Field(default=10_000_000, gt=0, description="A cost that counts as 1.")
    max_per_provider: int = Field(default=2, ge=1, description="Per provider in a list.")

    # The referral loop (README, "The social worker's tasks").
    referral_answer_days: int = Field(default=7, ge=1, le=365, description="A referral its "
                                      "provider has not answered after this many days is on "
                                      "the social worker's task list.")

    # Seat prices (README, "Seat-aware ranking"): what a seat is worth to the others waiting.
    seat_pricing: bool = Field(default=True, description="Rank suggestions net of seat prices.")
    pricing_horizon_days: int = Field(default=90, ge=1, le=730, description="Days until seats "
                                      "refill: arrivals expected within them compete for them.")
    pricing_waiting_days: int = Field(default=730, ge=1, le=3650, description="A client "
                                      "registered this many days ago and never placed is no "
                                      "longer counted as waiting.")
    pricing_samples: int = Field(default=4, ge=1, le=50, description="Sampled futures whose "
                                 "prices are averaged.")

    # The API's in-memory matcher (README, "Settings" and "Design decisions").
    rebuild_min_interval_s: float = Field(
        default=30.0, ge=0, le=86_400, description="A worker rebuilds its matcher after a "
        "catalogue change at most this often, in the background, serving the previous one "
        "meanwhile; 0 rebuilds at once inside the request that sees the change.")

    # The review for programme staff (README, "Settings"): kept in the database, recomputed
    # in the background after a change while the last one is shown.
    review_min_interval_s: float = Field(
        default=30.0, ge=0, le=86_400, description="The review is recomputed after a change "
        "at most this often (per kind: without and with the effects of placement); changes "
        "meanwhile are taken in by the next computation.")
    review_first_wait_s: float = Field(
        default=10.0, ge=0, le=120, description="When no review was ever computed, a request "
        "waits this long for the first one, then answers 202 (the page: \"being computed\").")

    # The API (README, "Settings"): sign-in, tokens and request limits.
    secret_key: str | None = Field(
        default=None, description="Signs the sign-in tokens; when unset, a random key is "
        "created once in data/.secret_key and shared by every worker.")
    token_minutes: int = Field(default=480, gt=0, description="A sign-in lasts this long.")
    cookie_secure: bool = Field(default=True, description="Session cookie only over HTTPS "
                                "(browsers treat http://localhost as secure).")
    login_free_failures: int = Field(default=3, ge=1, description="Failed sign-ins in a row "
                                     "before each further attempt must wait.")
    login_max_wait_s: int = Field(default=300, ge=1, description="The longest wait imposed "
                                  "on one address for one account.")
    login_account_free_failures: int = Field(
        default=20, ge=1, description="Failed sign-ins to one account, from all addresses "
        "together (each adds at most its own free ones), before the account's own waits start.")
    login_account_max_wait_s: int = Field(
        default=60, ge=1, description="The longest wait for an account as a whole: however "
        "many addresses guess, its owner can try at least this often.")
    login_concurrent: int = Field(default=2, ge=1, description="Password checks running at "
                                  "once in one worker (argon2 takes 64 MiB each).")
    activation_hours: int = Field(default=72, gt=0, le=24 * 30, description="A one-time "
                                  "activation or reset code works for this many hours.")
    max_body_kb: int = Field(default=256, gt=0, description="Largest JSON request body.")

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
