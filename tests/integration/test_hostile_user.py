# -*- coding: utf-8 -*-
"""The admin/user boundary on POSIX desks, tried as a hostile desk user would (docs/reliability.md, threat model).

The collection runs as root; a profile belongs to an unprivileged user (a real account, made here with useradd).
The user plants links at the file, at each folder of its path, at backup names, swaps them while runs go, plants
hard links and FIFOs, and feeds ../ through names. Each test runs the real module or role with ansible-playbook,
then asserts that nothing outside the profile changed (content, owner, mode), that nothing of it was printed, and
that the refusal names the link.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import subprocess
import tempfile
import threading

import pytest

from playbook_runner import run_tasks

pytestmark = pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("useradd"),
                                reason="needs root and useradd: the attacks use real unprivileged accounts")

ATTACKER = "iofleet-atk"
NEIGHBOUR = "iofleet-nbr"
SECRET = "ROOT-ONLY-SECRET-7f3a"
TOPOLOGY = {"PROD": {"EMEA": {"url": "https://iomanager-emea.example.com"}}}
BASE = {"env": "DEV", "region": "EMEA", "gw": {"port": 8385}, "server": {"enabled": False, "url": "http://old:4356/api"}}
IO9 = ("AppData", "Local", "interop.io", "io.Connect Desktop", "Desktop")
OVERRIDES = {"layout": "overrides", "pairs": [{"env": "PROD", "region": "EMEA"}], "env": "", "region": "",
             "crashes_to_manager": False}


def _account(name):
    try:
        return pwd.getpwnam(name)
    except KeyError:
        subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
        return pwd.getpwnam(name)


@pytest.fixture(scope="session")
def attacker():
    return _account(ATTACKER)


@pytest.fixture(scope="session")
def neighbour():
    return _account(NEIGHBOUR)


def as_user(account, *cmd):
    """Run a command as the account (the attacker's own hands)."""
    return subprocess.run(list(cmd), user=account.pw_uid, group=account.pw_gid, extra_groups=[], check=True,
                          capture_output=True, text=True)


class Desk:
    """A POSIX desk: Users/<attacker> owned by the attacker, root's ProgramData, and root's files outside."""

    def __init__(self, attacker):
        self.base = tempfile.mkdtemp(prefix="ioconnect-hostile-")
        os.chmod(self.base, 0o755)  # the user must reach its profile; the folder itself stays root's
        self.account = attacker
        self.users = os.path.join(self.base, "Users")
        self.profile = os.path.join(self.users, attacker.pw_name)
        self.install = os.path.join(self.profile, *IO9)
        self.config = os.path.join(self.install, "config")
        self.system_json = os.path.join(self.config, "system.json")
        self.state = os.path.join(self.base, "ProgramData", "ioconnect.fleet")
        os.makedirs(self.config)
        with open(os.path.join(self.install, "io-connect-desktop.exe"), "wb") as handle:
            handle.write(b"MZ")
        self.write_system_json(BASE)
        os.makedirs(self.state)
        for folder, _dirs, files in os.walk(self.profile):
            os.chown(folder, attacker.pw_uid, attacker.pw_gid)
            for name in files:
                os.chown(os.path.join(folder, name), attacker.pw_uid, attacker.pw_gid)
        # root's things outside the profile: a 0600 JSON file, and a root-only folder shaped like an install
        self.outside = os.path.join(self.base, "root-only")
        os.makedirs(os.path.join(self.outside, "config"))
        os.chmod(self.outside, 0o700)
        self.secret = os.path.join(self.outside, "secret.json")
        self.secret_dir_json = os.path.join(self.outside, "config", "system.json")
        for path in (self.secret, self.secret_dir_json):
            with open(path, "w", encoding="utf-8") as handle:
                json.dump(dict(BASE, token=SECRET), handle, indent=2)
            os.chmod(path, 0o600)
        with open(os.path.join(self.outside, "io-connect-desktop.exe"), "wb") as handle:
            handle.write(b"MZ")

    def write_system_json(self, value, path=None):
        with open(path or self.system_json, "w", encoding="utf-8") as handle:
            json.dump(value, handle, indent=2)
            handle.write("\n")

    def outside_snapshot(self) -> dict:
        """Every file and folder outside the profile: (bytes, uid, gid, mode), links as their text."""
        out = {}
        for top in (self.outside, self.state):
            for folder, dirs, files in os.walk(top):
                for name in dirs + files:
                    path = os.path.join(folder, name)
                    info = os.lstat(path)
                    if stat.S_ISLNK(info.st_mode):
                        body = "link:" + os.readlink(path)
                    elif stat.S_ISREG(info.st_mode):
                        with open(path, "rb") as handle:
                            body = handle.read()
                    else:
                        body = "dir"
                    out[path] = (body, info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
        info = os.lstat(self.outside)
        out[self.outside] = ("dir", info.st_uid, info.st_gid, stat.S_IMODE(info.st_mode))
        return out

    def root_files_outside(self) -> dict:
        """Only the root-owned files outside (the ledger may grow: it is the collection's)."""
        return {k: v for k, v in self.outside_snapshot().items() if k.startswith(self.outside)}

    def task(self, name="desk", **extra):
        args = dict(desk="hostile-desk", topology=TOPOLOGY, env="PROD", region="EMEA", profile_root=self.users,
                    state_dir=self.state, preflight=False, backup=True)
        args.update(extra)
        return {"name": name, "ioconnect.fleet.desk_system_json": args, "register": "out", "ignore_errors": True}

    def run(self, tmp_path, check=False, **extra):
        return run_tasks([self.task(**extra)], tmp_path, args=["-v"], check=check, diff=True)

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


@pytest.fixture
def desk(attacker):
    made = Desk(attacker)
    yield made
    made.cleanup()


def printed(run) -> str:
    return run.stdout + run.stderr


def assert_refused(run, desk_, before, kind="unsafe_link"):
    """Nothing outside changed, nothing of it printed, the refusal names the link."""
    assert desk_.root_files_outside() == before
    assert SECRET not in printed(run), "root's file was printed"
    result = run.result("desk")
    text = json.dumps(result)
    assert kind in text, text[:3000]
    assert "does not follow it" in text or "hard link" in text or "not a regular file" in text, text[:3000]
    return result


def _owner(path):
    info = os.lstat(path)
    return info.st_uid, info.st_gid


# -- links at the file and at each folder of its path -------------------------------------------------------
def test_a_link_at_system_json_to_a_root_file_is_refused_and_nothing_of_it_is_read(desk, tmp_path):
    os.unlink(desk.system_json)
    as_user(desk.account, "ln", "-s", desk.secret, desk.system_json)
    before = desk.root_files_outside()
    run = desk.run(tmp_path)
    result = assert_refused(run, desk, before)
    files = result["files"]
    assert len(files) == 1 and files[0]["error_kind"] == "unsafe_link"
    assert desk.system_json in files[0]["msg"] and ATTACKER in files[0]["msg"] and desk.secret in files[0]["msg"]
    assert os.readlink(desk.system_json) == desk.secret  # the user's own link is left as it is


CHAIN = IO9 + ("config",)


@pytest.mark.parametrize("level", ["config", "Desktop", "io.Connect Desktop", "interop.io", "Local", "AppData"])
def test_a_link_at_any_folder_of_the_path_to_a_root_folder_is_refused(desk, tmp_path, level):
    """The link replaces one folder of the path; its root-owned target holds the same tree below, readable by all,
    so only the rule (not permissions) stops the run from reading root's file or writing into root's folder."""
    index = CHAIN.index(level)
    folder = os.path.join(desk.profile, *CHAIN[:index + 1])
    target = os.path.join(desk.outside, "tree-%s" % level.replace(" ", "_"))
    config = os.path.join(target, *CHAIN[index + 1:])
    os.makedirs(config)
    with open(os.path.join(config, "system.json"), "w", encoding="utf-8") as handle:
        json.dump(dict(BASE, token=SECRET), handle)
    if index < CHAIN.index("config"):
        with open(os.path.join(target, *CHAIN[index + 1:CHAIN.index("config")], "io-connect-desktop.exe"),
                  "wb") as handle:
            handle.write(b"MZ")
    for path, dirs, files in os.walk(desk.outside):
        os.chmod(path, 0o755)
        for name in files:
            os.chmod(os.path.join(path, name), 0o644)
    before = desk.root_files_outside()
    shutil.rmtree(folder)
    as_user(desk.account, "ln", "-s", target, folder)
    run = desk.run(tmp_path, **OVERRIDES)
    result = assert_refused(run, desk, before)
    assert result["status"] == "failed"
    assert folder in result["msg"] and target in result["msg"] and ATTACKER in result["msg"]


def test_a_link_inside_the_profile_is_followed(desk, tmp_path):
    """The user may arrange their own files: a link whose target stays in the profile is followed."""
    moved = os.path.join(desk.profile, "elsewhere.json")
    os.rename(desk.system_json, moved)
    as_user(desk.account, "ln", "-s", moved, desk.system_json)
    run = desk.run(tmp_path)
    result = run.result("desk")
    assert result["status"] == "changed", json.dumps(result)[:3000]
    with open(moved, encoding="utf-8") as handle:
        assert json.load(handle)["server"]["url"] == "https://iomanager-emea.example.com/api"
    assert os.path.islink(desk.system_json)
    assert _owner(moved) == (desk.account.pw_uid, desk.account.pw_gid)


def test_a_link_planted_by_root_is_followed(desk, tmp_path):
    """VDI images and folder redirection: an administrator's link leads outside the profile on purpose."""
    shared = os.path.join(desk.base, "redirected")
    os.makedirs(shared)
    shutil.move(desk.config, os.path.join(shared, "config"))
    os.symlink(os.path.join(shared, "config"), desk.config)  # made by root
    run = desk.run(tmp_path)
    assert run.result("desk")["status"] == "changed", run.stdout[-3000:]
    with open(os.path.join(shared, "config", "system.json"), encoding="utf-8") as handle:
        assert json.load(handle)["server"]["enabled"] is True


def test_a_link_to_another_users_profile_is_refused(desk, tmp_path, neighbour):
    other = os.path.join(desk.users, neighbour.pw_name, *IO9, "config")
    os.makedirs(other)
    desk.write_system_json(BASE, os.path.join(other, "system.json"))
    for folder, _dirs, files in os.walk(os.path.join(desk.users, neighbour.pw_name)):
        os.chown(folder, neighbour.pw_uid, neighbour.pw_gid)
        for name in files:
            os.chown(os.path.join(folder, name), neighbour.pw_uid, neighbour.pw_gid)
    os.unlink(desk.system_json)
    as_user(desk.account, "ln", "-s", os.path.join(other, "system.json"), desk.system_json)
    run = desk.run(tmp_path)
    results = {f["path"]: f for f in run.result("desk")["files"]}
    assert results[desk.system_json]["error_kind"] == "unsafe_link", json.dumps(results)[:3000]
    # the neighbour's own profile was configured as the neighbour, and stays theirs
    assert results[os.path.join(other, "system.json")]["changed"]
    assert _owner(os.path.join(other, "system.json")) == (neighbour.pw_uid, neighbour.pw_gid)


# -- hard links, FIFOs -----------------------------------------------------------------------------------------
def test_a_hard_link_to_a_root_file_is_refused(desk, tmp_path):
    """Where fs.protected_hardlinks is off, a user can hard-link a root file into their profile; root makes that
    link here (what the user could do on such a machine)."""
    os.unlink(desk.system_json)
    os.link(desk.secret, desk.system_json)
    before = desk.root_files_outside()
    run = desk.run(tmp_path)
    assert_refused(run, desk, before)
    info = os.stat(desk.secret)
    assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o600)


def test_a_fifo_at_system_json_does_not_hang_the_run(desk, tmp_path):
    os.unlink(desk.system_json)
    as_user(desk.account, "mkfifo", desk.system_json)
    before = desk.root_files_outside()
    run = desk.run(tmp_path)
    assert_refused(run, desk, before)


# -- what root creates in a profile is the user's -------------------------------------------------------------
def test_files_created_in_a_profile_belong_to_its_owner(desk, tmp_path):
    run = desk.run(tmp_path, **OVERRIDES)
    result = run.result("desk")
    assert result["status"] == "changed", json.dumps(result)[:3000]
    override = os.path.join(desk.config, "system-PROD-EMEA.json")
    assert _owner(override) == (desk.account.pw_uid, desk.account.pw_gid)
    menu = os.path.join(desk.profile, "AppData", "Roaming", "Microsoft", "Windows", "Start Menu", "Programs")
    for folder, dirs, files in os.walk(menu):
        for name in dirs + files:
            assert _owner(os.path.join(folder, name)) == (desk.account.pw_uid, desk.account.pw_gid), name
    assert _owner(menu) == (desk.account.pw_uid, desk.account.pw_gid)
    # the ledger stays root's
    for folder, _dirs, files in os.walk(desk.state):
        for name in files:
            assert _owner(os.path.join(folder, name))[0] == 0


PLANT = """
import os, sys, time
path, target, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.strftime("%Y-%m-%d@%H:%M")
for pid in range(first, first + 300):
    for second in range(60):
        try:
            os.symlink(target, "%s.%d.%s:%02d~" % (path, pid, stamp, second))
        except OSError:
            pass
"""


def test_a_backup_is_a_new_file_of_the_owner_under_a_name_nobody_can_predict(desk, tmp_path):
    """The old scheme (<file>.<pid>.<timestamp>~) could be planted: plant every such name for the next pids."""
    before = desk.root_files_outside()
    with open("/proc/sys/kernel/ns_last_pid", encoding="ascii") as handle:
        last = int(handle.read())
    subprocess.run(["python3", "-c", PLANT, desk.system_json, desk.secret, str(last)], check=True,
                   user=desk.account.pw_uid, group=desk.account.pw_gid, extra_groups=[])
    run = desk.run(tmp_path)
    result = run.result("desk")
    assert result["status"] == "changed", json.dumps(result)[:3000]
    backup = result["files"][0]["backup_file"]
    info = os.lstat(backup)
    assert stat.S_ISREG(info.st_mode) and (info.st_uid, info.st_gid) == (desk.account.pw_uid, desk.account.pw_gid)
    with open(backup, "rb") as handle:
        assert json.loads(handle.read()) == BASE
    assert desk.root_files_outside() == before
    assert desk.run(tmp_path).result("desk")["status"] == "compliant"


# -- rollback ---------------------------------------------------------------------------------------------------
def test_a_backup_swapped_for_a_link_before_rollback_restores_nothing(desk, tmp_path):
    first = desk.run(tmp_path)
    backup = first.result("desk")["files"][0]["backup_file"]
    with open(desk.system_json, "rb") as handle:
        written = handle.read()
    os.unlink(backup)
    as_user(desk.account, "ln", "-s", desk.secret, backup)
    before = desk.root_files_outside()
    run = desk.run(tmp_path, state="rolled_back")
    result = run.result("desk")
    assert result["failed"], json.dumps(result)[:3000]
    assert result["files"][0]["action"] == "fail" and result["files"][0]["error_kind"] == "unsafe_link"
    with open(desk.system_json, "rb") as handle:
        assert handle.read() == written  # not root's text
    assert desk.root_files_outside() == before
    assert SECRET not in printed(run)


def test_a_backup_replaced_by_other_bytes_is_not_restored(desk, tmp_path):
    first = desk.run(tmp_path)
    backup = first.result("desk")["files"][0]["backup_file"]
    os.unlink(backup)
    as_user(desk.account, "sh", "-c", "printf '{\"env\": \"EVIL\"}' > '%s'" % backup)
    run = desk.run(tmp_path, state="rolled_back")
    result = run.result("desk")
    assert result["failed"] and result["files"][0]["error_kind"] == "conflict", json.dumps(result)[:3000]
    with open(desk.system_json, encoding="utf-8") as handle:
        assert json.load(handle)["env"] == "PROD"


def test_a_created_file_swapped_for_a_link_before_rollback_deletes_nothing_outside(desk, tmp_path):
    first = desk.run(tmp_path, **OVERRIDES)
    assert first.result("desk")["status"] == "changed"
    override = os.path.join(desk.config, "system-PROD-EMEA.json")
    os.unlink(override)
    as_user(desk.account, "ln", "-s", desk.secret, override)
    os.chmod(desk.outside, 0o755)
    before = desk.root_files_outside()
    run = desk.run(tmp_path, state="rolled_back")
    assert desk.root_files_outside() == before
    assert os.path.exists(desk.secret)
    assert SECRET not in printed(run)
    steps = {f["path"]: f for f in run.result("desk")["files"]}
    assert steps[override]["action"] == "fail"


def test_rollback_restores_as_the_owner_byte_for_byte(desk, tmp_path):
    with open(desk.system_json, "rb") as handle:
        original = handle.read()
    desk.run(tmp_path)
    run = desk.run(tmp_path, state="rolled_back")
    assert run.result("desk")["files"][0]["action"] == "restore", run.stdout[-3000:]
    with open(desk.system_json, "rb") as handle:
        assert handle.read() == original
    assert _owner(desk.system_json) == (desk.account.pw_uid, desk.account.pw_gid)


# -- races -------------------------------------------------------------------------------------------------------
def test_a_swap_loop_while_runs_go_never_reaches_root_files(desk, tmp_path):
    """The user swaps system.json (and its folder) for links to root's files as fast as it can while runs go."""
    os.chmod(desk.outside, 0o755)
    os.chmod(desk.secret, 0o644)  # even readable, never written through a link
    before = desk.root_files_outside()
    stop = threading.Event()
    script = """
import os, sys, time
real, link, secret, folder, root_config = sys.argv[1:6]
end = time.time() + 60
while time.time() < end and not os.path.exists(sys.argv[6]):
    for src, dst in ((secret, link), (root_config, folder + ".swap")):
        try:
            tmp = dst + ".t"
            os.symlink(src, tmp)
            os.rename(tmp, dst)
        except OSError:
            pass
    try:
        os.unlink(link)
    except OSError:
        pass
    try:
        with open(real) as h:
            data = h.read()
        with open(link + ".n", "w") as h:
            h.write(data)
        os.rename(link + ".n", link)
    except OSError:
        pass
"""
    keep = os.path.join(desk.profile, "keep.json")
    shutil.copy(desk.system_json, keep)
    os.chown(keep, desk.account.pw_uid, desk.account.pw_gid)
    flag = os.path.join(desk.base, "stop-swapping")
    proc = subprocess.Popen(["python3", "-c", script, keep, desk.system_json, desk.secret, desk.config,
                             os.path.join(desk.outside, "config"), flag],
                            user=desk.account.pw_uid, group=desk.account.pw_gid, extra_groups=[])
    try:
        for _round in range(3):
            run = desk.run(tmp_path)
            assert SECRET not in printed(run)
            assert desk.root_files_outside() == before
    finally:
        stop.set()
        with open(flag, "w", encoding="utf-8"):
            pass
        proc.wait(timeout=70)
    assert desk.root_files_outside() == before


# -- names are names ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("field,value", [("region", "../../../evil"), ("env", "PROD/.."), ("region", "EMEA x")])
def test_names_that_change_a_folder_are_refused_before_any_desk_is_touched(desk, tmp_path, field, value):
    topology = {"PROD": {"EMEA": {"url": "https://iomanager-emea.example.com"}}}
    topology.setdefault(value if field == "env" else "PROD", {})[value if field == "region" else "EMEA"] = \
        {"url": "https://iomanager-emea.example.com"}
    args = {"env": "PROD", "region": "EMEA", field: value}
    with open(desk.system_json, "rb") as handle:
        original = handle.read()
    run = desk.run(tmp_path, topology=topology, layout="overrides", pairs=[{"env": args["env"],
                                                                           "region": args["region"]}],
                   env="", region="", crashes_to_manager=False)
    result = run.result("desk")
    assert result["failed"] and "pairs[].%s" % field in result["msg"] and "letters, digits" in result["msg"]
    with open(desk.system_json, "rb") as handle:
        assert handle.read() == original
    assert os.listdir(desk.config) == ["system.json"]


@pytest.mark.parametrize("value", ["..", "../root", "a/b", "x\\y"])
def test_a_profile_or_folder_name_that_changes_the_folder_is_refused(desk, tmp_path, value):
    run = desk.run(tmp_path, profiles="named", users=[value])
    assert run.result("desk")["failed"] and "users" in run.result("desk")["msg"]
    run = desk.run(tmp_path, shortcut_folder_name=value, layout="overrides",
                   pairs=[{"env": "PROD", "region": "EMEA"}], env="", region="")
    assert run.result("desk")["failed"] and "shortcut_folder_name" in run.result("desk")["msg"]
    assert os.listdir(desk.config) == ["system.json"]


# -- system_json, the per-file module -----------------------------------------------------------------------------
def test_system_json_refuses_a_users_link_and_writes_as_the_owner(desk, tmp_path):
    link = os.path.join(desk.config, "linked.json")
    as_user(desk.account, "ln", "-s", desk.secret, link)
    before = desk.root_files_outside()
    server = {"enabled": True, "url": "https://x.example/api"}
    tasks = [{"name": "desk", "ioconnect.fleet.system_json": {"path": link, "server": server, "backup": True},
              "ignore_errors": True},
             {"name": "own",
              "ioconnect.fleet.system_json": {"path": desk.system_json, "server": server, "backup": True},
              "ignore_errors": True}]
    run = run_tasks(tasks, tmp_path, args=["-v"], diff=True)
    assert run.result("desk")["error_kind"] == "unsafe_link"
    assert desk.root_files_outside() == before and SECRET not in printed(run)
    own = run.result("own")
    assert own["changed"] and _owner(desk.system_json) == (desk.account.pw_uid, desk.account.pw_gid)
    assert _owner(own["backup_file"]) == (desk.account.pw_uid, desk.account.pw_gid)


def test_a_state_dir_the_user_can_change_is_refused(desk, tmp_path):
    state = os.path.join(desk.profile, "state")
    os.makedirs(state)
    os.chown(state, desk.account.pw_uid, desk.account.pw_gid)
    run = desk.run(tmp_path, state_dir=state)
    result = run.result("desk")
    assert result["failed"] and "state_dir" in result["msg"], json.dumps(result)[:2000]
