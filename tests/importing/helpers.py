"""Small factories for contract files, and a snapshot to show a database did not change."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlalchemy import Engine, MetaData, select

from matcher.ingest.contract import CONTRACT

PROVIDERS = [
    {"provider_id": "TR1", "name": "Cơ sở May Hồng Hà", "kind": "trainer",
     "place": "Phường Hồng Gai", "phone": "0912000001"},
    {"provider_id": "TR2", "name": "Salon tóc Thu Trang", "kind": "trainer",
     "place": "Cao Xanh", "phone": ""},
    {"provider_id": "EM1", "name": "Khách sạn Vịnh Xanh", "kind": "employer",
     "place": "tp Ha Long", "phone": ""},
]
OPTIONS = [
    {"option_id": "OP1", "provider_id": "TR1", "kind": "training", "title": "Học may cơ bản",
     "trades": "may", "place": "Hồng Gai", "capacity": "5", "min_age": "13", "max_age": "",
     "cost_vnd": "3.000.000", "wage_vnd_day": "", "duration_weeks": "12", "women_only": "0",
     "sign_language": "1", "accepts_records": "có", "start_date": "2026-12-01"},
    {"option_id": "OP2", "provider_id": "TR2", "kind": "training",
     "title": "Cắt tóc cầm tay chỉ việc",
     "trades": "cắt tóc;gội đầu", "place": "P. Cao Xanh", "capacity": "3", "min_age": "13",
     "max_age": "30", "cost_vnd": "3000000", "wage_vnd_day": "80000", "duration_weeks": "16",
     "women_only": "false", "sign_language": "0", "accepts_records": "1",
     "start_date": "2026-12-15"},
    {"option_id": "OP3", "provider_id": "EM1", "kind": "job", "title": "Phục vụ bàn",
     "trades": "phuc vu ban", "place": "Hạ Long", "capacity": "2", "min_age": "18",
     "max_age": "", "cost_vnd": "", "wage_vnd_day": "250000", "duration_weeks": "",
     "women_only": "0", "sign_language": "0", "accepts_records": "không", "start_date": ""},
]
CLIENTS = [
    {"client_id": "KH1", "full_name": "Nguyễn Thị An", "birth_date": "2011-03-04",
     "gender": "female", "group": "youth_at_risk", "place": "Hồng Gai",
     "education": "lower_secondary", "disability": "none", "interests": "thích cắt tóc",
     "skills": "", "max_travel_km": "10", "needs_women_only": "0", "household_poor": "1",
     "ethnic_minority": "0", "married": "0", "prior_income_vnd_month": "0",
     "consent_share": "1", "registered_on": "2026-01-10"},
    {"client_id": "KH2", "full_name": "Trần Văn Bình", "birth_date": "1995-07-20",
     "gender": "nam", "group": "after_rehab", "place": "Dong Trieu",
     "education": "upper_secondary", "disability": "", "interests": "sửa xe máy",
     "skills": "lái xe", "max_travel_km": "25,5", "needs_women_only": "", "household_poor": "0",
     "ethnic_minority": "0", "married": "1", "prior_income_vnd_month": "2.500.000",
     "consent_share": "có", "registered_on": "2025-05-01"},
]
PLACEMENTS = [
    {"placement_id": "PL1", "client_id": "KH1", "option_id": "OP2", "start_date": "2026-02-01",
     "status": "completed", "success": "1", "income_vnd_day": "80000",
     "followed_up_on": "2026-08-01"},
    {"placement_id": "PL2", "client_id": "KH2", "option_id": "OP3", "start_date": "2026-03-01",
     "status": "ongoing", "success": "", "income_vnd_day": "", "followed_up_on": ""},
]
FOLLOWUPS = [
    {"client_id": "KH2", "followed_up_on": "2025-11-01", "earning": "0", "income_vnd_day": ""},
]
GOOD = {"providers": PROVIDERS, "options": OPTIONS, "clients": CLIENTS,
        "placements": PLACEMENTS, "followups": FOLLOWUPS}


def write_csv(path: Path, rows: list[dict], *, columns: list[str] | None = None,
              encoding: str = "utf-8", delimiter: str = ",") -> Path:
    columns = columns or list(rows[0])
    with path.open("w", encoding=encoding, newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, delimiter=delimiter,
                                extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


def contract_columns(kind: str) -> list[str]:
    return [c.name for c in CONTRACT[kind]]


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, to compare a database before and after a failed import."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.connect() as conn:
        return {name: sorted(map(tuple, conn.execute(select(table))), key=repr)
                for name, table in meta.tables.items()}
