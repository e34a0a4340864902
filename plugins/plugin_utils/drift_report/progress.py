# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A progress line for long drift runs that never floods the terminal.

A line is due when another ``every`` desks are done, or when ``interval`` seconds passed since the last line
and something moved; never more often than ``min_gap`` seconds, except for the final line. Pure Python.
"""

from __future__ import annotations

import time
import typing as t


class ProgressMeter:
    """Decides when to print; the caller prints what ``line()`` returns."""

    def __init__(self, total: int = 0, every: int = 0, interval: float = 10.0, min_gap: float = 1.0,
                 clock: t.Callable[[], float] = time.monotonic) -> None:
        self.total = total
        self._every_option = every
        self.interval = interval
        self.min_gap = min_gap
        self._clock = clock
        self._start = clock()
        self._last_time = self._start
        self._last_done = 0
        self.lines = 0

    @property
    def every(self) -> int:
        """Desks between two lines: the option, or about a tenth of the fleet (at least 10)."""
        if self._every_option > 0:
            return self._every_option
        return max(10, self.total // 10) if self.total else 25

    def due(self, done: int, final: bool = False) -> bool:
        """True when a line should be printed now for ``done`` desks done."""
        if done <= self._last_done and not final:
            return False
        now = self._clock()
        if final:
            return done != self._last_done or self.lines == 0
        if now - self._last_time < self.min_gap:
            return False
        crossed = done // self.every > self._last_done // self.every
        return crossed or (now - self._last_time) >= self.interval

    def line(self, done: int, counts: t.Mapping[str, int]) -> str:
        """The text, and the meter's state moved on (call only when ``due``)."""
        now = self._clock()
        self._last_time = now
        self._last_done = done
        self.lines += 1
        total = " / %d" % self.total if self.total else ""
        pct = " (%d%%)" % (100 * done // self.total) if self.total else ""
        return ("drift: %d%s desks done%s, %d drifted, %d failed, %d unreachable, %ds elapsed" % (
            done, total, pct, counts.get("drifted", 0), counts.get("failed", 0), counts.get("unreachable", 0),
            int(now - self._start)))
