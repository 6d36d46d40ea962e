"""The codes of the closed referral loop: a provider's answer and its reports.

A provider answers a referral once (accepted, or declined with a reason) and then reports
what happened, each report dated. The codes are stored as given; their words live in the
pages' catalogues (``referral.decline.<code>``, ``referral.report.<kind>``,
``referral.drop.<code>``).
"""

from __future__ import annotations

#: Why a provider declines a referral; "other" needs a text.
DECLINE_REASONS: tuple[str, ...] = ("full", "not_suitable", "cannot_reach", "other")
#: What a provider (or social worker) reports. no_show ends the referral and frees its seat.
REPORT_KINDS: tuple[str, ...] = ("started", "attending_1m", "attending_3m", "no_show",
                                 "dropped", "completed", "hired")
#: Why a client dropped out; "other" needs no text (a report is not a conversation).
DROP_REASONS: tuple[str, ...] = ("moved", "health", "family", "work_elsewhere",
                                 "lost_contact", "conduct", "other")
#: Reports that end a referral before the client started: its seat goes back at once.
ENDS_UNSTARTED: frozenset[str] = frozenset({"no_show"})
#: The highest daily wage a report may give. The province's reports speak of 50,000 to
#: 100,000 VND a day; twenty times the upper figure still admits any real wage here and
#: refuses a slip of the keyboard (an extra zero or two).
WAGE_CEILING_VND_DAY = 2_000_000
#: The longest free text of a decline ("other").
REASON_TEXT_MAX = 300

__all__ = ["DECLINE_REASONS", "DROP_REASONS", "ENDS_UNSTARTED", "REASON_TEXT_MAX",
           "REPORT_KINDS", "WAGE_CEILING_VND_DAY"]
