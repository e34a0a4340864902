# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The PowerShell scripts the collection runs on Windows desks, through ansible.windows.win_powershell.

SCAN reads a desk in one module execution (check mode costs exactly that): it lists the profiles, walks the
folders discovery names (module_utils/desk/discovery.py gives the folders, the file names and the depth; the
controller classifies what comes back), and reads every candidate file (bytes as base64, SHA-1), reporting each
unreadable profile or folder with its reason. It declares SupportsShouldProcess, so win_powershell runs it in check
mode too (it only reads).

COMMIT writes files. For each file: the path is resolved one component at a time (the link rule below), every
folder of it from the profile down is pinned (held open without FILE_SHARE_DELETE, so that no folder of the path
can be renamed, deleted or swapped for a junction while the file is written), the file is read through a handle
opened with FILE_FLAG_OPEN_REPARSE_POINT whose final path (GetFinalPathNameByHandle) must be the resolved path, its
SHA-1 is checked against the one the merge was made from (a file saved meanwhile is not overwritten), the new bytes
go to a temporary file created exclusively (CREATE_NEW, never through a link) under a random name beside it, the
backup is created the same way under the random name the controller chose, and ReplaceFile puts the temporary
file in place in one step (the original's ACL, owner and attributes are kept), with a second random name for the
replaced file so that no documented failure can lose it. What each ReplaceFile failure leaves (Win32 docs,
ReplaceFileW) is settled there and then: the file ends with the old bytes or the new ones under its name, and the
result says which (``holds``). The same script restores backups for rollback (only a plain file holding the bytes
the ledger recorded, only into a file still holding what the run wrote), deletes files a run created, creates the
Start-menu folders, and writes the ledger entry, listing exactly the files whose operation succeeded.

The link rule (module_utils/desk/links.py, the same on POSIX desks): a symbolic link, junction or mount point
inside a profile is followed only when an administrator owns it (BUILTIN\\Administrators, SYSTEM,
TrustedInstaller: VDI images, folder redirection) or when its target stays inside the same profile; any other makes
the file (or the profile) fail alone with error_kind unsafe_link, naming the link, its owner and its target.

Both scripts compile the small C# class SAFE_IO with Add-Type (P/Invoke of CreateFileW, GetFinalPathNameByHandleW,
GetFileInformationByHandle, DeviceIoControl FSCTL_GET_REPARSE_POINT, GetSecurityInfo, ReplaceFileW, MoveFileExW;
Windows PowerShell 5.1 and .NET Framework 4.x only). Constrained Language Mode (App Control for Business / WDAC or
AppLocker enforcing) refuses Add-Type, and win_powershell's inline scripts are not signed, so on such a desk both
scripts stop with that error and the desk fails: nothing is read or written without the checks
(docs/windows-connection.md says what an administrator does about it).

Each script's first line names it and its version; tests/windesk (the test-only emulator of Windows desks) answers
them by that line and says in its comments which line of the script each step of its answer follows.
"""

from __future__ import annotations

COMMIT_NAME = "ioconnect.fleet commit/2"
SCAN_NAME = "ioconnect.fleet scan/1"

# The C# both scripts compile (Add-Type): every check is made on an open handle, never on a name checked earlier.
SAFE_IO = r"""using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.InteropServices;
using System.Security.Principal;
using System.Text;
using Microsoft.Win32.SafeHandles;

namespace IoConnectFleet
{
    // A link the rule of module_utils/desk/links.py refuses, or a path that moved while it was used.
    public class UnsafeLinkException : IOException
    {
        public UnsafeLinkException(string message) : base(message) { }
    }

    public class Node
    {
        public string Path = "";       // the entry's own path, as the handle says (GetFinalPathNameByHandle)
        public bool Exists;
        public bool IsDirectory;
        public bool IsLink;            // a name-surrogate reparse point: symbolic link, junction, mount point
        public string LinkType = "";   // SymbolicLink | Junction | ''
        public string Target = "";     // absolute target; '' when it is no drive path (a volume GUID, ...)
        public string Owner = "";      // NTAccount name, or the SID when it does not translate
        public string OwnerSid = "";
        public uint HardLinks;
    }

