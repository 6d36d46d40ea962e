"""SQLAlchemy 2.0 tables. The schema changes only through the Alembic migrations beside this file.

Enumerated values (kinds, groups, statuses) are stored as short strings and checked
where they enter (the import and the API) against matcher.vocab.domain, so that adding a value
is a code change, not a schema migration.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from matcher.clock import utcnow


class Base(DeclarativeBase):
    pass


class Provider(Base):
    __tablename__ = "providers"

    provider_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # Folded name (no diacritics) so that search and the fuzzy merge need no Python pass.
    name_folded: Mapped[str] = mapped_column(String(300), index=True)
    kind: Mapped[str] = mapped_column(String(16), index=True)
    place_id: Mapped[str] = mapped_column(String(32), index=True)
    phone: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class ProviderAlias(Base):
    """Another id under which an already known provider was imported (the fuzzy merge)."""

    __tablename__ = "provider_aliases"

    alias_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(
        ForeignKey("providers.provider_id", ondelete="CASCADE"), index=True
    )
    alias_name: Mapped[str] = mapped_column(String(300))


class Option(Base):
    __tablename__ = "options"
    __table_args__ = (
        CheckConstraint("capacity >= 0", name="ck_options_capacity_nonnegative"),
        CheckConstraint("min_age IS NULL OR max_age IS NULL OR min_age <= max_age",
                        name="ck_options_age_range"),
        Index("ix_options_kind_place", "kind", "place_id"),
    )

    option_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_id: Mapped[str] = mapped_column(
        ForeignKey("providers.provider_id"), index=True
    )
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    place_id: Mapped[str] = mapped_column(String(32))
    capacity: Mapped[int] = mapped_column(Integer)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    cost_vnd: Mapped[int | None] = mapped_column(BigInteger)
    wage_vnd_day: Mapped[int | None] = mapped_column(BigInteger)
    duration_weeks: Mapped[int | None] = mapped_column(Integer)
    women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_language: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_records: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[date | None] = mapped_column(Date)
    # A club's: the groups it serves (sorted codes, comma-joined; empty: everyone), and
    # whether it takes everyone who comes (then capacity counts nothing and stays 0).
    groups_served: Mapped[str | None] = mapped_column(String(300))
    unlimited: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # Optimistic concurrency for capacity updates (If-Match in the API).
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class OptionTrade(Base):
    """The trades an option teaches or employs in; indexed for candidate generation by trade."""

    __tablename__ = "option_trades"

    option_id: Mapped[str] = mapped_column(
        ForeignKey("options.option_id", ondelete="CASCADE"), primary_key=True
    )
    trade_id: Mapped[str] = mapped_column(String(64), primary_key=True, index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class User(Base):
    __tablename__ = "users"

    user_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(ForeignKey("providers.provider_id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Failed sign-ins in a row and when the last one was: the next attempt waits longer
    # each time (kept in the database so that every API worker sees the same count).
    # No longer read or written: sign-in failures are counted in sign_in_failures (below).
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # pending (no password yet), awaiting_approval, active, disabled; `active` above is kept
    # equal to status == "active" because every sign-in check reads it.
    status: Mapped[str] = mapped_column(String(20), default="active", server_default="active")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class SignInSession(Base):
    """One sign-in: its token names it (``sid``), and every request checks it is still live."""

    __tablename__ = "sessions"

    session_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class AccountCode(Base):
    """A one-time activation or reset code: only its SHA-256 is kept, never the code."""

    __tablename__ = "account_codes"

    code_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.user_id"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))  # activation or reset
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))


class SignInFailure(Base):
    """Failed sign-ins counted per key (matcher/access/sign_in_limits.py): one row per account and
    address and one per account, keyed by a hash of the typed username, so that an unknown
    username is counted exactly like a known one and no username is stored in clear."""

    __tablename__ = "sign_in_failures"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer)
    next_allowed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Client(Base):
    __tablename__ = "clients"

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    full_name: Mapped[str | None] = mapped_column(String(200))
    full_name_folded: Mapped[str | None] = mapped_column(String(200), index=True)
    birth_date: Mapped[date] = mapped_column(Date)
    gender: Mapped[str] = mapped_column(String(16))
    # "group" is an SQL keyword; the contract column `group` maps here.
    group_code: Mapped[str] = mapped_column(String(32))
    place_id: Mapped[str] = mapped_column(String(32), index=True)
    education: Mapped[str | None] = mapped_column(String(32))
    disability: Mapped[str] = mapped_column(String(32), default="none")
    interests: Mapped[str | None] = mapped_column(Text)
    skills: Mapped[str | None] = mapped_column(Text)
    max_travel_km: Mapped[float | None] = mapped_column(Float)
    needs_women_only: Mapped[bool] = mapped_column(Boolean, default=False)
    household_poor: Mapped[bool] = mapped_column(Boolean, default=False)
    ethnic_minority: Mapped[bool] = mapped_column(Boolean, default=False)
    married: Mapped[bool] = mapped_column(Boolean, default=False)
    prior_income_vnd_month: Mapped[int | None] = mapped_column(BigInteger)
    consent_share: Mapped[bool] = mapped_column(Boolean, default=False)
    registered_on: Mapped[date | None] = mapped_column(Date)
    # The social worker's own notes (API only, never in an import): never shown to a provider.
    notes: Mapped[str | None] = mapped_column(Text)
    # The social worker whose caseload the client is in (API issue); empty for imports.
    caseworker_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Placement(Base):
    __tablename__ = "placements"
    __table_args__ = (
        # not_started: declined by the provider or the client never came (revision 0010).
        CheckConstraint("status IN ('ongoing', 'completed', 'dropped', 'not_started')",
                        name="ck_placements_status"),
    )

    placement_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), index=True)
    option_id: Mapped[str] = mapped_column(ForeignKey("options.option_id"), index=True)
    start_date: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default="ongoing")
    success: Mapped[bool | None] = mapped_column(Boolean)
    income_vnd_day: Mapped[int | None] = mapped_column(BigInteger)
    followed_up_on: Mapped[date | None] = mapped_column(Date)
    suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.suggestion_id"))
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.plan_id"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlacementCheck(Base):
    """A follow-up of a placement at 3 or 6 months, as recorded (the placement keeps the last)."""

    __tablename__ = "placement_checks"
    __table_args__ = (
        UniqueConstraint("placement_id", "months", name="uq_placement_checks"),
        CheckConstraint("months IN (3, 6)", name="ck_placement_checks_months"),
        CheckConstraint("status IN ('ongoing', 'completed', 'dropped')",
                        name="ck_placement_checks_status"),
    )

    check_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.placement_id"), index=True)
    months: Mapped[int] = mapped_column(Integer)
    followed_up_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16))
    success: Mapped[bool | None] = mapped_column(Boolean)
    income_vnd_day: Mapped[int | None] = mapped_column(BigInteger)
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)



class ClubReferral(Base):
    """A client referred to a support club, with consent (matcher.matching.clubs); not a
    placement: nothing learns from it, plans it or prices it. Its outcome is whether the
    client is still attending three months after joining, as the social worker checked."""

    __tablename__ = "club_referrals"
    __table_args__ = (
        UniqueConstraint("client_id", "option_id", name="uq_club_referrals_client_club"),
    )

    referral_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), index=True)
    option_id: Mapped[str] = mapped_column(ForeignKey("options.option_id"), index=True)
    referred_on: Mapped[date] = mapped_column(Date)
    referred_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    # Whether the client was attending at the three-month check, and when it was made.
    attending_3m: Mapped[bool | None] = mapped_column(Boolean)
    checked_on: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

class ReferralAnswer(Base):
    """The provider's one answer to a referral (a placement into its option)."""

    __tablename__ = "referral_answers"
    __table_args__ = (
        CheckConstraint("answer IN ('accepted', 'declined')", name="ck_referral_answers_answer"),
    )

    # One answer per referral: the primary key refuses a second, even a concurrent one.
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.placement_id"),
                                              primary_key=True)
    answer: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    answered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PlacementReport(Base):
    """What happened after a referral, as the provider or the social worker reported it.

    kinds (matcher.vocab.referrals): started, attending (at 1 or 3 months), no_show,
    dropped (reason_code), completed (certificate), hired (wage_vnd_day). A social worker's
    follow-up in placement_checks stays the verified outcome; these are reports.
    """

    __tablename__ = "placement_reports"
    __table_args__ = (
        CheckConstraint("source IN ('provider', 'social_worker')",
                        name="ck_placement_reports_source"),
        CheckConstraint("wage_vnd_day IS NULL OR wage_vnd_day >= 0",
                        name="ck_placement_reports_wage"),
        # One report of each kind from each source: a second is refused, even a concurrent one.
        UniqueConstraint("placement_id", "kind", "source", name="uq_placement_reports"),
    )

    report_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    placement_id: Mapped[str] = mapped_column(ForeignKey("placements.placement_id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    reported_on: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    certificate: Mapped[bool | None] = mapped_column(Boolean)
    wage_vnd_day: Mapped[int | None] = mapped_column(BigInteger)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class FollowUp(Base):
    """The status of a client who was not placed, for comparison with those who were."""

    __tablename__ = "followups"
    __table_args__ = (UniqueConstraint("client_id", "followed_up_on", name="uq_followups"),)

    followup_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("clients.client_id"), index=True)
    followed_up_on: Mapped[date] = mapped_column(Date)
    earning: Mapped[bool] = mapped_column(Boolean)
    income_vnd_day: Mapped[int | None] = mapped_column(BigInteger)


class Suggestion(Base):
    """A ranked list shown for one client, with the model version that made it."""

    __tablename__ = "suggestions"

    suggestion_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client_id: Mapped[str | None] = mapped_column(ForeignKey("clients.client_id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    model_version: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # [{option_id, kind, score, p_success, reasons}], best first.
    entries: Mapped[list] = mapped_column(JSON)
    # The question as asked: the kind (null: any), the travel limit the list was made with,
    # and the limit given for this search only (null: the client's own). Null in lists
    # logged before revision 0004.
    kind: Mapped[str | None] = mapped_column(String(16))
    travel_limit_km: Mapped[float | None] = mapped_column(Float)
    max_travel_km: Mapped[float | None] = mapped_column(Float)
    # When nothing was eligible: the nearest options beyond reach, as shown (null otherwise).
    beyond_reach: Mapped[list | None] = mapped_column(JSON)
    # Whether the list was ranked net of seat prices, and what they rested on (0005).
    pricing: Mapped[dict | None] = mapped_column(JSON)


class Decision(Base):
    __tablename__ = "decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('accepted', 'declined')", name="ck_decisions_decision"),
    )

    decision_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.suggestion_id"), index=True
    )
    option_id: Mapped[str] = mapped_column(ForeignKey("options.option_id"))
    decision: Mapped[str] = mapped_column(String(16))
    reason_code: Mapped[str | None] = mapped_column(String(32))
    reason_text: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Who read or changed what, when, from where: ids only, never the sensitive values."""

    __tablename__ = "audit_log"

    audit_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    actor: Mapped[str] = mapped_column(String(100))  # username, or "cli" for the command line
    action: Mapped[str] = mapped_column(String(32))  # read, create, update, import, ...
    entity: Mapped[str] = mapped_column(String(32))  # client, option, placement, file, ...
    entity_id: Mapped[str | None] = mapped_column(String(64), index=True)
    source: Mapped[str | None] = mapped_column(String(64))  # IP address or "cli"
    detail: Mapped[dict | None] = mapped_column(JSON)  # counts and ids, never field values


class Plan(Base):
    """A cohort plan as computed; committing it reserves every seat at once or none."""

    __tablename__ = "plans"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'committed')", name="ck_plans_status"),
    )

    plan_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default="draft")
    model_version: Mapped[str] = mapped_column(String(64))
    budget_vnd: Mapped[int | None] = mapped_column(BigInteger)
    # The `allocate --json` body: assignments, objective, baselines, unassigned.
    body: Mapped[dict] = mapped_column(JSON)
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    committed_by: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))


class OptionChange(Base):
    """Every change of an option's seats, start date or openings: who, when, from what to what."""

    __tablename__ = "option_changes"

    change_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    option_id: Mapped[str] = mapped_column(
        ForeignKey("options.option_id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.user_id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(64))
    new_value: Mapped[str | None] = mapped_column(String(64))
    # What caused it: "provider" (an edit), "placement" (a seat taken), "plan", "import".
    cause: Mapped[str] = mapped_column(String(16))


class Generation(Base):
    """Counters bumped with every change of the catalogue, read by the API's matcher cache.

    "catalog": options, providers or model changed (rebuild); "capacity": only seats changed
    (reload the seat counts). One cheap primary-key read per request tells a worker whether
    its in-memory matcher is still current, whichever worker made the change.
    """

    __tablename__ = "generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class SeatPriceRun(Base):
    """One computation of the seat prices (matcher.pricing), and the state it rests on.

    Only the latest run is kept: every API worker ranks by it, so all of them use the
    same prices. ``basis`` holds the change counters and model version it was computed
    for; when they move on, the prices are recomputed.
    """

    __tablename__ = "seat_price_runs"

    run_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    computed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    basis: Mapped[str] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(16))
    n_waiting: Mapped[int] = mapped_column(Integer, default=0)
    # waiting since before the horizon with no suggestion ever asked (matcher.pricing.demand)
    n_idle: Mapped[int] = mapped_column(Integer, default=0)
    expected_arrivals: Mapped[float] = mapped_column(Float, default=0.0)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)


