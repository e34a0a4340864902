# -*- coding: utf-8 -*-
# Copyright (c) ioconnect.fleet contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every PowerShell script the collection sends to a Windows desk, held to Windows PowerShell 5.1 and .NET
Framework 4.x by real tools, not by the emulator (which runs none of them):

- a real PowerShell grammar: tree-sitter-powershell 0.26.4 (WASM) run by web-tree-sitter 0.27.2, pinned with their
  npm integrity in tests/tools/ps-grammar/package-lock.json and installed with ``npm ci`` into build/ps-grammar/
  (reused by later runs). A parse error fails; so does a construct of PowerShell 6+ (the grammar reports ``??``,
  ``?.`` and the ternary as errors, and parses ``&&``/``||`` as a pipeline chain, which is looked for here);
- a list of .NET and PowerShell APIs that Windows PowerShell 5.1 on .NET Framework 4.x does not have, with sources;
- the C# the scripts compile with Add-Type, compiled as C# 5 by Mono's C# compiler (Add-Type on Windows PowerShell
  5.1 uses the C# 5 compiler of .NET Framework 4.x), and held to the same list of APIs.

Known false positives of the grammar (FACTS.md): ``HashSet`1[System.String]`` and ``[Environment+SpecialFolder]``
parse as errors although Windows PowerShell accepts them; the scripts use neither. Each checker is shown to fail on
a broken snippet.

When node, npm or mcs is missing the test is skipped with the reason; under CI (``CI`` set) it fails instead, since
``make test`` installs them itself (bindep.txt, tests/tools/install-system-deps.sh).
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.ioconnect.fleet.plugins.plugin_utils import windows_scripts

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
SOURCE = os.path.join(REPO, "tests", "tools", "ps-grammar")
CACHE = os.path.join(REPO, "build", "ps-grammar")
PINNED = ("package.json", "package-lock.json", "parse.cjs")

# Node types of tree-sitter-powershell for constructs of PowerShell 7: `a && b`, `a || b` (pipeline chains,
# about_Pipeline_Chain_Operators, "Beginning in PowerShell 7").
PS7_NODES = {"pipeline_chain_tail": "&& or || (pipeline chain operators, PowerShell 7+)"}

# APIs absent from Windows PowerShell 5.1 / .NET Framework 4.x (each row: pattern, what it is, where it appeared,
# per the "Applies to" table of its learn.microsoft.com page or the PowerShell "What's new" page).
NOT_IN_PS51 = (
    (r"\[(System\.)?IO\.Path\]::(GetRelativePath|Join|TrimEndingDirectorySeparator|EndsInDirectorySeparator|Exists)\b",
     "System.IO.Path.GetRelativePath/Join/TrimEndingDirectorySeparator/Exists: .NET Core 2.0 / 3.0 / 7"),
    (r"\[(System\.)?IO\.File\]::\w+Async\b", "System.IO.File.*Async: .NET Core 2.0+"),
    (r"\[(System\.)?IO\.(File|Directory)\]::(CreateSymbolicLink|ResolveLinkTarget)\b",
     "File/Directory.CreateSymbolicLink, ResolveLinkTarget: .NET 6"),
    (r"\.(LinkTarget|ResolveLinkTarget)\b", "FileSystemInfo.LinkTarget / ResolveLinkTarget: .NET 6"),
    (r"\[(System\.)?Convert\]::(ToHexString|FromHexString)\b", "Convert.ToHexString/FromHexString: .NET 5"),
    (r"\]::HashData\b", "SHA1/SHA256.HashData: .NET 5"),
    (r"\[(System\.)?OperatingSystem\]::Is\w+\b", "OperatingSystem.IsWindows and friends: .NET 5"),
    (r"\[(System\.)?Text\.Json\b", "System.Text.Json: .NET Core 3.0"),
    (r"\[(System\.)?IO\.EnumerationOptions\]", "System.IO.EnumerationOptions: .NET Core 2.1"),
    (r"\[(System\.)?HashCode\]", "System.HashCode: .NET Core 2.1"),
    (r"\.ReplaceLineEndings\(", "String.ReplaceLineEndings: .NET 6"),
    (r"\[(System\.)?Environment\]::(ProcessPath|ProcessId)\b", "Environment.ProcessPath/ProcessId: .NET 5/6"),
    (r"\bForEach-Object\b[^\n|]*-Parallel\b", "ForEach-Object -Parallel: PowerShell 7.0"),
    (r"\bConvertFrom-Json\b[^\n|]*-AsHashtable\b", "ConvertFrom-Json -AsHashtable: PowerShell 6.0"),
    (r"\bConvertTo-Json\b[^\n|]*-AsArray\b", "ConvertTo-Json -AsArray: PowerShell 6.0"),
    (r"-AsByteStream\b", "Get-Content/Set-Content -AsByteStream: PowerShell 6.0"),
    (r"-Encoding\s+utf8(NoBOM|BOM)\b", "-Encoding utf8NoBOM/utf8BOM: PowerShell 6.0"),
    (r"\b(Join-String|Test-Json|Get-Error|ConvertTo-CliXml|Get-Uptime)\b",
     "Join-String (6.2), Test-Json (6.1), Get-Error (7.0), Get-Uptime (6.0): not in Windows PowerShell 5.1"),
    (r"\$PSStyle\b", "$PSStyle: PowerShell 7.2"),
    (r"\bclean\s*\{", "the clean block: PowerShell 7.3"),
)


def unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail("%s; CI installs it itself (make test runs make deps), so this is a failure" % reason)
    pytest.skip(reason)


def scripts() -> dict:
    """Every script windows_scripts.py sends: the module's strings whose first line names an ioconnect.fleet
    script."""
    out = {name: value for name, value in vars(windows_scripts).items()
           if isinstance(value, str) and value.startswith("# ioconnect.fleet ")}
    assert {"COMMIT", "SCAN"} <= set(out), sorted(out)
    return out


BROKEN = (
    "if ($x { $y = 1 }",  # a brace missing
    "$a = @{ b = 1",  # a hash table not closed
    "$x = $y ?? 1",  # PowerShell 7: null-coalescing
    "$x ??= 1",  # PowerShell 7: null-coalescing assignment
    "$a?.b",  # PowerShell 7: null-conditional member access
    "$a = $b ? 1 : 2",  # PowerShell 7: ternary
    "Get-Item a && Get-Item b",  # PowerShell 7: pipeline chain
    "Get-Item a || Get-Item b",  # PowerShell 7: pipeline chain
    "$p = [System.IO.Path]::GetRelativePath($a, $b)",  # .NET Core 2.0
    "$h = [System.Convert]::ToHexString($bytes)",  # .NET 5
    "1..3 | ForEach-Object -Parallel { $_ }",  # PowerShell 7
)
FALSE_POSITIVES = {"HASHSET": "$s = New-Object 'System.Collections.Generic.HashSet`1[System.String]'",
                   "SPECIAL_FOLDER": "[Environment+SpecialFolder]::Desktop"}


