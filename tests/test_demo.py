"""``voidmail demo`` run as a user runs it: a subprocess, nothing configured, the emulator."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from voidmail import demo, logs
from voidmail.rig.dovecot import Dovecot, DovecotError

pytestmark = pytest.mark.timeout(180)
REPO = Path(__file__).resolve().parent.parent


def run_demo() -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    return subprocess.run(
        [sys.executable, "-m", "voidmail", "demo"],
        capture_output=True,
        text=True,
        timeout=150,
        env=clean,
        cwd=REPO,
    )


def manifest() -> list[dict[str, str]]:
    entries: list[dict[str, str]] = tomllib.loads(
        (demo.DEMO_DIR / "manifest.toml").read_text(encoding="utf-8")
    )["mail"]
    return entries


def test_the_manifest_covers_every_sample_and_every_route() -> None:
    samples = demo.load_samples()
    assert [(s.file, s.route) for s in samples] == [(e["file"], e["route"]) for e in manifest()]
    assert sorted(s.file for s in samples) == sorted(p.name for p in demo.DEMO_DIR.glob("*.eml"))
    assert 8 <= len(samples) <= 10
    assert len({s.message_id for s in samples}) == len(samples)
    subjects = [s.subject for s in samples]
    assert len(set(subjects)) == len(subjects)
    assert all(len(subject) <= demo.SUBJECT_WIDTH for subject in subjects), "rows are findable"
    assert {s.route.split(":")[0] for s in samples} == {"faq", "llm", "human", "ignored"}
    assert all(s.shows for s in samples)


def test_demo_routes_every_sample_and_says_the_emulator_answered() -> None:
    result = run_demo()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["MAIL", "ROUTE", "REPLY", "TOKENS", "MS"]
    expected = {s.subject: s for s in demo.load_samples()}
    rows = {}
    for line in lines[1:]:
        for subject in expected:
            if line.startswith(subject + "  "):
                rows[subject] = line[len(subject) :].split()
    assert set(rows) == set(expected), result.stdout
    for subject, cells in rows.items():
        sample = expected[subject]
        route, *reply_words, tokens, took = cells
        reply = " ".join(reply_words)
        assert route == sample.route, f"{sample.file}: {route} != {sample.route}"
        assert took.isdigit(), f"{sample.file}: time {took!r}"
        assert (tokens != "-") == (route == "llm"), f"{sample.file}: tokens {tokens!r}"
        if route == "human":
            assert reply.startswith("(for a person:"), reply
        elif route == "ignored":
            assert reply.startswith("(not answered:"), reply
        else:
            assert reply.startswith(("¡Hola!", "Hi!")), reply
    assert "LLM: the local Groq emulator" in result.stdout
    assert "not the real Groq" in lines[-1]
    # Nothing is left behind: the scratch directory is removed after a success.
    assert "kept in" not in result.stderr


async def test_without_dovecot_the_demo_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def no_dovecot(base_dir: Path) -> Dovecot:
        raise DovecotError("dovecot not found; install dovecot-imapd")

    made: list[Path] = []
    real_scratch_dir = demo.scratch_dir

    def scratch_dir() -> Path:
        made.append(real_scratch_dir())
        return made[-1]

    monkeypatch.setattr(demo, "Dovecot", no_dovecot)
    monkeypatch.setattr(demo, "scratch_dir", scratch_dir)
    monkeypatch.setattr(logs, "configure", lambda *args, **kwargs: None)
    code = await demo.main(argparse.Namespace(config=None))
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""
    assert err.splitlines() == [demo.NO_DOVECOT]
    assert "apt-get install dovecot-imapd" in err
    [workdir] = made
    assert not workdir.exists(), "nothing is left behind"