class SeatPrice(Base):
    """An option's seat price in a run (only options with a price or a holder are kept)."""

    __tablename__ = "seat_prices"

    run_id: Mapped[int] = mapped_column(ForeignKey("seat_price_runs.run_id", ondelete="CASCADE"),
                                        primary_key=True)
    option_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    price: Mapped[float] = mapped_column(Float)  # for a client the plan seats elsewhere
    held_price: Mapped[float] = mapped_column(Float)  # for one the plan seats here
    # the waiting clients' ids the plan seats here (to say "7 people waiting fit it better")
    holders: Mapped[list] = mapped_column(JSON)


class ReviewSnapshot(Base):
    """The last computed review of each kind (matcher.review.snapshots), shared by every API
    worker: "quick" without the effects of placement, "full" with them.

    ``basis`` is what the review was computed from (a hash of the model record and the data
    fingerprint); when the store's moves on, the review is recomputed in the background and
    this one is served meanwhile. A failed computation keeps the last body and records when
    and for which basis it failed.
    """

    __tablename__ = "review_snapshots"

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    basis: Mapped[str | None] = mapped_column(String(64), nullable=True)
    computed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    seconds: Mapped[float] = mapped_column(Float, default=0.0)
    body: Mapped[str | None] = mapped_column(Text, nullable=True)  # the review as JSON
    failed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    failed_basis: Mapped[str | None] = mapped_column(String(64), nullable=True)
    failure: Mapped[str | None] = mapped_column(String(200), nullable=True)


