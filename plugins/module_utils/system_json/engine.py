# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One call from file bytes to what must change: used by the module on POSIX desks and by the action plugin
for Windows desks, so the merge exists in exactly one place."""

from __future__ import annotations

from ansible_collections.ioconnect.fleet.plugins.module_utils.common.checksum import checksum
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.difference import compute_drift, diff_texts
from ansible_collections.ioconnect.fleet.plugins.module_utils.common.errors import FleetError
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.document import Style, parse_bytes, render_new
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.hunks import unified
from ansible_collections.ioconnect.fleet.plugins.module_utils.system_json.merge import (
    Request,
    apply_request,
    deep_merge,
    document_kind,
)

WHEN_MISSING = ("fail", "skip", "create")


def base_path(path: str) -> str:
    """The system.json an override file is merged over: the one in the same folder (Windows or POSIX path)."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut + 1] + "system.json"


def _base_label(path: str) -> str:
    return "%s (the base file of %s)" % (base_path(path), path)


class Plan:
    """What a task will do to one file. new_bytes is None when nothing is written.

    diff_before/diff_after: the whole file's text before and after, masked (see difference.diff_texts), made on
    first use from document (the parsed file) and new_bytes, with the request's masking policy (masking); diff()
    shows only their hunks.
    """

    def __init__(self, path, exists, changed, drift, new_bytes=None, before=None, after=None,
                 diff_before=None, diff_after=None, skipped=False, original_checksum="absent", document=None,
                 masking=None, base=None):
        self.path = path
        self.exists = exists
        self.changed = changed
        self.drift = drift
        self.new_bytes = new_bytes
        self.before = before
        self.after = after
        self._diff_before = diff_before
        self._diff_after = diff_after
        self._diff_note = None
        self.skipped = skipped
        self.original_checksum = original_checksum
        self.base = base  # an override's base file (its value), when known
        self.document = document
        self.masking = masking

    def _diff_texts(self):
        if self._diff_before is None or self._diff_after is None:
            if self.changed and self.new_bytes is not None:
                try:
                    self._diff_before, self._diff_after = diff_texts(self.document, self.new_bytes, self.path,
                                                                     self.masking)
                except RecursionError:
                    # Masking walks the values; a file nested hundreds of levels deep is not shown rather than
                    # shown unmasked (the merge itself did not need that depth).
                    note = "(not shown: %s nests values too deeply to mask them safely)\n" % self.path
                    self._diff_before, self._diff_after = (note if self.exists else ""), note
                    self._diff_note = note
            else:
                self._diff_before, self._diff_after = "", ""
        return self._diff_before, self._diff_after

    @property
    def diff_before(self) -> str:
        """The file's text (masked) before the change; '' for a new file."""
        return self._diff_texts()[0]

    @property
    def diff_after(self) -> str:
        """The text (masked) of the bytes that will be written."""
        return self._diff_texts()[1]

    def merged_view(self) -> dict:
        """What the desktop runs with: the document, or an override merged over its base file."""
        return self.after if self.base is None else deep_merge(self.base, self.after)

    @property
    def msg(self) -> str:
        if self.skipped:
            return ("%s does not exist: io.Connect Desktop is not installed there (when_missing=skip); nothing done"
                    % self.path)
        if not self.changed:
            return "%s already holds the requested settings" % self.path
        verb = "created" if not self.exists else "updated"
        return "%s %s: %d setting(s) drifted (%s)" % (
            self.path, verb, len(self.drift), ", ".join(e["pointer"] for e in self.drift[:8])
            + (", ..." if len(self.drift) > 8 else ""))

    def diff(self) -> dict:
        """The task's diff: the hunks of the masked texts around what changed (hunks.unified), as ansible-core's
        ``prepared`` diff, so what is shown and returned stays proportional to the change, not to the file."""
        before_header = "%s (before)" % self.path if self.exists else "%s (absent)" % self.path
        after_header = "%s (after)" % self.path
        return {
            "before_header": before_header,
            "after_header": after_header,
            "prepared": (unified(self.diff_before, self.diff_after, before_header, after_header)
                         or self._diff_note or ""),
        }

    def result(self, diff_mode: bool = False) -> dict:
        """The task result keys documented in RETURN (without backup_file, which the writer adds)."""
        out = {"changed": self.changed, "path": self.path, "exists": self.exists, "drift": self.drift,
               "msg": self.msg}
        if diff_mode and self.changed:
            out["diff"] = self.diff()
        return out


def plan(raw, request: Request, path: str, when_missing: str = "fail", newline: str = "\n", *, kind: str = "auto",
         base=None, windows: bool = False) -> Plan:
    """What a task does to one file.

    raw: the file's bytes, or None when it does not exist.
    kind: 'base', 'override' or 'auto' (system-<ENV>-<REGION>.json is an override, see merge.document_kind).
    base: for an override, the bytes of the system.json it is merged over (None when unknown or absent): the
    desktop's merged view is then checked too.
    windows: the file is on a Windows desk, so app store folder paths match as Windows matches them
    (case-insensitively, either separator); POSIX desks match them case-sensitively.
    """
    try:
        return _plan(raw, request, path, when_missing, newline, document_kind(path, kind), base, windows)
    except RecursionError:
        # Parsing, comparing and masking recurse once per level; a file nested hundreds of levels deep
        # (never a real system.json) must end in a clear error, not a traceback.
        raise FleetError(
            "%s nests objects or arrays too deeply (hundreds of levels) to be merged safely; no io.Connect Desktop "
            "setting needs that. Check the file for corruption; it was left unchanged." % path, kind="parse")


def _plan(raw, request, path, when_missing, newline, kind, base_raw, windows):
    if when_missing not in WHEN_MISSING:
        raise FleetError("when_missing must be one of %s, not %r" % (", ".join(WHEN_MISSING), when_missing))
    base = parse_bytes(base_raw, _base_label(path)).value if kind == "override" and base_raw is not None else None
    masking = request.masking
    document = None
    if raw is None:
        if when_missing == "skip":
            return Plan(path, exists=False, changed=False, drift=[], skipped=True, masking=masking)
        if when_missing == "fail":
            raise FleetError(
                "%s does not exist. Is io.Connect Desktop installed for this user? Check path, or set "
                "when_missing=skip to pass over desks without it, or when_missing=create to create the file." % path,
                kind="missing")
        before = {}
        after = apply_request(before, request, kind, base, windows=windows)
        drift = compute_drift(before, after, masking)
        new_bytes = render_new(after, Style(newline=newline))
        changed = True
    else:
        document = parse_bytes(raw, path)
        before = document.value
        after = apply_request(before, request, kind, base, windows=windows)
        drift = compute_drift(before, after, masking)
        changed = bool(drift)
        new_bytes = document.render(after) if changed else None
    return Plan(path, exists=raw is not None, changed=changed, drift=drift, new_bytes=new_bytes, before=before,
                after=after, original_checksum=checksum(raw), document=document, masking=masking, base=base)
