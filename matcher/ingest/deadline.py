"""An import's time limit, checked between rows.

Why a check in the loops and not a subprocess killed at the deadline: every step of an import
is linear in an input that is already bounded (the upload's size, the encodings allowed, the
xlsx's unpacked size and declared rows and columns), so no single step between two checks can
run long; a check per row then frees the worker's thread within moments of the deadline. A
subprocess would have to send the parsed rows back and could not share the request's
database transaction, which the all-or-nothing import relies on.
"""

from __future__ import annotations

import time

from matcher.ingest.errors import ImportFailed, Problem


class Deadline:
    """``check()`` raises :class:`ImportFailed` once ``seconds`` have passed since creation."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self._ends = time.monotonic() + seconds if seconds else None

    def check(self) -> None:
        if self._ends is not None and time.monotonic() > self._ends:
            raise ImportFailed([Problem(None, None, (
                f"the import took longer than {self.seconds:g} s and was stopped "
                "(setting MATCHER_IMPORT_MAX_SECONDS): split the file into smaller files"))])

    @classmethod
    def from_settings(cls) -> Deadline:
        from matcher.settings import get_settings

        return cls(get_settings().import_max_seconds)