def _install() -> None:
    """The pinned grammar in build/ps-grammar (npm ci checks each package against the lock file's integrity)."""
    if not (shutil.which("node") and shutil.which("npm")):
        unavailable("node and npm are needed to run tree-sitter-powershell")
    os.makedirs(CACHE, exist_ok=True)
    fresh = not os.path.isdir(os.path.join(CACHE, "node_modules", "tree-sitter-powershell"))
    for name in PINNED:
        target = os.path.join(CACHE, name)
        if not os.path.exists(target) or not filecmp.cmp(os.path.join(SOURCE, name), target, shallow=False):
            shutil.copyfile(os.path.join(SOURCE, name), target)
            fresh = fresh or name != "parse.cjs"
    if fresh:
        proc = subprocess.run(["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel", "error",
                               "--cache", os.path.join(CACHE, "npm-cache"), "--prefer-offline"],
                              cwd=CACHE, capture_output=True, text=True, timeout=600, check=False,
                              stdin=subprocess.DEVNULL)
        if proc.returncode != 0:
            unavailable("npm ci of tree-sitter-powershell failed (exit %d): %s"
                        % (proc.returncode, (proc.stderr or proc.stdout).strip()[-500:]))


@pytest.fixture(scope="module")
def parsed():
    """{name: {errors, nodes}} for every script, every broken snippet (BROKEN_<i>) and the known false positives,
    parsed in one run of node (starting the WASM grammar costs seconds)."""
    _install()
    sources = dict(scripts())
    sources.update({"BROKEN_%d" % i: snippet for i, snippet in enumerate(BROKEN)})
    sources.update(FALSE_POSITIVES)
    proc = subprocess.run(["node", os.path.join(CACHE, "parse.cjs")],
                          input=json.dumps({"sources": sources, "nodes": sorted(PS7_NODES)}),
                          capture_output=True, text=True, timeout=600, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def problems(parsed_one: dict, source: str) -> list:
    """What keeps a parsed script from running on Windows PowerShell 5.1 / .NET Framework 4.x."""
    out = ["parse error at %(row)d:%(column)d near %(text)r" % e for e in parsed_one["errors"]]
    out += [PS7_NODES[t] for t in parsed_one["nodes"] if t in PS7_NODES]
    for pattern, what in NOT_IN_PS51:
        for match in re.finditer(pattern, source):
            out.append("%s at line %d: %s" % (match.group(0), source.count("\n", 0, match.start()) + 1, what))
    return out


def test_every_script_parses_and_needs_nothing_beyond_powershell_51(parsed):
    sent = scripts()
    found = {name: problems(parsed[name], source) for name, source in sent.items()}
    assert found == {name: [] for name in sent}


@pytest.mark.parametrize("index", range(len(BROKEN)), ids=lambda i: BROKEN[i])
def test_the_checks_fail_on_a_broken_snippet(parsed, index):
    assert problems(parsed["BROKEN_%d" % index], BROKEN[index]), BROKEN[index]


def test_a_known_false_positive_is_what_facts_say_and_is_not_used(parsed):
    """The grammar's known false positive (FACTS.md) stays known: if it stops flagging it, this says so."""
    assert parsed["SPECIAL_FOLDER"]["errors"], "tree-sitter-powershell now parses nested type names: update FACTS.md"
    for source in scripts().values():
        assert "+SpecialFolder" not in source and "HashSet`1" not in source


# The same list for the C# of SAFE_IO (Add-Type on Windows PowerShell 5.1 compiles C# 5 against .NET Framework 4.x).
NOT_IN_NETFX_CSHARP = (
    (r"\bPath\.(GetRelativePath|Join|TrimEndingDirectorySeparator|EndsInDirectorySeparator|Exists)\(",
     "System.IO.Path.GetRelativePath/Join/TrimEndingDirectorySeparator/Exists: .NET Core 2.0 / 3.0 / 7"),
    (r"\b(File|Directory)\.(\w+Async|CreateSymbolicLink|ResolveLinkTarget)\(", "File/Directory async and link APIs: "
     ".NET Core 2.0 / .NET 6"),
    (r"\.(LinkTarget|ResolveLinkTarget)\b", "FileSystemInfo.LinkTarget / ResolveLinkTarget: .NET 6"),
    (r"\bConvert\.(ToHexString|FromHexString)\(", "Convert.ToHexString/FromHexString: .NET 5"),
    (r"\.HashData\(", "SHA1.HashData: .NET 5"),
    (r"\bOperatingSystem\.Is\w+\(", "OperatingSystem.IsWindows: .NET 5"),
    (r"\bSystem\.Text\.Json\b", "System.Text.Json: .NET Core 3.0"),
    (r"\b(EnumerationOptions|HashCode|Span<|ReadOnlySpan<|Memory<)", "EnumerationOptions, HashCode, Span: .NET Core"),
    (r"\bEnvironment\.(ProcessPath|ProcessId)\b", "Environment.ProcessPath/ProcessId: .NET 5/6"),
    (r"\.ReplaceLineEndings\(", "String.ReplaceLineEndings: .NET 6"),
)


def csharp_problems(source: str) -> list:
    return ["%s at line %d: %s" % (m.group(0), source.count("\n", 0, m.start()) + 1, what)
            for pattern, what in NOT_IN_NETFX_CSHARP for m in re.finditer(pattern, source)]


def _mcs(source_text: str, name: str):
    """mcs -langversion:5 (Add-Type in Windows PowerShell 5.1 compiles with the C# 5 compiler of .NET Framework
    4.x) against Mono's 4.x profile. Mono's class library has some APIs .NET Framework lacks, so the API list
    above is applied to the C# text as well."""
    mcs = shutil.which("mcs")
    if not mcs:
        unavailable("mcs (Debian's mono-mcs, bindep.txt) is needed to compile the scripts' C#")
    os.makedirs(CACHE, exist_ok=True)
    source = os.path.join(CACHE, name + ".cs")
    with open(source, "w", encoding="utf-8") as handle:
        handle.write(source_text)
    return subprocess.run([mcs, "-langversion:5", "-target:library", "-warnaserror+",
                           "-out:" + os.path.join(CACHE, name + ".dll"), source],
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_add_type_csharp_compiles_as_csharp_5_on_net_framework_4():
    """SAFE_IO, the C# both scripts compile with Add-Type, is C# 5 that compiles and uses no API of .NET Core."""
    proc = _mcs(windows_scripts.SAFE_IO, "SafeIo")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert csharp_problems(windows_scripts.SAFE_IO) == []
    assert "Add-Type -TypeDefinition @'" in windows_scripts.COMMIT and windows_scripts.SAFE_IO in windows_scripts.COMMIT


def test_the_csharp_checks_fail_on_broken_code():
    newer = "public static class B { public static string F(string a) { return a?.Trim(); } }\n"  # C# 6
    proc = _mcs(newer, "Newer")
    assert proc.returncode != 0, "mcs -langversion:5 must refuse C# 6"
    core = "public static class C { public static string F(string a) { return System.IO.Path.GetRelativePath(a, a); } }"
    assert csharp_problems(core), "the API list must flag a .NET Core API"
