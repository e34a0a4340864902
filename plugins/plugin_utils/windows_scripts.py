# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The two PowerShell scripts the collection runs on Windows desks, through ansible.windows.win_powershell.

Everything else on a Windows desk is done with ansible.windows' own modules (win_find, slurp) and
community.windows.win_shortcut. These scripts exist because no module can do what they do in one step:

COMMIT writes files safely. For each file: the new bytes go to a temporary file beside it (same folder, so same
volume), written through to disk; then the file's SHA-1 is checked against the one the merge was made from (a
file saved meanwhile is not overwritten); then the backup is copied to the name the controller chose (win_copy's
pattern, <path>.<pid>.<yyyyMMdd-HHmmss>.bak, with the controller's process id); then the temporary file replaces the file in one step with
[System.IO.File]::Replace (the ReplaceFile API: the original's ACL and attributes are kept), or is renamed into
place ([System.IO.File]::Move) when there was none. A failure leaves the file as it was and removes the temporary
file (and the backup, which then backs up nothing). The same script restores backups and deletes created files for
rollback (with the same guard), creates folders, and writes the ledger entry, listing exactly the files whose
operation succeeded. What cannot be made atomic: NTFS has
no compare-and-swap, so a save landing between the checksum check and the replace (microseconds apart) would be
replaced; the checksum check itself makes the window no longer than that.

LOGGED_ON lists the profiles of the users logged on now: Win32_UserProfile with a loaded hive, not a special
(system) profile, and whether the connecting account can list each. It declares SupportsShouldProcess, so
win_powershell runs it in check mode too (it only reads).

Each script's first line names it and its version; tests/windesk (the test-only emulator of Windows desks) answers
them by that line and says in its comments which line of the script each step of its answer follows.
"""

from __future__ import annotations

COMMIT_NAME = "ioconnect.fleet commit/1"
LOGGED_ON_NAME = "ioconnect.fleet logged-on-profiles/1"

COMMIT = r"""# ioconnect.fleet commit/1
param (
    [object[]] $Operations = @(),
    [string[]] $Folders = @(),
    [object[]] $Ledger = @(),
    [string[]] $Remove = @()
)
$ErrorActionPreference = 'Stop'
$utf8 = New-Object System.Text.UTF8Encoding($false)

function Get-Sha1 {
    param ([string] $Path)
    if (-not [System.IO.File]::Exists($Path)) { return 'absent' }
    $stream = [System.IO.File]::Open($Path, [System.IO.FileMode]::Open, [System.IO.FileAccess]::Read,
        [System.IO.FileShare]::ReadWrite)
    try {
        $sha1 = [System.Security.Cryptography.SHA1]::Create()
        ([System.BitConverter]::ToString($sha1.ComputeHash($stream)) -replace '-', '').ToLowerInvariant()
    }
    finally {
        $stream.Dispose()
    }
}

function New-Beside {
    # The bytes in a new temporary file beside Path, written through to disk.
    param ([string] $Path, [byte[]] $Bytes)
    $folder = [System.IO.Path]::GetDirectoryName($Path)
    if (-not [System.IO.Directory]::Exists($folder)) {
        throw (New-Object System.IO.DirectoryNotFoundException("the folder $folder does not exist"))
    }
    $name = '.' + [System.IO.Path]::GetFileName($Path) + '.' + [Guid]::NewGuid().ToString('N') + '.tmp'
    $temp = [System.IO.Path]::Combine($folder, $name)
    $stream = New-Object System.IO.FileStream($temp, [System.IO.FileMode]::CreateNew, [System.IO.FileAccess]::Write,
        [System.IO.FileShare]::None, 65536, [System.IO.FileOptions]::WriteThrough)
    try {
        $stream.Write($Bytes, 0, $Bytes.Length)
        $stream.Flush($true)
    }
    finally {
        $stream.Dispose()
    }
    $temp
}

function Set-InOneStep {
    # Temp takes Path's place: ReplaceFile keeps Path's ACL and attributes; MoveFile when there is no Path yet.
    param ([string] $Temp, [string] $Path)
    if ([System.IO.File]::Exists($Path)) {
        [System.IO.File]::Replace($Temp, $Path, [NullString]::Value)
    }
    else {
        [System.IO.File]::Move($Temp, $Path)
    }
}

function Write-InOneStep {
    param ([string] $Path, [byte[]] $Bytes)
    $temp = New-Beside -Path $Path -Bytes $Bytes
    try {
        Set-InOneStep -Temp $temp -Path $Path
    }
    finally {
        if ([System.IO.File]::Exists($temp)) { [System.IO.File]::Delete($temp) }
    }
}

$changed = $false
$results = @()
$problems = @()
foreach ($folder in $Folders) {
    try {
        if (-not [System.IO.Directory]::Exists($folder)) {
            $null = [System.IO.Directory]::CreateDirectory($folder)
            $changed = $true
        }
    }
    catch {
        $problems += "cannot create the folder $($folder): $($_.Exception.Message)"
    }
}
foreach ($op in $Operations) {
    # Paths are expanded for the connecting account, as slurp's src (a path option) was.
    $path = [System.Environment]::ExpandEnvironmentVariables($op.path)
    $out = @{ path = $path; done = $false; failed = $false; msg = ''; error_kind = ''; backup_file = $null;
        sha1 = $null }
    $temp = $null
    $backup = $null
    try {
        if ($op.op -eq 'delete') {
            $current = Get-Sha1 -Path $path
            if ($null -ne $op.expected -and $current -ne $op.expected) {
                $out.failed = $true; $out.error_kind = 'conflict'
                $out.msg = "$path changed meanwhile (sha1 $current, expected $($op.expected)); it was left alone"
            }
            elseif ($current -ne 'absent') {
                [System.IO.File]::Delete($path)
                $out.done = $true
            }
        }
        else {
            if ($op.op -eq 'restore') {
                $bytes = [System.IO.File]::ReadAllBytes([System.Environment]::ExpandEnvironmentVariables($op.source))
            }
            else {
                $bytes = [System.Convert]::FromBase64String($op.content)
            }
            $temp = New-Beside -Path $path -Bytes $bytes
            $current = Get-Sha1 -Path $path
            if ($null -ne $op.expected -and $current -ne $op.expected) {
                $out.failed = $true; $out.error_kind = 'conflict'
                $out.msg = "$path changed on the desk after it was read (sha1 $current, expected " +
                "$($op.expected)): another process is editing it. Nothing was written; run the task again."
            }
            else {
                if ($op.backup -and $current -ne 'absent') {
                    $candidate = [System.Environment]::ExpandEnvironmentVariables($op.backup)
                    [System.IO.File]::Copy($path, $candidate, $false)
                    $backup = $candidate
                }
                Set-InOneStep -Temp $temp -Path $path
                $temp = $null
                $out.done = $true
                $out.backup_file = $backup
                $out.sha1 = Get-Sha1 -Path $path
            }
        }
    }
    catch {
        $out.failed = $true
        $out.error_kind = 'io'
        $out.msg = "cannot change $($path): $($_.Exception.Message); the file was left as it was"
        if ($backup -and [System.IO.File]::Exists($backup)) {
            try { [System.IO.File]::Delete($backup) } catch { $out.backup_file = $backup }
        }
    }
    finally {
        if ($temp -and [System.IO.File]::Exists($temp)) {
            try { [System.IO.File]::Delete($temp) } catch { $out.msg += " (the temporary file $temp is left)" }
        }
    }
    if ($out.done) { $changed = $true }
    $results += $out
}
# Each ledger entry is head + the records of the operations it selects, joined by sep, + tail: texts made on the
# controller, so that an entry lists exactly the files this run changed (or, for rollback, those it could not undo).
$ledgerResults = @()
foreach ($entry in $Ledger) {
    $item = @{ path = $entry.path; failed = $false; msg = ''; written = $false; deleted = $false }
    try {
        $parts = @($entry.fixed | Where-Object { $_ } | ForEach-Object { $utf8.GetString([System.Convert]::FromBase64String($_)) })
        foreach ($index in $entry.ops) {
            $done = $results[[int]$index].done
            if (($entry.select -eq 'done' -and $done) -or ($entry.select -eq 'not_done' -and -not $done)) {
                $parts += $utf8.GetString([System.Convert]::FromBase64String($Operations[[int]$index].record))
            }
        }
        if ($parts.Count -gt 0 -or $entry.when_empty -eq 'write') {
            $text = $utf8.GetString([System.Convert]::FromBase64String($entry.head)) + ($parts -join $entry.sep) +
            $utf8.GetString([System.Convert]::FromBase64String($entry.tail))
            $null = [System.IO.Directory]::CreateDirectory([System.IO.Path]::GetDirectoryName($entry.path))
            Write-InOneStep -Path $entry.path -Bytes $utf8.GetBytes($text)
            $item.written = $true
            $changed = $true
        }
        elseif ($entry.when_empty -eq 'delete' -and [System.IO.File]::Exists($entry.path)) {
            [System.IO.File]::Delete($entry.path)
            $item.deleted = $true
            $changed = $true
        }
    }
    catch {
        $item.failed = $true
        $item.msg = "cannot write the ledger entry $($entry.path): $($_.Exception.Message)"
    }
    $ledgerResults += $item
}
$removed = @()
foreach ($path in $Remove) {
    try {
        if ([System.IO.File]::Exists($path)) {
            [System.IO.File]::Delete($path)
            $removed += $path
            $changed = $true
        }
    }
    catch {
        $problems += "cannot delete $($path): $($_.Exception.Message)"
    }
}
$Ansible.Result = @{ operations = $results; ledger = $ledgerResults; removed = $removed; problems = $problems }
$Ansible.Changed = $changed
"""

LOGGED_ON = r"""# ioconnect.fleet logged-on-profiles/1
[CmdletBinding(SupportsShouldProcess)]
param ()
$ErrorActionPreference = 'Stop'
$found = @()
$loaded = Get-CimInstance -ClassName Win32_UserProfile -Filter 'Loaded = TRUE AND Special = FALSE'
foreach ($userProfile in $loaded) {
    $item = @{ path = $userProfile.LocalPath; readable = $true; reason = '' }
    try {
        $null = [System.IO.Directory]::GetFileSystemEntries($userProfile.LocalPath)
    }
    catch {
        $item.readable = $false
        $item.reason = $_.Exception.Message
    }
    $found += $item
}
$Ansible.Result = @{ profiles = $found }
$Ansible.Changed = $false
"""
