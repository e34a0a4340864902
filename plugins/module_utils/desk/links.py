# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which links inside a user's profile ioconnect.fleet follows: one rule for POSIX and Windows desks.

The collection runs as an administrator (root, or an admin account on Windows) in folders its users own. A link
there is followed only when

- an administrator planted it (owned by root, or by BUILTIN\\Administrators, NT AUTHORITY\\SYSTEM or
  TrustedInstaller: VDI images and folder redirection do this), or
- its target stays inside the same profile (a user may arrange their own files as they like).

Every other link (a symbolic link, a junction, a mount point) is refused: the file, or the profile, fails alone
with error_kind ``unsafe_link`` and a message naming the link, its owner and its target; nothing is read from it
and nothing written through it. Anchors: systemd-tmpfiles' "unsafe path transition", OpenSSH's StrictModes,
Microsoft's guidance for privileged code (FILE_FLAG_OPEN_REPARSE_POINT, GetFinalPathNameByHandle), Windows 11's
RedirectionGuard (junctions made by non-administrators are not followed).

Pure Python, no Ansible imports: the desk module (POSIX), the action plugins (Windows, on the controller) and the
tests share it. The Windows scripts apply the same rule on the desk (plugin_utils/windows_scripts.py) with the
owner names and SIDs listed here.
"""

from __future__ import annotations

ERROR_KIND = "unsafe_link"

# Owners whose links are followed on Windows: names as NTAccount.Value gives them, and their well-known SIDs.
WINDOWS_ADMIN_NAMES = ("BUILTIN\\Administrators", "NT AUTHORITY\\SYSTEM", "NT SERVICE\\TrustedInstaller")
WINDOWS_ADMIN_SIDS = (
    "S-1-5-32-544",  # BUILTIN\Administrators
    "S-1-5-18",  # NT AUTHORITY\SYSTEM (LocalSystem)
    "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",  # NT SERVICE\TrustedInstaller
)


class LinkDecision:
    """follow: whether the link may be followed; message: why not (empty when it may)."""

    def __init__(self, follow: bool, message: str = ""):
        self.follow = follow
        self.message = message

    def __bool__(self) -> bool:
        return self.follow

    def __repr__(self) -> str:
        return "LinkDecision(%r, %r)" % (self.follow, self.message)


def windows_admin(owner: str) -> bool:
    """Whether a Windows owner (NTAccount name or SID string) is an administrator's."""
    if not owner:
        return False
    value = owner.strip()
    return value.upper() in {s.upper() for s in WINDOWS_ADMIN_SIDS} or \
        value.lower() in {n.lower() for n in WINDOWS_ADMIN_NAMES}


def inside(flavour, path: str, folder: str) -> bool:
    """Whether path is folder or below it, after normalising both (.. resolved lexically; Windows paths compared
    case-insensitively, as NTFS compares them)."""
    if not path or not folder:
        return False
    norm_path = flavour.normcase(flavour.normpath(path))
    norm_folder = flavour.normcase(flavour.normpath(folder)).rstrip(flavour.sep)
    if norm_path == norm_folder:
        return True
    return norm_path.startswith(norm_folder + flavour.sep)


def absolute_target(flavour, link: str, stored: str) -> str:
    """A link's target as an absolute, normalised path: a relative target is relative to the link's folder."""
    if not stored:
        return ""
    if flavour.isabs(stored):
        return flavour.normpath(stored)
    return flavour.normpath(flavour.join(flavour.dirname(link), stored))


def refusal(path: str, owner: str, target: str, profile: str) -> str:
    """The one wording of a refused link, on every platform."""
    return ("%s is a link owned by %s to %s, outside the profile %s; ioconnect.fleet does not follow it"
            % (path, owner or "an unknown owner", target or "an unknown target", profile))


def decide(flavour, path: str, owner: str, target: str, profile: str, owner_is_admin: bool) -> LinkDecision:
    """Follow or refuse the link at path (owner: its owner's name; target: where it points, absolute, "" when it
    cannot be read; profile: the profile folder, or install folder, the path belongs to; owner_is_admin: whether
    the owner is root / an administrator, as the desk says)."""
    if owner_is_admin:
        return LinkDecision(True)
    if target and inside(flavour, target, profile):
        return LinkDecision(True)
    return LinkDecision(False, refusal(path, owner, target, profile))
