"""``voidmail try FILE.eml``: the decision and what would be sent, without any server."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "corpus" / "dev"


def try_(path: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VOIDMAIL_", "GROQ_"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "voidmail", "try", str(path)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("d-faq-envios-01.eml", ["route       faq", "faq entry   envios", "Auto-Submitted: auto-replied",
                                 "envíos a todo el país"]),
        ("d-auto-gmail-vacation.eml", ["route       ignored (auto_submitted)"]),
        ("d-human-cancelar-01.eml", ["route       human", "held for a person"]),
        ("d-llm-dos-01.eml", ["route       llm", "lane        the LLM lane, class", "tokens estimated", "--- system ---",
                              "<<<MENSAJE>>>", "--- user ---"]),
    ],
)  # fmt: skip
def test_try_prints_the_decision_and_the_reply_or_prompt(
    name: str, expected: list[str], tmp_path: Path
) -> None:
    result = try_(CORPUS / name, tmp_path)
    assert result.returncode == 0, result.stderr
    for text in expected:
        assert text in result.stdout, result.stdout
    assert "Traceback" not in result.stderr


def test_a_missing_file_is_one_line(tmp_path: Path) -> None:
    result = try_(tmp_path / "absent.eml", tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("voidmail: cannot read")
    assert len(result.stderr.splitlines()) == 1


def test_garbage_is_still_decided(tmp_path: Path) -> None:
    path = tmp_path / "garbage.eml"
    path.write_bytes(b"\xff\xfe\x00garbage without headers\r\n\r\n\x00\x01")
    result = try_(path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "route" in result.stdout


@pytest.mark.parametrize(
    ("question", "says"),
    [
        # Words nothing accounts for: an example naming them widens the entry.
        (
            "Hola, ¿puedo cambiar en el local de Palmares una prenda por otro talle?",
            ["not covered local, palmares", "covered by  keyword: cambio, cambiar"],
        ),
        # Words the entry itself excludes: its answer does not cover them.
        (
            "Si cambio una prenda por otro color, ¿también es sin cargo?",
            ["excluded    color + cargo", "lists them under 'exclude'"],
        ),
    ],
)
def test_try_names_the_words_a_canned_answer_does_not_cover(
    tmp_path: Path, question: str, says: list[str]
) -> None:
    path = tmp_path / "question.eml"
    path.write_text(
        "From: Ana <ana@correo.example>\nTo: hola@lupeindumentaria.com.ar\nSubject: Cambio\n"
        "Message-ID: <t1@correo.example>\nContent-Type: text/plain; charset=utf-8\n\n"
        f"{question}\n",
        encoding="utf-8",
    )
    result = try_(path, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "route       llm" in result.stdout
    for line in says:
        assert line in result.stdout
