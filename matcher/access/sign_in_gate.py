"""How many password checks run at once in this worker process.

An argon2 check takes 64 MiB and tens of milliseconds of CPU; without a bound, a burst of
sign-ins fills the threadpool and the memory. At most ``total`` checks run at once, at most
one per account and two per address; a try beyond that is refused at once (429, retry in
1 s) without hashing anything. Per process, in memory: the database counters
(matcher/access/sign_in_limits.py) are what holds across workers.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

PER_ACCOUNT = 1
PER_ADDRESS = 2


class Gate:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._total = 0
        self._held: Counter[str] = Counter()

    @contextmanager
    def slot(self, account: str, address: str, total: int) -> Iterator[bool]:
        """True while a check for ``account`` from ``address`` may run; False when over a
        bound (then nothing is held)."""
        acct, addr = f"account:{account}", f"address:{address}"
        with self._lock:
            free = (self._total < total and self._held[acct] < PER_ACCOUNT
                    and self._held[addr] < PER_ADDRESS)
            if free:
                self._total += 1
                self._held[acct] += 1
                self._held[addr] += 1
        try:
            yield free
        finally:
            if free:
                with self._lock:
                    self._total -= 1
                    for k in (acct, addr):
                        self._held[k] -= 1
                        if not self._held[k]:
                            del self._held[k]


GATE = Gate()
