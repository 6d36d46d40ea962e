"""The reasons shown with a suggestion, in Vietnamese and English.

Each reason is ``{"code", "vi", "en"}``: the code is stable for programs and reviews, the
texts are for people. Nothing here names the client's group: reasons may reach a provider.
"""

from __future__ import annotations

from dataclasses import dataclass

from matcher.vocab.kinds import BY_CODE

STRONG_WISH = 0.8
SOME_WISH = 0.3


@dataclass(frozen=True)
class Evidence:
    """Past placements like this one (same trade and kind, similar clients), and successes."""

    n: int
    successes: int
    scope: str  # "similar" (same group and age band), "trade" (same trade and kind), "none"


def reason(code: str, vi: str, en: str) -> dict[str, str]:
    return {"code": code, "vi": vi, "en": en}


def wish_reason(wish: float, trade_vi: str, trade_en: str) -> dict[str, str] | None:
    if wish >= STRONG_WISH:
        return reason("wish_match", f"Đúng nguyện vọng: {trade_vi.lower()}",
                      f"Matches the client's wishes: {trade_en.lower()}")
    if wish >= SOME_WISH:
        return reason("wish_near", f"Gần với nguyện vọng: {trade_vi.lower()}",
                      f"Close to the client's wishes: {trade_en.lower()}")
    return None


def distance_reason(distance_km: float) -> dict[str, str]:
    if distance_km < 0.5:
        return reason("distance", "Ngay tại địa phương", "In the client's own locality")
    return reason("distance", f"Cách {km(distance_km)} km", f"{km(distance_km, 'en')} km away")


def _seats_left(kind: str, seats: int) -> tuple[str, str]:
    """"Còn 3 chỗ học" / "3 seats left", in the kind's own word for a seat."""
    known = BY_CODE.get(kind)
    unit_vi, unit_en = (known.seat_vi, known.seat_en) if known else ("chỗ", "place")
    plural = "" if seats == 1 else "s"
    return f"Còn {seats} {unit_vi}", f"{seats} {unit_en}{plural} left"


def capacity_reason(kind: str, seats: int) -> dict[str, str]:
    return reason("capacity", *_seats_left(kind, seats))


def contested_reason(kind: str, seats: int, contenders: int) -> dict[str, str]:
    """Why a contested option ranks lower: its seats are few and others need them more."""
    vi, en = _seats_left(kind, seats)
    if contenders > 0:
        return reason("contested", f"{vi}; {contenders} người đang chờ phù hợp với chỗ này hơn",
                      f"{en}; {contenders} people waiting are a better fit for them")
    return reason("contested", f"{vi}; người đăng ký sắp tới có thể cần chỗ này hơn",
                  f"{en}; clients expected soon may need them more")


def money_reason(kind: str, cost_vnd: float | None, wage_vnd_day: float | None):
    out = []
    if wage_vnd_day and wage_vnd_day > 0:
        out.append(reason("earnings", f"Thu nhập khoảng {vnd(wage_vnd_day)}/ngày",
                          f"Earnings about {vnd(wage_vnd_day, 'en')} a day"))
    if cost_vnd and cost_vnd > 0:
        known = BY_CODE.get(kind)
        what_vi, what_en = (known.cost_vi, known.cost_en) if known else ("Chi phí", "Cost")
        out.append(reason("cost", f"{what_vi}: {vnd(cost_vnd)}",
                          f"{what_en}: {vnd(cost_vnd, 'en')}"))
    return out


def evidence_reason(evidence: Evidence, kind: str) -> dict[str, str]:
    if evidence.n == 0:
        return reason("evidence_none", "Chưa có người nào có hoàn cảnh tương tự học/làm ở đây",
                      "No similar past placement to learn from yet")
    known = BY_CODE.get(kind)
    who_vi, who_en = (known.participants_vi, known.participants_en) if known else (
        "người", "people")
    alike_vi = "có hoàn cảnh tương tự" if evidence.scope == "similar" else "cùng nghề"
    alike_en = "in a similar situation" if evidence.scope == "similar" else "in the same trade"
    return reason(
        "evidence",
        f"{evidence.successes}/{evidence.n} {who_vi} {alike_vi} có thu nhập ổn định sau 6 tháng",
        f"{evidence.successes} of {evidence.n} {who_en} {alike_en} earned a stable living "
        "after 6 months",
    )


def vnd(amount: float, lang: str = "vi") -> str:
    """Money as each language writes it: "3.000.000 đ", "VND 3,000,000"."""
    grouped = f"{int(round(amount)):,}"
    return grouped.replace(",", ".") + " đ" if lang == "vi" else f"VND {grouped}"


def km(distance: float, lang: str = "vi") -> str:
    """A distance with one decimal below 10 km; Vietnamese writes a decimal comma."""
    text = f"{distance:.0f}" if distance >= 10 else f"{distance:.1f}".removesuffix(".0")
    return text.replace(".", ",") if lang == "vi" else text