class ProviderPair(Base):
    """Two providers that may be one (matcher.ingest.duplicates): proposed by an import or a
    scan when their names are alike, then decided by a person, once and for all: merged, or
    distinct (never proposed again). Ids without foreign keys: a merged provider's row is
    gone, and the pair stays as its history."""

    __tablename__ = "provider_pairs"
    __table_args__ = (CheckConstraint("provider_a < provider_b", name="ck_provider_pairs_order"),)

    provider_a: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider_b: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), index=True)  # proposed, distinct, merged
    likeness: Mapped[float] = mapped_column(Float)  # 0-100 (provider_merge.likeness)
    found_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(100), nullable=True)


class ProviderMerge(Base):
    """A merge made by a person: what moved from the merged provider to the kept one, and the
    merged provider's row, so that it can be undone until a placement is recorded after it."""

    __tablename__ = "provider_merges"

    merge_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kept_id: Mapped[str] = mapped_column(String(64), index=True)
    merged_id: Mapped[str] = mapped_column(String(64), index=True)
    merged_row: Mapped[dict] = mapped_column(JSON)  # the merged provider as it was
    # {"options": [ids], "aliases": [ids], "users": [ids]}
    moved: Mapped[dict] = mapped_column(JSON)
    merged_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    merged_by: Mapped[str] = mapped_column(String(100))
    undone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    undone_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
