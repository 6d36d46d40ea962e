"""The support clubs of the synthetic world, after the ones the province's reports name.

Nine clubs helping people after drug rehabilitation back into the community, five clubs
against trafficking and supporting its victims in Hạ Long's wards (Cao Xanh, Hồng Gai,
Bạch Đằng, Hùng Thắng, Tuần Châu: the last three now within Hồng Gai and Bãi Cháy, and the
place resolver maps the old names), the deaf club (43 members, signing) and peer groups of
women in Cẩm Phả and Uông Bí. Their places left are drawn from a stream of their own, so
adding them changes nothing else of the world; the clubs are not placements, so the truth
has nothing to say of them (matcher.vocab.kinds).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

REHAB_PLACES = ("Phường Hà Tu", "Phường Cẩm Phả", "Phường Uông Bí", "Phường Quảng Yên",
                "Phường Đông Triều", "Phường Mạo Khê", "Phường Móng Cái 1", "Đặc khu Vân Đồn",
                "Xã Tiên Yên")
TRAFFICKING_WARDS = ("Phường Cao Xanh", "Phường Hồng Gai", "Phường Bạch Đằng",
                     "Phường Hùng Thắng", "Phường Tuần Châu")
WOMEN_PLACES = ("Phường Cẩm Phả", "Phường Uông Bí")

#: (name, place, groups served, women only, signs, accepts records, places: 0 = no limit)
Club = tuple[str, str, str, bool, bool, bool, int]


def _short(place: str) -> str:
    for prefix in ("Phường ", "Xã ", "Đặc khu "):
        place = place.removeprefix(prefix)
    return place


def _clubs(rng: np.random.Generator) -> list[Club]:
    rows: list[Club] = []
    for place in REHAB_PLACES:
        short = _short(place)
        rows.append((f"Câu lạc bộ hòa nhập cộng đồng sau cai nghiện {short}", place,
                     "after_rehab", False, False, True, int(rng.choice([0, 20, 30]))))
    for place in TRAFFICKING_WARDS:
        short = _short(place)
        rows.append((f"Câu lạc bộ phòng, chống mua bán người {short}", place,
                     "trafficking_returnee", False, False, True, int(rng.integers(12, 26))))
    rows.append(("Câu lạc bộ người Điếc Quảng Ninh", "Phường Hồng Gai", "disabled", False,
                 True, True, 0))
    for place in WOMEN_PLACES:
        short = _short(place)
        rows.append((f"Nhóm đồng đẳng phụ nữ {short}", place,
                     "gbv_survivor; sex_worker_exiting; trafficking_returnee", True, False, True,
                     int(rng.integers(10, 21))))
    return rows


def club_frames(seed: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The clubs as contract rows: (providers, options), every cell text ("" unknown)."""
    rng = np.random.default_rng([seed, 71])
    rows = _clubs(rng)
    ids = [f"CL{i:04d}" for i in range(1, len(rows) + 1)]
    phones = [f"0203{int(n):07d}" for n in rng.integers(0, 10**7, size=len(rows))]
    providers = pd.DataFrame({"provider_id": ids, "name": [r[0] for r in rows],
                              "kind": "club", "place": [r[1] for r in rows], "phone": phones})
    options = pd.DataFrame({
        "option_id": [f"OPCL{i:04d}" for i in range(1, len(rows) + 1)],
        "provider_id": ids, "kind": "club",
        "title": [f"Sinh hoạt {r[0][0].lower()}{r[0][1:]}" for r in rows],
        "trades": "", "place": [r[1] for r in rows],
        "capacity": [str(r[6]) if r[6] else "" for r in rows],
        "min_age": "16", "max_age": "", "cost_vnd": "", "wage_vnd_day": "",
        "duration_weeks": "",
        "women_only": [str(int(r[3])) for r in rows],
        "sign_language": [str(int(r[4])) for r in rows],
        "accepts_records": [str(int(r[5])) for r in rows], "start_date": "",
        "groups_served": [r[2] for r in rows],
    })
    return providers, options


__all__ = ["club_frames"]
