"""The systemd unit: systemd-analyze finds nothing to say, the sandbox stays tight.

These need systemd's tools (``systemd-analyze`` and friends), not a running systemd. Where the
tools are missing the tests skip, except under CI (``$CI`` set), where that is a failure.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from voidmail import config, pgembed

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "systemd" / "voidmail.service"
SYSUSERS = ROOT / "systemd" / "voidmail.sysusers"
TMPFILES = ROOT / "systemd" / "voidmail.tmpfiles"
EXEC_START = "/opt/voidmail/bin/voidmail"
MAX_EXPOSURE = 1.2


def tool(name: str) -> str:
    path = shutil.which(name) or shutil.which(name, path="/usr/bin:/bin")
    if path is None:
        message = f"{name} is not installed (Debian: apt-get install systemd)"
        if os.environ.get("CI"):
            pytest.fail(message + "; CI must run these tests")
        pytest.skip(message)
    return path


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYSTEMD_COLORS": "0", "SYSTEMD_PAGER": ""},
    )


def directives(path: Path) -> dict[str, list[str]]:
    """``Key=value`` lines of a unit file (all sections), repeated keys in order."""
    found: dict[str, list[str]] = defaultdict(list)
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", ";", "[")):
            key, _, value = line.partition("=")
            found[key].append(value)
    return found


def test_exposure_is_at_most_1_2() -> None:
    analyze = tool("systemd-analyze")
    result = run(analyze, "security", "--offline=true", "--no-pager", str(UNIT))
    assert result.returncode == 0, result.stderr
    match = re.search(r"Overall exposure level for \S+: (\d+(?:\.\d+)?)", result.stdout)
    assert match, result.stdout
    exposure = float(match.group(1))
    assert exposure <= MAX_EXPOSURE, result.stdout


def test_verify_says_nothing(tmp_path: Path) -> None:
    analyze = tool("systemd-analyze")
    # verify insists the ExecStart= binary exists: point it at a stand-in, change nothing else.
    binary = tmp_path / "bin" / "voidmail"
    binary.parent.mkdir()
    binary.write_text("#!/bin/sh\n", encoding="utf-8")
    binary.chmod(0o755)
    text = UNIT.read_text(encoding="utf-8")
    assert f"ExecStart={EXEC_START} run\n" in text
    unit = tmp_path / UNIT.name
    unit.write_text(text.replace(f"ExecStart={EXEC_START} ", f"ExecStart={binary} "), "utf-8")
    # --man=no: whether man pages are installed says nothing about the unit.
    result = run(analyze, "verify", "--man=no", str(unit))
    # verify exits 0 on warnings (unknown keys, bad values): any output at all is a failure.
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_unit_matches_the_code() -> None:
    unit = directives(UNIT)
    assert unit["User"] == [pgembed.SERVICE_USER]
    assert unit["Type"] == ["notify"]
    assert unit["NotifyAccess"] == ["main"]
    # Every secret systemd hands over is one config.py looks for under $CREDENTIALS_DIRECTORY.
    names = {value.partition(":")[0] for value in unit["LoadCredential"]}
    assert names == {"imap_password", "smtp_password", "llm_api_key"}
    assert names <= set(config.CREDENTIALS.values())
    # The daemon's drain must end before systemd's stop timeout sends SIGKILL.
    assert config.DaemonSettings().shutdown_timeout < float(unit["TimeoutStopSec"][0])
    assert unit["StateDirectory"] == ["voidmail"]
    assert "AF_UNIX" in unit["RestrictAddressFamilies"][0].split()


def test_sysusers_creates_the_service_user(tmp_path: Path) -> None:
    sysusers = tool("systemd-sysusers")
    (tmp_path / "etc").mkdir()
    result = run(sysusers, f"--root={tmp_path}", str(SYSUSERS))
    assert result.returncode == 0, result.stderr
    entries = {
        line.split(":")[0]: line.split(":")
        for line in (tmp_path / "etc" / "passwd").read_text(encoding="utf-8").splitlines()
    }
    user = entries[pgembed.SERVICE_USER]
    assert 0 < int(user[2]) < 1000  # a system user
    assert user[6] in ("/usr/sbin/nologin", "/sbin/nologin")


@pytest.mark.root
def test_tmpfiles_locks_down_the_credentials(tmp_path: Path) -> None:
    sysusers, tmpfiles = tool("systemd-sysusers"), tool("systemd-tmpfiles")
    (tmp_path / "etc").mkdir()
    assert run(sysusers, f"--root={tmp_path}", str(SYSUSERS)).returncode == 0
    etc = tmp_path / "etc" / "voidmail"
    etc.mkdir(mode=0o777)
    (etc / "voidmail.toml").write_text("", encoding="utf-8")
    (etc / "voidmail.toml").chmod(0o644)
    result = run(tmpfiles, f"--root={tmp_path}", "--create", str(TMPFILES))
    assert (result.returncode, result.stderr) == (0, "")
    assert stat.S_IMODE((etc / "credentials").stat().st_mode) == 0o700
    assert stat.S_IMODE((etc / "voidmail.toml").stat().st_mode) == 0o640