    // Handles held open without FILE_SHARE_DELETE on every folder of a path: while they are held, no folder of the
    // path can be renamed, deleted or replaced by a junction (a folder that holds entries cannot become one).
    public class Pins : IDisposable
    {
        private readonly List<SafeFileHandle> handles = new List<SafeFileHandle>();
        public void Add(SafeFileHandle handle) { handles.Add(handle); }
        public void Dispose()
        {
            foreach (SafeFileHandle handle in handles) { handle.Dispose(); }
            handles.Clear();
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct ByHandleFileInformation
    {
        public uint FileAttributes;
        public System.Runtime.InteropServices.ComTypes.FILETIME CreationTime;
        public System.Runtime.InteropServices.ComTypes.FILETIME LastAccessTime;
        public System.Runtime.InteropServices.ComTypes.FILETIME LastWriteTime;
        public uint VolumeSerialNumber;
        public uint FileSizeHigh;
        public uint FileSizeLow;
        public uint NumberOfLinks;
        public uint FileIndexHigh;
        public uint FileIndexLow;
    }

    public static class SafeIo
    {
        private const uint GENERIC_READ = 0x80000000;
        private const uint GENERIC_WRITE = 0x40000000;
        private const uint READ_CONTROL = 0x00020000;
        private const uint FILE_READ_ATTRIBUTES = 0x00000080;
        private const uint FILE_SHARE_READ = 1;
        private const uint FILE_SHARE_WRITE = 2;
        private const uint FILE_SHARE_DELETE = 4;
        private const uint CREATE_NEW = 1;
        private const uint OPEN_EXISTING = 3;
        private const uint FILE_ATTRIBUTE_DIRECTORY = 0x10;
        private const uint FILE_ATTRIBUTE_REPARSE_POINT = 0x400;
        private const uint FILE_ATTRIBUTE_NORMAL = 0x80;
        private const uint FILE_FLAG_WRITE_THROUGH = 0x80000000;
        private const uint FILE_FLAG_BACKUP_SEMANTICS = 0x02000000;
        private const uint FILE_FLAG_OPEN_REPARSE_POINT = 0x00200000;
        private const uint FSCTL_GET_REPARSE_POINT = 0x000900A8;
        private const uint IO_REPARSE_TAG_MOUNT_POINT = 0xA0000003;
        private const uint IO_REPARSE_TAG_SYMLINK = 0xA000000C;
        private const uint SYMLINK_FLAG_RELATIVE = 1;
        private const int SE_FILE_OBJECT = 1;
        private const uint OWNER_SECURITY_INFORMATION = 1;
        private const int ERROR_FILE_NOT_FOUND = 2;
        private const int ERROR_PATH_NOT_FOUND = 3;
        private const int MAXIMUM_REPARSE_DATA_BUFFER_SIZE = 16 * 1024;
        private const int MAX_LINK_HOPS = 31;  // what the Windows object manager allows

        // Owners whose links are followed: BUILTIN\Administrators, LocalSystem, TrustedInstaller (links.py).
        public static readonly string[] AdminSids = new string[] {
            "S-1-5-32-544", "S-1-5-18", "S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464" };

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern SafeFileHandle CreateFileW(string name, uint access, uint share, IntPtr security,
            uint disposition, uint flags, IntPtr template);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern uint GetFinalPathNameByHandleW(SafeFileHandle handle, StringBuilder path, uint size,
            uint flags);

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern bool GetFileInformationByHandle(SafeFileHandle handle,
            out ByHandleFileInformation information);

        [DllImport("kernel32.dll", SetLastError = true)]
        private static extern bool DeviceIoControl(SafeFileHandle handle, uint code, IntPtr input, uint inputSize,
            byte[] output, uint outputSize, out uint returned, IntPtr overlapped);

        [DllImport("advapi32.dll", SetLastError = true)]
        private static extern uint GetSecurityInfo(SafeFileHandle handle, int type, uint information,
            out IntPtr owner, IntPtr group, IntPtr dacl, IntPtr sacl, out IntPtr descriptor);

        [DllImport("kernel32.dll")]
        private static extern IntPtr LocalFree(IntPtr memory);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool ReplaceFileW(string replaced, string replacement, string backup, uint flags,
            IntPtr exclude, IntPtr reserved);

        [DllImport("kernel32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
        private static extern bool MoveFileExW(string existing, string target, uint flags);

        private static IOException LastError(string what, string path)
        {
            int code = Marshal.GetLastWin32Error();
            return new IOException(String.Format("{0} {1}: {2} (Win32 error {3})", what, path,
                new System.ComponentModel.Win32Exception(code).Message, code), code);
        }

        // The path a handle is open on (GetFinalPathNameByHandle, FILE_NAME_NORMALIZED | VOLUME_NAME_DOS).
        public static string FinalPath(SafeFileHandle handle)
        {
            StringBuilder buffer = new StringBuilder(1024);
            uint length = GetFinalPathNameByHandleW(handle, buffer, (uint)buffer.Capacity, 0);
            if (length > buffer.Capacity)
            {
                buffer = new StringBuilder((int)length);
                length = GetFinalPathNameByHandleW(handle, buffer, (uint)buffer.Capacity, 0);
            }
            if (length == 0) { throw LastError("GetFinalPathNameByHandle failed for", "a handle"); }
            string path = buffer.ToString();
            if (path.StartsWith(@"\\?\UNC\", StringComparison.Ordinal)) { return @"\\" + path.Substring(8); }
            if (path.StartsWith(@"\\?\", StringComparison.Ordinal)) { return path.Substring(4); }
            return path;
        }

        public static bool Same(string left, string right)
        {
            return String.Equals(left.TrimEnd('\\'), right.TrimEnd('\\'), StringComparison.OrdinalIgnoreCase);
        }

        public static bool Inside(string path, string folder)
        {
            string child = System.IO.Path.GetFullPath(path).TrimEnd('\\');
            string parent = System.IO.Path.GetFullPath(folder).TrimEnd('\\');
            return Same(child, parent) || child.StartsWith(parent + "\\", StringComparison.OrdinalIgnoreCase);
        }

        public static bool IsAdmin(string sid)
        {
            return Array.IndexOf(AdminSids, sid) >= 0;
        }

        // The same words as links.refusal() on the controller.
        public static string Refusal(Node node, string root)
        {
            return String.Format("{0} is a link owned by {1} to {2}, outside the profile {3}; ioconnect.fleet does " +
                "not follow it", node.Path, node.Owner == "" ? "an unknown owner" : node.Owner,
                node.Target == "" ? "an unknown target" : node.Target, root);
        }

        // Opens the entry itself, never what it points to (FILE_FLAG_OPEN_REPARSE_POINT).
        private static SafeFileHandle OpenEntry(string path, uint access, uint share)
        {
            return CreateFileW(path, access, share, IntPtr.Zero, OPEN_EXISTING,
                FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT, IntPtr.Zero);
        }

        // What is at path (its last component not followed): kind, owner, link target, hard links. With pins, the
        // handle stays open without FILE_SHARE_DELETE until the pins are disposed.
        public static Node Inspect(string path, Pins pins)
        {
            Node node = new Node();
            SafeFileHandle handle = OpenEntry(path, READ_CONTROL | FILE_READ_ATTRIBUTES,
                pins == null ? FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE : FILE_SHARE_READ | FILE_SHARE_WRITE);
            if (handle.IsInvalid)
            {
                int code = Marshal.GetLastWin32Error();
                handle.Dispose();
                if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) { node.Path = path; return node; }
                throw new IOException(String.Format("cannot open {0}: {1} (Win32 error {2})", path,
                    new System.ComponentModel.Win32Exception(code).Message, code), code);
            }
            bool keep = false;
            try
            {
                node.Exists = true;
                node.Path = FinalPath(handle);
                ByHandleFileInformation information;
                if (!GetFileInformationByHandle(handle, out information)) { throw LastError("cannot inspect", path); }
                node.IsDirectory = (information.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0;
                node.HardLinks = information.NumberOfLinks;
                node.OwnerSid = OwnerOf(handle, path);
                node.Owner = node.OwnerSid;
                try { node.Owner = new SecurityIdentifier(node.OwnerSid).Translate(typeof(NTAccount)).Value; }
                catch (IdentityNotMappedException) { }
                catch (SystemException) { }
                if ((information.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0) { ReadLink(handle, node); }
                // Only plain folders are pinned: a file must stay renameable (ReplaceFile renames it), and a link
                // followed is not used again (its checked target is).
                if (pins != null && node.IsDirectory && !node.IsLink) { pins.Add(handle); keep = true; }
            }
            finally
            {
                if (!keep) { handle.Dispose(); }
            }
            return node;
        }

        private static string OwnerOf(SafeFileHandle handle, string path)
        {
            IntPtr owner, descriptor;
            uint code = GetSecurityInfo(handle, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION, out owner, IntPtr.Zero,
                IntPtr.Zero, IntPtr.Zero, out descriptor);
            if (code != 0)
            {
                throw new IOException(String.Format("cannot read the owner of {0}: {1}", path,
                    new System.ComponentModel.Win32Exception((int)code).Message), (int)code);
            }
            try { return new SecurityIdentifier(owner).Value; }
            finally { LocalFree(descriptor); }
        }

        // FSCTL_GET_REPARSE_POINT: symbolic links and junctions (mount points) redirect; other reparse points
        // (OneDrive placeholders, deduplicated files, ...) are not name surrogates and are plain entries here.
        private static void ReadLink(SafeFileHandle handle, Node node)
        {
            byte[] buffer = new byte[MAXIMUM_REPARSE_DATA_BUFFER_SIZE];
            uint returned;
            if (!DeviceIoControl(handle, FSCTL_GET_REPARSE_POINT, IntPtr.Zero, 0, buffer, (uint)buffer.Length,
                out returned, IntPtr.Zero))
            {
                throw LastError("cannot read the reparse point", node.Path);
            }
            uint tag = BitConverter.ToUInt32(buffer, 0);
            if ((tag & 0x20000000) == 0) { return; }  // IsReparseTagNameSurrogate
            node.IsLink = true;
            int start;
            bool relative = false;
            if (tag == IO_REPARSE_TAG_SYMLINK)
            {
                node.LinkType = "SymbolicLink";
                relative = (BitConverter.ToUInt32(buffer, 16) & SYMLINK_FLAG_RELATIVE) != 0;
                start = 20;
            }
            else if (tag == IO_REPARSE_TAG_MOUNT_POINT)
            {
                node.LinkType = "Junction";
                start = 16;
            }
            else
            {
                node.LinkType = String.Format("0x{0:X8}", tag);
                return;  // a name surrogate whose target is not read here: refused unless an administrator's
            }
            int offset = BitConverter.ToUInt16(buffer, 8);
            int length = BitConverter.ToUInt16(buffer, 10);
            string target = Encoding.Unicode.GetString(buffer, start + offset, length);
            if (target.StartsWith(@"\??\UNC\", StringComparison.Ordinal)) { target = @"\\" + target.Substring(8); }
            else if (target.StartsWith(@"\??\", StringComparison.Ordinal)) { target = target.Substring(4); }
            if (relative)
            {
                target = System.IO.Path.GetFullPath(System.IO.Path.Combine(
                    System.IO.Path.GetDirectoryName(node.Path), target));
            }
            // A volume GUID path (a mount point of a whole volume) or an NT path is no drive path: unknown target.
            if (!(target.Length > 2 && target[1] == ':') && !target.StartsWith(@"\\", StringComparison.Ordinal))
            {
                target = "";
            }
            node.Target = target;
        }

        // Walks path one component at a time from its drive, each entry opened without following it, and applies
        // the link rule: a link is followed only when an administrator owns it or its target stays inside root.
        // Returns the path with every link replaced by its (checked) target: the real path, where no link is left.
        // Folders at or below root are pinned (pins). Components that do not exist yet are appended as they are.
        public static string Resolve(string path, string root, Pins pins)
        {
            return Resolve(path, root, pins, 0);
        }

        private static string Resolve(string path, string root, Pins pins, int hops)
        {
            if (hops > MAX_LINK_HOPS) { throw new IOException("too many links on the way to " + path); }
            string full = System.IO.Path.GetFullPath(path);
            string current = System.IO.Path.GetPathRoot(full);
            string[] parts = full.Substring(current.Length).Split(new char[] { '\\' },
                StringSplitOptions.RemoveEmptyEntries);
            for (int i = 0; i < parts.Length; i++)
            {
                string candidate = System.IO.Path.Combine(current, parts[i]);
                Node node = Inspect(candidate, Inside(candidate, root) ? pins : null);
                if (!node.Exists)
                {
                    return System.IO.Path.Combine(current, String.Join("\\", parts, i, parts.Length - i));
                }
                if (node.IsLink)
                {
                    bool follow = IsAdmin(node.OwnerSid) || (node.Target != "" && Inside(node.Target, root));
                    if (!follow) { throw new UnsafeLinkException(Refusal(node, root)); }
                    current = Resolve(node.Target, root, pins, hops + 1);
                }
                else
                {
                    current = node.Path;
                }
            }
            return current;
        }

        // Opens a resolved file to read it: still no link, still where it was resolved, a single hard link.
        public static FileStream OpenRead(string resolved, string root)
        {
            SafeFileHandle handle = CreateFileW(resolved, GENERIC_READ | READ_CONTROL, FILE_SHARE_READ | FILE_SHARE_WRITE,
                IntPtr.Zero, OPEN_EXISTING, FILE_FLAG_OPEN_REPARSE_POINT, IntPtr.Zero);
            if (handle.IsInvalid)
            {
                int code = Marshal.GetLastWin32Error();
                handle.Dispose();
                if (code == ERROR_FILE_NOT_FOUND || code == ERROR_PATH_NOT_FOUND) { return null; }
                throw new IOException(String.Format("cannot open {0}: {1} (Win32 error {2})", resolved,
                    new System.ComponentModel.Win32Exception(code).Message, code), code);
            }
            try
            {
                Check(handle, resolved, root);
                return new FileStream(handle, FileAccess.Read);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        // The handle is a plain file (no reparse point, one hard link) at exactly the path that was checked.
        private static void Check(SafeFileHandle handle, string resolved, string root)
        {
            ByHandleFileInformation information;
            if (!GetFileInformationByHandle(handle, out information)) { throw LastError("cannot inspect", resolved); }
            if ((information.FileAttributes & FILE_ATTRIBUTE_REPARSE_POINT) != 0)
            {
                Node node = Inspect(resolved, null);
                if (node.IsLink) { throw new UnsafeLinkException(Refusal(node, root)); }
            }
            if ((information.FileAttributes & FILE_ATTRIBUTE_DIRECTORY) != 0)
            {
                throw new IOException(resolved + " is a folder, not a file");
            }
            if (information.NumberOfLinks > 1)
            {
                throw new UnsafeLinkException(String.Format("{0} has {1} hard links (names elsewhere for the same " +
                    "bytes); ioconnect.fleet does not read or write it", resolved, information.NumberOfLinks));
            }
            string final = FinalPath(handle);
            if (!Same(final, resolved))
            {
                throw new UnsafeLinkException(String.Format("{0} is now {1}: a folder on its path was replaced " +
                    "while it was used; nothing was read or written", resolved, final));
            }
        }

        // A new file, created exclusively (CREATE_NEW: fails when the name exists, a link included, which
        // FILE_FLAG_OPEN_REPARSE_POINT keeps from being followed), written through, checked where it landed.
        public static FileStream CreateExclusive(string path, string root)
        {
            SafeFileHandle handle = CreateFileW(path, GENERIC_READ | GENERIC_WRITE, 0, IntPtr.Zero, CREATE_NEW,
                FILE_ATTRIBUTE_NORMAL | FILE_FLAG_WRITE_THROUGH | FILE_FLAG_OPEN_REPARSE_POINT, IntPtr.Zero);
            if (handle.IsInvalid)
            {
                int code = Marshal.GetLastWin32Error();
                handle.Dispose();
                throw new IOException(String.Format("cannot create {0}: {1} (Win32 error {2})", path,
                    new System.ComponentModel.Win32Exception(code).Message, code), code);
            }
            try
            {
                string final = FinalPath(handle);
                if (!Same(final, path))
                {
                    throw new UnsafeLinkException(String.Format("{0} was created as {1}: a folder on its path was " +
                        "replaced while it was used", path, final));
                }
                return new FileStream(handle, FileAccess.ReadWrite);
            }
            catch
            {
                handle.Dispose();
                throw;
            }
        }

        // ReplaceFile: 0 when done, else the Win32 error (1175 ERROR_UNABLE_TO_REMOVE_REPLACED, 1176
        // ERROR_UNABLE_TO_MOVE_REPLACEMENT, 1177 ERROR_UNABLE_TO_MOVE_REPLACEMENT_2, ...): the caller settles
        // what the documented post-condition of each left behind.
        public static int Replace(string replaced, string replacement, string backup)
        {
            return ReplaceFileW(replaced, replacement, backup, 0, IntPtr.Zero, IntPtr.Zero) ? 0 :
                Marshal.GetLastWin32Error();
        }

        // MoveFileEx without MOVEFILE_REPLACE_EXISTING (never over an existing name), written through.
        public static int Move(string source, string target)
        {
            return MoveFileExW(source, target, 8) ? 0 : Marshal.GetLastWin32Error();
        }
    }
}
"""

# What both scripts start with after their param block: SAFE_IO compiled, SHA-1, reading through a checked handle.
_PRELUDE = r"""$ErrorActionPreference = 'Stop'
# SAFE_IO: C# compiled with Add-Type (.NET Framework 4.x, Windows PowerShell 5.1). Constrained Language Mode refuses
# Add-Type, so on a desk under App Control (WDAC) or AppLocker enforcement the script stops here, before it has read
# or written anything (docs/windows-connection.md).
if (-not ('IoConnectFleet.SafeIo' -as [type])) {
    Add-Type -TypeDefinition @'
%SAFE_IO%
'@
}

$utf8 = New-Object System.Text.UTF8Encoding($false)

function Get-Sha1 {
    param ([byte[]] $Bytes)
    if ($null -eq $Bytes) { return 'absent' }
    $sha1 = [System.Security.Cryptography.SHA1]::Create()
    try {
        ([System.BitConverter]::ToString($sha1.ComputeHash($Bytes)) -replace '-', '').ToLowerInvariant()
    }
    finally {
        $sha1.Dispose()
    }
}

function Read-Checked {
    # The bytes of a resolved file ($null when there is none), read through a handle that is no link, is the only
    # name of its file, and is open where the path was resolved to (SafeIo.OpenRead).
    param ([string] $Real, [string] $Root)
    $stream = [IoConnectFleet.SafeIo]::OpenRead($Real, $Root)
    if ($null -eq $stream) { return $null }
    try {
        $buffer = New-Object System.IO.MemoryStream
        $stream.CopyTo($buffer)
        , $buffer.ToArray()
    }
    finally {
        $stream.Dispose()
    }
}

function Get-Cause {
    # The .NET exception behind an error record (PowerShell wraps a method's exception in MethodInvocationException).
    param ($ErrorRecord)
    $cause = $ErrorRecord.Exception
    while ($cause -is [System.Management.Automation.MethodInvocationException] -and $null -ne $cause.InnerException) {
        $cause = $cause.InnerException
    }
    $cause
}

function Get-Kind {
    param ($Cause)
    if ($Cause -is [IoConnectFleet.UnsafeLinkException]) { return 'unsafe_link' }
    if ($Cause -is [System.UnauthorizedAccessException]) { return 'access' }
    'io'
}
"""

COMMIT = r"""# ioconnect.fleet commit/2
param (
    [object[]] $Operations = @(),
    [object[]] $Folders = @(),
    [object[]] $Ledger = @(),
    [object[]] $Remove = @()
)
%PRELUDE%
$replaceErrors = @{
    1175 = 'ERROR_UNABLE_TO_REMOVE_REPLACED'
    1176 = 'ERROR_UNABLE_TO_MOVE_REPLACEMENT'
    1177 = 'ERROR_UNABLE_TO_MOVE_REPLACEMENT_2'
}

function New-Exclusive {
    # A new file holding Bytes: CREATE_NEW (fails when the name exists, as a link too), written through.
    param ([string] $Path, [string] $Root, [byte[]] $Bytes)
    $stream = [IoConnectFleet.SafeIo]::CreateExclusive($Path, $Root)
    try {
        $stream.Write($Bytes, 0, $Bytes.Length)
        $stream.Flush($true)
    }
    finally {
        $stream.Dispose()
    }
}

function Get-Holding {
    # The SHA-1 of what Real holds now; 'unknown' when it cannot be read as a plain file.
    param ([string] $Real, [string] $Root)
    try {
        Get-Sha1 (Read-Checked -Real $Real -Root $Root)
    }
    catch {
        'unknown'
    }
}

function Set-Checked {
    # Bytes take Real's place in one step, and every outcome is settled: the result says what Real holds after
    # (holds: new, old, none or other) and which files are kept because they hold the only copy of some bytes.
    param ([string] $Real, [string] $Root, [byte[]] $Bytes, [byte[]] $Old)
    $folder = [System.IO.Path]::GetDirectoryName($Real)
    $name = [System.IO.Path]::GetFileName($Real)
    $new = Get-Sha1 $Bytes
    $before = Get-Sha1 $Old
    $out = @{ holds = 'other'; msg = ''; left = @() }
    # step: temp
    $temp = [System.IO.Path]::Combine($folder, '.' + $name + '.' + [Guid]::NewGuid().ToString('N') + '.tmp')
    New-Exclusive -Path $temp -Root $Root -Bytes $Bytes
    # step: replace
    $displaced = $null
    if ($null -eq $Old) {
        $code = [IoConnectFleet.SafeIo]::Move($temp, $Real)
        $call = 'MoveFileEx'
    }
    else {
        # A backup name for ReplaceFile (random, beside it): with one, every documented failure keeps the replaced
        # file under a name (without one, ERROR_UNABLE_TO_MOVE_REPLACEMENT leaves it under none).
        $displaced = [System.IO.Path]::Combine($folder, '.' + $name + '.' + [Guid]::NewGuid().ToString('N') + '.old')
        $code = [IoConnectFleet.SafeIo]::Replace($Real, $temp, $displaced)
        $call = 'ReplaceFile'
    }
    # step: settle. What is under the name now decides, whatever the call answered.
    $now = Get-Holding -Real $Real -Root $Root
    if ($now -eq 'absent' -and $null -ne $displaced -and [System.IO.File]::Exists($displaced)) {
        # ERROR_UNABLE_TO_MOVE_REPLACEMENT_2: "the file to be replaced still exists with a different name" (the
        # backup name): it goes back under its own name (MoveFileEx, never over an existing name).
        if ((Get-Holding -Real $displaced -Root $Root) -eq $before -and
            [IoConnectFleet.SafeIo]::Move($displaced, $Real) -eq 0) {
            $now = Get-Holding -Real $Real -Root $Root
        }
    }
    if ($now -eq 'absent' -and [System.IO.File]::Exists($temp)) {
        # Nothing under the name and the new bytes still under the temporary one: they take the name.
        if ([IoConnectFleet.SafeIo]::Move($temp, $Real) -eq 0) {
            $now = Get-Holding -Real $Real -Root $Root
        }
    }
    if ($now -eq $new) { $out.holds = 'new' }
    elseif ($now -eq $before) { $out.holds = 'old' }
    elseif ($now -eq 'absent') { $out.holds = 'none' }
    if ($code -ne 0) {
        $label = $replaceErrors[[int]$code]
        if (-not $label) { $label = (New-Object System.ComponentModel.Win32Exception([int]$code)).Message }
        $out.msg = "$call failed (Win32 error $code, $label)"
    }
    # What this run made and no longer needs goes; what holds the only copy of some bytes stays, named.
    $spares = @($temp)
    if ($null -ne $displaced) { $spares += $displaced }
    foreach ($spare in $spares) {
        if (-not [System.IO.File]::Exists($spare)) { continue }
        if ($out.holds -eq 'new' -or $out.holds -eq 'old') {
            try { [System.IO.File]::Delete($spare) } catch { $out.left += $spare }
        }
        else {
            $out.left += $spare
        }
    }
    $out
}

function Get-Outcome {
    # The words for what a failed write left under the name.
    param ([string] $Path, $Set)
    $text = @{
        old = "$Path still holds its old settings"
        none = "$Path is missing; nothing was deleted"
        other = "$Path holds neither the old nor the new settings (someone else is writing it)"
    }[$Set.holds]
    if ($Set.left.Count -gt 0) { $text += "; kept for you: " + ($Set.left -join ', ') }
    $text
}

$changed = $false
$results = @()
$problems = @()
foreach ($folder in $Folders) {
    $pins = New-Object IoConnectFleet.Pins
    try {
        $path = [System.Environment]::ExpandEnvironmentVariables($folder.path)
        $root = [System.Environment]::ExpandEnvironmentVariables($folder.root)
        $real = [IoConnectFleet.SafeIo]::Resolve($path, $root, $pins)
        if (-not [System.IO.Directory]::Exists($real)) {
            $null = [System.IO.Directory]::CreateDirectory($real)
            $changed = $true
            $again = [IoConnectFleet.SafeIo]::Resolve($path, $root, $null)
            if (-not [IoConnectFleet.SafeIo]::Same($again, $real)) {
                throw (New-Object IoConnectFleet.UnsafeLinkException("$path became $again while it was created"))
            }
        }
    }
    catch {
        $problems += "cannot create the folder $($folder.path): $((Get-Cause $_).Message)"
    }
    finally {
        $pins.Dispose()
    }
}
foreach ($op in $Operations) {
    # Paths are expanded for the connecting account, as ansible.windows expands options of type path.
    $path = [System.Environment]::ExpandEnvironmentVariables($op.path)
    $root = [System.Environment]::ExpandEnvironmentVariables($op.root)
    $out = @{ path = $path; done = $false; failed = $false; msg = ''; error_kind = ''; backup_file = $null;
        sha1 = $null; holds = 'old'; left = @() }
    $pins = New-Object IoConnectFleet.Pins
    try {
        # step: resolve
        $real = [IoConnectFleet.SafeIo]::Resolve($path, $root, $pins)
        $out.path = $real
        $old = Read-Checked -Real $real -Root $root
        $current = Get-Sha1 $old
        if ($op.op -ne 'settle' -and $null -ne $op.expected -and $current -ne $op.expected) {
            $out.failed = $true
            $out.error_kind = 'conflict'
            $out.msg = "$real changed on the desk after it was read (sha1 $current, expected $($op.expected)): " +
            "another process is editing it. Nothing was written; run the task again."
        }
        elseif ($op.op -eq 'settle') {
            # After a COMMIT that gave no answer (its process killed between two steps): what it left beside the
            # file (.<name>.<32 hex>.old: the replaced file; .<name>.<32 hex>.tmp: the new bytes) puts the old or the
            # new bytes back under the name when none is there, and is removed once the name holds one of them.
            $folder = [System.IO.Path]::GetDirectoryName($real)
            $prefix = '.' + [System.IO.Path]::GetFileName($real) + '.'
            $spares = @([System.IO.Directory]::GetFiles($folder) | Where-Object {
                    $leaf = [System.IO.Path]::GetFileName($_)
                    $leaf.StartsWith($prefix, [System.StringComparison]::OrdinalIgnoreCase) -and
                    $leaf.Substring($prefix.Length) -match '^[0-9a-f]{32}\.(old|tmp)$' })
            $sums = @{}
            foreach ($spare in $spares) {
                try { $sums[$spare] = Get-Sha1 (Read-Checked -Real $spare -Root $root) } catch { $sums[$spare] = 'unknown' }
            }
            foreach ($want in @($op.expected, $op.new_sha1)) {
                if ($current -ne 'absent') { break }
                foreach ($spare in $spares) {
                    if ($sums[$spare] -eq $want -and [IoConnectFleet.SafeIo]::Move($spare, $real) -eq 0) {
                        $current = Get-Holding -Real $real -Root $root
                        $sums.Remove($spare)
                        break
                    }
                }
            }
            if ($current -eq $op.new_sha1) { $out.holds = 'new'; $out.done = $true; $out.sha1 = $current }
            elseif ($current -eq $op.expected) { $out.holds = 'old' }
            elseif ($current -eq 'absent') { $out.holds = 'none' }
            else { $out.holds = 'other' }
            foreach ($spare in @($sums.Keys)) {
                $ours = $sums[$spare] -eq $op.expected -or $sums[$spare] -eq $op.new_sha1
                if ($ours -and ($out.holds -eq 'new' -or $out.holds -eq 'old')) {
                    try { [System.IO.File]::Delete($spare) } catch { $out.left += $spare }
                }
                elseif ([System.IO.File]::Exists($spare)) {
                    $out.left += $spare
                }
            }
            if ($op.backup) {
                $backup = [System.IO.Path]::Combine($folder,
                    [System.IO.Path]::GetFileName([System.Environment]::ExpandEnvironmentVariables($op.backup)))
                if ([System.IO.File]::Exists($backup)) { $out.backup_file = $backup }
            }
            if (-not $out.done) {
                $out.failed = $true
                $out.error_kind = 'io'
                $out.msg = Get-Outcome -Path $real -Set $out
            }
        }
        elseif ($op.op -eq 'delete') {
            if ($null -ne $old) {
                [System.IO.File]::Delete($real)
                $out.done = $true
                $out.holds = 'none'
            }
        }
        else {
            $bytes = $null
            if ($op.op -eq 'restore') {
                # Only a plain file in the profile, holding exactly the bytes the ledger recorded, is restored.
                $source = [IoConnectFleet.SafeIo]::Resolve([System.Environment]::ExpandEnvironmentVariables($op.source),
                    $root, $pins)
                $bytes = Read-Checked -Real $source -Root $root
                if ((Get-Sha1 $bytes) -ne $op.source_sha1) {
                    $out.failed = $true
                    $out.error_kind = 'conflict'
                    $out.msg = "the backup $source does not hold what the ledger recorded (sha1 $(Get-Sha1 $bytes), " +
                    "expected $($op.source_sha1)); $real was left as it is"
                    $bytes = $null
                }
            }
            else {
                $bytes = [System.Convert]::FromBase64String($op.content)
            }
            if ($null -ne $bytes) {
                if ($op.backup -and $null -ne $old) {
                    # step: backup. Beside the file, under the random name the controller chose, created exclusively.
                    $backup = [System.IO.Path]::Combine([System.IO.Path]::GetDirectoryName($real),
                        [System.IO.Path]::GetFileName([System.Environment]::ExpandEnvironmentVariables($op.backup)))
                    New-Exclusive -Path $backup -Root $root -Bytes $old
                    $out.backup_file = $backup
                }
                $set = Set-Checked -Real $real -Root $root -Bytes $bytes -Old $old
                $out.holds = $set.holds
                $out.left = $set.left
                if ($set.holds -eq 'new') {
                    $out.done = $true
                    $out.sha1 = Get-Sha1 $bytes
                }
                else {
                    $out.failed = $true
                    $out.error_kind = 'io'
                    $out.msg = "cannot change $($real): $($set.msg); " + (Get-Outcome -Path $real -Set $set)
                }
            }
        }
    }
    catch {
        $cause = Get-Cause $_
        $out.failed = $true
        $out.error_kind = Get-Kind $cause
        if ($out.error_kind -eq 'unsafe_link') {
            $out.msg = "$($cause.Message). Nothing was read from it or written through it."
        }
        else {
            $out.msg = "cannot change $($path): $($cause.Message); it still holds its old settings"
        }
    }
    finally {
        $pins.Dispose()
    }
    if ($out.failed -and $out.holds -eq 'old' -and $out.backup_file) {
        # A backup of a file that did not change backs up nothing.
        try {
            [System.IO.File]::Delete($out.backup_file)
            $out.backup_file = $null
        }
        catch { }
    }
    if ($out.done) { $changed = $true }
    $results += $out
}
# Each ledger entry is head + the records of the operations it selects, joined by sep, + tail: texts made on the
# controller, so that an entry lists exactly the files this run changed (or, for rollback, those it could not undo).
$ledgerResults = @()
foreach ($entry in $Ledger) {
    $item = @{ path = $entry.path; failed = $false; msg = ''; written = $false; deleted = $false }
    $pins = New-Object IoConnectFleet.Pins
    try {
        $parts = @($entry.fixed | Where-Object { $_ } | ForEach-Object {
                $utf8.GetString([System.Convert]::FromBase64String($_)) })
        foreach ($index in $entry.ops) {
            $done = $results[[int]$index].done
            if (($entry.select -eq 'done' -and $done) -or ($entry.select -eq 'not_done' -and -not $done)) {
                $parts += $utf8.GetString([System.Convert]::FromBase64String($Operations[[int]$index].record))
            }
        }
        $folder = [System.IO.Path]::GetDirectoryName($entry.path)
        $realFolder = [IoConnectFleet.SafeIo]::Resolve($folder, $entry.root, $pins)
        $real = [System.IO.Path]::Combine($realFolder, [System.IO.Path]::GetFileName($entry.path))
        if ($parts.Count -gt 0 -or $entry.when_empty -eq 'write') {
            $text = $utf8.GetString([System.Convert]::FromBase64String($entry.head)) + ($parts -join $entry.sep) +
            $utf8.GetString([System.Convert]::FromBase64String($entry.tail))
            $null = [System.IO.Directory]::CreateDirectory($realFolder)
            $set = Set-Checked -Real $real -Root $entry.root -Bytes $utf8.GetBytes($text) -Old (
                Read-Checked -Real $real -Root $entry.root)
            if ($set.holds -ne 'new') { throw (New-Object System.IO.IOException($set.msg)) }
            $item.written = $true
            $changed = $true
        }
        elseif ($entry.when_empty -eq 'delete' -and [System.IO.File]::Exists($real)) {
            [System.IO.File]::Delete($real)
            $item.deleted = $true
            $changed = $true
        }
    }
    catch {
        $item.failed = $true
        $item.msg = "cannot write the ledger entry $($entry.path): $((Get-Cause $_).Message)"
    }
    finally {
        $pins.Dispose()
    }
    $ledgerResults += $item
}
$removed = @()
foreach ($item in $Remove) {
    $pins = New-Object IoConnectFleet.Pins
    try {
        $real = [IoConnectFleet.SafeIo]::Resolve([System.Environment]::ExpandEnvironmentVariables($item.path),
            [System.Environment]::ExpandEnvironmentVariables($item.root), $pins)
        if ([System.IO.File]::Exists($real)) {
            [System.IO.File]::Delete($real)
            $removed += $item.path
            $changed = $true
        }
    }
    catch {
        $problems += "cannot delete $($item.path): $((Get-Cause $_).Message)"
    }
    finally {
        $pins.Dispose()
    }
}
$Ansible.Result = @{ operations = $results; ledger = $ledgerResults; removed = $removed; problems = $problems }
$Ansible.Changed = $changed
""".replace("%PRELUDE%", _PRELUDE.replace("%SAFE_IO%", SAFE_IO))

SCAN = r"""# ioconnect.fleet scan/1
[CmdletBinding(SupportsShouldProcess)]
param (
    [string] $Profiles = 'all',
    [string] $ProfileRoot = 'C:\Users',
    [string[]] $Users = @(),
    [string[]] $Skip = @(),
    [string[]] $Under = @(),
    [object[]] $Roots = @(),
    [string[]] $Patterns = @(),
    [string[]] $Read = @(),
    [int] $Depth = 4,
    [object[]] $Files = @()
)
%PRELUDE%
# Read-only: every handle is opened for reading; nothing is created, changed or deleted.
$found = @()
$read = @{}
$problems = @()
$listed = @()

function Test-Like {
    param ([string] $Name, [string[]] $Like)
    foreach ($pattern in $Like) {
        if ($Name -like $pattern) { return $true }
    }
    $false
}

function Add-Problem {
    param ([string] $Path, [string] $Root, $Cause)
    $script:problems += @{ path = $Path; root = $Root; error_kind = (Get-Kind $Cause); msg = $Cause.Message }
}

function Add-File {
    # A file found: where it was found (Path) and where its bytes are (Real, every link on the way checked).
    param ([string] $Path, [string] $Real, [string] $Root)
    $script:found += @{ path = $Path; target = $Real; root = $Root }
    if (-not (Test-Like -Name ([System.IO.Path]::GetFileName($Path)) -Like $Read)) { return }
    $key = $Real.ToLowerInvariant()
    if ($script:read.ContainsKey($key)) { return }
    try {
        $bytes = Read-Checked -Real $Real -Root $Root
        if ($null -eq $bytes) {
            $script:read[$key] = @{ path = $Real; exists = $false }
        }
        else {
            $script:read[$key] = @{ path = $Real; exists = $true; sha1 = (Get-Sha1 $bytes);
                content = [System.Convert]::ToBase64String($bytes) }
        }
    }
    catch {
        $cause = Get-Cause $_
        $script:read[$key] = @{ path = $Real; exists = $null; error_kind = (Get-Kind $cause); msg = $cause.Message }
    }
}

function Search-Folder {
    # The entries of a folder whose path is checked (Real), as the user sees them (Path), Left levels deep (win_find's
    # depth: 1 = the folder's own entries). Every link met is decided on before anything below it is looked at.
    param ([string] $Path, [string] $Real, [string] $Root, [int] $Left, [hashtable] $Seen)
    $key = $Real.ToLowerInvariant()
    if ($Seen.ContainsKey($key)) { return }
    $Seen[$key] = $true
    try {
        # The attributes come with the listing (FindFirstFile data): only links are opened to be looked at, and
        # only the files the search wants are read.
        $infos = @((New-Object System.IO.DirectoryInfo($Real)).EnumerateFileSystemInfos() | Sort-Object Name)
    }
    catch {
        Add-Problem -Path $Path -Root $Root -Cause (Get-Cause $_)
        return
    }
    foreach ($info in $infos) {
        $name = $info.Name
        $shown = [System.IO.Path]::Combine($Path, $name)
        try {
            $target = $info.FullName
            $isDirectory = ($info.Attributes -band [System.IO.FileAttributes]::Directory) -ne 0
            if (($info.Attributes -band [System.IO.FileAttributes]::ReparsePoint) -ne 0) {
                $node = [IoConnectFleet.SafeIo]::Inspect($target, $null)
                if (-not $node.Exists) { continue }
                if ($node.IsLink) {
                    $target = [IoConnectFleet.SafeIo]::Resolve($node.Path, $Root, $null)
                    $node = [IoConnectFleet.SafeIo]::Inspect($target, $null)
                    if (-not $node.Exists) { continue }
                }
                $isDirectory = $node.IsDirectory
            }
            if ($isDirectory) {
                if ($Left -gt 1) { Search-Folder -Path $shown -Real $target -Root $Root -Left ($Left - 1) -Seen $Seen }
            }
            elseif (Test-Like -Name $name -Like $Patterns) {
                Add-File -Path $shown -Real $target -Root $Root
            }
        }
        catch {
            Add-Problem -Path $shown -Root $Root -Cause (Get-Cause $_)
        }
    }
}

function Search-Root {
    param ([string] $Path, [string] $Root, [int] $Levels)
    try {
        $real = [IoConnectFleet.SafeIo]::Resolve($Path, $Root, $null)
    }
    catch {
        Add-Problem -Path $Path -Root $Root -Cause (Get-Cause $_)
        return
    }
    if ([System.IO.Directory]::Exists($real)) {
        Search-Folder -Path $Path -Real $real -Root $Root -Left $Levels -Seen @{}
    }
}

# The profiles: every folder of the profile root, the named ones, the logged-on users' or the account's own.
$candidates = @()
if ($Profiles -eq 'all') {
    try {
        $candidates = @([System.IO.Directory]::GetDirectories($ProfileRoot) | ForEach-Object {
                [System.IO.Path]::GetFileName($_) } | Where-Object { $Skip -notcontains $_ } | Sort-Object)
    }
    catch {
        throw "the profile folder $ProfileRoot cannot be listed: $((Get-Cause $_).Message)"
    }
}
elseif ($Profiles -eq 'named') {
    $candidates = $Users
}
elseif ($Profiles -eq 'logged_on') {
    $candidates = @(Get-CimInstance -ClassName Win32_UserProfile -Filter 'Loaded = TRUE AND Special = FALSE' |
        ForEach-Object { $_.LocalPath })
}
elseif ($Profiles -eq 'current') {
    $candidates = @([System.Environment]::GetFolderPath('UserProfile'))
}
foreach ($candidate in $candidates) {
    if ($Profiles -eq 'named' -and ($candidate -match '[\\/:]' -or $candidate -match '^\.\.?$')) {
        $listed += @{ name = $candidate; path = ''; readable = $false; reason = 'not a profile name';
            error_kind = 'request' }
        continue
    }
    $path = [System.IO.Path]::Combine($ProfileRoot, $candidate)
    $item = @{ name = [System.IO.Path]::GetFileName($path); path = $path; readable = $true; reason = '';
        error_kind = '' }
    try {
        $node = [IoConnectFleet.SafeIo]::Inspect($path, $null)
        if (-not $node.Exists -or -not $node.IsDirectory) {
            $item.readable = $false
            $item.reason = 'no such profile folder'
            $item.error_kind = 'missing'
        }
        else {
            $item.path = [IoConnectFleet.SafeIo]::Resolve($path, $path, $null)
            $item.name = [System.IO.Path]::GetFileName($node.Path)
            $null = [System.IO.Directory]::GetFileSystemEntries($item.path)
        }
    }
    catch {
        $cause = Get-Cause $_
        $item.readable = $false
        $item.reason = $cause.Message
        $item.error_kind = Get-Kind $cause
    }
    $listed += $item
    if ($item.readable) {
        foreach ($below in $Under) {
            Search-Root -Path ([System.IO.Path]::Combine($item.path, $below)) -Root $item.path -Levels $Depth
        }
    }
}
foreach ($extra in $Roots) {
    Search-Root -Path $extra.path -Root $extra.root -Levels ([int]$extra.depth)
}
foreach ($file in $Files) {
    # Files named by the task (ioconnect.fleet.system_json): expanded for the connecting account, as a path option.
    $path = [System.Environment]::ExpandEnvironmentVariables($file.path)
    $root = [System.Environment]::ExpandEnvironmentVariables($file.root)
    try {
        Add-File -Path $path -Real ([IoConnectFleet.SafeIo]::Resolve($path, $root, $null)) -Root $root
    }
    catch {
        $cause = Get-Cause $_
        $read[$path.ToLowerInvariant()] = @{ path = $path; exists = $null; error_kind = (Get-Kind $cause);
            msg = $cause.Message }
        $found += @{ path = $path; target = $path; root = $root }
    }
}
$Ansible.Result = @{ profiles = $listed; entries = $found; files = @($read.Values); problems = $problems }
$Ansible.Changed = $false
""".replace("%PRELUDE%", _PRELUDE.replace("%SAFE_IO%", SAFE_IO))
