# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which drifted desks the loop may put right now, and which first: the guardrails, as one pure function.

``decide(candidates, policy, state, now)`` takes the desks an event names, the guardrail settings, what the ledger
knows (recent attempts, failed remediations nobody cleared, runs in progress, scans already acted on) and the time,
and returns the plan: the canary desks, the rest of the wave, and every desk left alone with its reason. No I/O, no
clock, no Ansible: the rulebook's playbook calls it through the ``remediation_plan`` action, tests call it directly.

Rules, in the order they are applied to each desk:

1. not in the inventory: skipped (nothing can be run on it);
2. the same scan was already acted on, or the desk was put right after that scan: skipped (no duplicate);
3. opted out (its name or one of its groups is in ``opt_out``, or its opt-out host variable is true): opted_out;
4. its last remediation failed and no person cleared it since: blocked;
5. a remediation of it is still running: skipped;
6. outside every change window: deferred (the next scan raises it again);
7. more desks than the throttle allows in its sliding window: deferred, the oldest drift first served;
8. of the desks left, when they are at least ``canary_threshold`` (an upgrade wave), the first ``canary_count`` (desks
   of the canary group first, then by name) are the canary: the rest is configured only if every canary succeeds.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import typing as t

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")


@dataclasses.dataclass(frozen=True)
class ChangeWindow:
    start: datetime.time
    end: datetime.time  # end <= start: the window runs past midnight
    days: tuple = DAYS  # the day the window *opens*

    def contains(self, local: datetime.datetime) -> bool:
        clock = local.time().replace(tzinfo=None)
        today = DAYS[local.weekday()]
        yesterday = DAYS[(local.weekday() - 1) % 7]
        if self.start < self.end:
            return today in self.days and self.start <= clock < self.end
        # Past midnight: the evening part opens today, the morning part opened yesterday.
        return (today in self.days and clock >= self.start) or (yesterday in self.days and clock < self.end)


@dataclasses.dataclass(frozen=True)
class Policy:
    throttle_max: int = 10
    throttle_window: datetime.timedelta = datetime.timedelta(hours=1)
    change_windows: tuple = ()  # empty: always open
    timezone: datetime.tzinfo = datetime.timezone.utc
    canary_threshold: int = 5
    canary_count: int = 1
    opt_out: frozenset = frozenset()  # desk or group names
    in_progress_timeout: datetime.timedelta = datetime.timedelta(hours=1)


@dataclasses.dataclass(frozen=True)
class Candidate:
    desk: str
    scan_run_id: str
    scanned_at: str
    drifted_since: str = ""
    region: str = ""
    environment: str = ""
    groups: tuple = ()
    in_inventory: bool = True
    opted_out: bool = False  # the desk's opt-out host variable
    canary_group: bool = False  # a member of the inventory's canary group


@dataclasses.dataclass
class LedgerState:
    attempted: set = dataclasses.field(default_factory=set)  # desks attempted within the throttle window
    blocked: dict = dataclasses.field(default_factory=dict)  # desk -> text: last remediation failed, not cleared
    in_progress: set = dataclasses.field(default_factory=set)
    handled: set = dataclasses.field(default_factory=set)  # (desk, scan_run_id) already acted on
    put_right_at: dict = dataclasses.field(default_factory=dict)  # desk -> time its last remediation succeeded


@dataclasses.dataclass
class Plan:
    canary: list = dataclasses.field(default_factory=list)  # Candidates
    rollout: list = dataclasses.field(default_factory=list)
    left: list = dataclasses.field(default_factory=list)  # (Candidate, decision, reason)

    @property
    def desks(self) -> list:
        return [c.desk for c in self.canary + self.rollout]


def parse_policy(throttle_max: int = 10, throttle_window_minutes: float = 60, change_windows=None,
                 timezone: str = "UTC", canary_threshold: int = 5, canary_count: int = 1, opt_out=None,
                 in_progress_timeout_minutes: float = 60) -> Policy:
    """A Policy from plain settings (the action's options); ValueError naming the setting and what to write."""
    if int(throttle_max) < 0:
        raise ValueError("throttle_max must be 0 or more (0 stops every remediation), got %r" % throttle_max)
    if float(throttle_window_minutes) <= 0:
        raise ValueError("throttle_window must be a number of minutes above 0, got %r" % throttle_window_minutes)
    if int(canary_count) < 1 or int(canary_threshold) < 1:
        raise ValueError("canary_count and canary_threshold must be 1 or more, got %r and %r"
                         % (canary_count, canary_threshold))
    try:
        import zoneinfo

        zone = datetime.timezone.utc if timezone in ("", "UTC", "utc", None) else zoneinfo.ZoneInfo(timezone)
    except Exception as exc:
        raise ValueError("timezone %r is not a known time zone (an IANA name such as Europe/London): %s"
                         % (timezone, exc)) from exc
    windows = tuple(parse_window(item, index) for index, item in enumerate(change_windows or []))
    return Policy(throttle_max=int(throttle_max),
                  throttle_window=datetime.timedelta(minutes=float(throttle_window_minutes)),
                  change_windows=windows, timezone=zone, canary_threshold=int(canary_threshold),
                  canary_count=int(canary_count), opt_out=frozenset(opt_out or ()),
                  in_progress_timeout=datetime.timedelta(minutes=float(in_progress_timeout_minutes)))


def parse_window(item: t.Mapping, index: int = 0) -> ChangeWindow:
    """``{start: "06:00", end: "08:00", days: [mon, tue]}`` (days optional: every day)."""
    where = "change_windows[%d]" % index
    if not isinstance(item, t.Mapping):
        raise ValueError("%s must be a mapping with start, end and optionally days, got %r" % (where, item))
    unknown = set(item) - {"start", "end", "days"}
    if unknown:
        raise ValueError("%s: unknown key(s) %s; use start, end, days" % (where, ", ".join(sorted(unknown))))
    times = []
    for key in ("start", "end"):
        match = _HHMM.match(str(item.get(key, "")))
        if not match:
            raise ValueError('%s.%s must be a time "HH:MM" (24 h), got %r' % (where, key, item.get(key)))
        times.append(datetime.time(int(match.group(1)), int(match.group(2))))
    if times[0] == times[1]:
        raise ValueError("%s: start and end are equal (%s); leave change_windows empty for always" % (where, item))
    days = item.get("days") or list(DAYS)
    if isinstance(days, str):
        days = [d.strip() for d in days.split(",")]
    days = tuple(str(d).strip().lower()[:3] for d in days)
    bad = [d for d in days if d not in DAYS]
    if bad:
        raise ValueError("%s.days: %s not a day; use %s" % (where, ", ".join(bad), ", ".join(DAYS)))
    return ChangeWindow(start=times[0], end=times[1], days=days)


def window_open(policy: Policy, now: datetime.datetime) -> bool:
    if not policy.change_windows:
        return True
    local = now.astimezone(policy.timezone)
    return any(w.contains(local) for w in policy.change_windows)


def next_opening(policy: Policy, now: datetime.datetime) -> datetime.datetime | None:
    """When a change window opens next (to the minute), within a week; None when always open or never."""
    if not policy.change_windows:
        return None
    local = now.astimezone(policy.timezone).replace(second=0, microsecond=0)
    for minutes in range(1, 8 * 24 * 60):
        probe = local + datetime.timedelta(minutes=minutes)
        if window_open(policy, probe):
            return probe
    return None


def decide(candidates: t.Iterable[Candidate], policy: Policy, state: LedgerState,
           now: datetime.datetime) -> Plan:
    plan = Plan()
    latest: dict = {}
    for cand in candidates:  # one candidate per desk: its latest scan
        known = latest.get(cand.desk)
        if known is None or (cand.scanned_at, cand.scan_run_id) > (known.scanned_at, known.scan_run_id):
            latest[cand.desk] = cand
    eligible = []
    for cand in sorted(latest.values(), key=lambda c: c.desk):
        groups = set(cand.groups)
        if not cand.in_inventory:
            plan.left.append((cand, "skipped", "not in the inventory of this run"))
        elif (cand.desk, cand.scan_run_id) in state.handled:
            plan.left.append((cand, "skipped", "already acted on for this scan"))
        elif state.put_right_at.get(cand.desk, "") > cand.scanned_at:
            plan.left.append((cand, "skipped", "put right at %s, after this scan" % state.put_right_at[cand.desk]))
        elif cand.opted_out or cand.desk in policy.opt_out or groups & policy.opt_out:
            why = sorted(({cand.desk} | groups) & policy.opt_out)
            plan.left.append((cand, "opted_out", "opted out (%s)" % (", ".join(why) if why else "host variable")))
        elif cand.desk in state.blocked:
            plan.left.append((cand, "blocked", "last remediation failed (%s); a person must clear it first"
                              % state.blocked[cand.desk]))
        elif cand.desk in state.in_progress:
            plan.left.append((cand, "skipped", "a remediation of this desk is still running"))
        else:
            eligible.append(cand)
    if eligible and not window_open(policy, now):
        opens = next_opening(policy, now)
        reason = "outside the change window" + (" (next opens %s)" % opens.isoformat() if opens else "")
        plan.left += [(cand, "deferred", reason) for cand in eligible]
        return plan
    budget = max(0, policy.throttle_max - len(state.attempted))
    eligible.sort(key=lambda c: (c.drifted_since or c.scanned_at, c.desk))  # the oldest drift first
    wave, rest = eligible[:budget], eligible[budget:]
    plan.left += [(cand, "deferred", "throttle: at most %d desk(s) per %s, %d already in this window"
                   % (policy.throttle_max, _span(policy.throttle_window), len(state.attempted)))
                  for cand in rest]
    if len(wave) >= policy.canary_threshold:
        ordered = sorted(wave, key=lambda c: (not c.canary_group, c.desk))
        plan.canary = ordered[:policy.canary_count]
        plan.rollout = sorted(ordered[policy.canary_count:], key=lambda c: c.desk)
    else:
        plan.rollout = sorted(wave, key=lambda c: c.desk)
    return plan


def _span(delta: datetime.timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    return "%d min" % minutes if minutes % 60 else "%d h" % (minutes // 60)
