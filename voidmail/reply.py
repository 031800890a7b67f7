"""What deciding hands to the running daemon: an answer, or a hand-off to a person.

Shared by the deciding side (:mod:`voidmail.answer`, the LLM step) and the acting side
(:mod:`voidmail.respond`), and below both, so neither imports the other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from voidmail import compose

# An answer that tells the customer a person will write: it goes out, and a person is told.
_PROMISES_A_PERSON = re.compile(
    r"\b(?:una\s+persona|alguien|un\s+asesor|una\s+asesora|un\s+representante)\s+del\s+equipo\b"
    r"|\b(?:te|le|les)\s+(?:va|van)\s+a\s+(?:responder|contactar|escribir)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Answer:
    """A reply text and what producing it cost."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    follow_up: str | None = None  # sent, and a person must still follow it up: why


class HandOff(Exception):
    """The message should go to a person; the text says why. Tokens already spent on it (an
    LLM answer that was held back) are still recorded."""

    def __init__(self, why: str, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        super().__init__(why)
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


class Spam(Exception):
    """The LLM judged the message spam: it is ignored, nothing is sent. Tokens are recorded."""

    def __init__(self, *, prompt_tokens: int = 0, completion_tokens: int = 0) -> None:
        super().__init__("spam, said the LLM")
        self.prompt_tokens = prompt_tokens
        self.completion_tokens = completion_tokens


def follow_up_for(text: str) -> str | None:
    """Why a person must follow up a reply saying ``text`` (it promises one), or None."""
    promise = _PROMISES_A_PERSON.search(text)
    if promise is None:
        return None
    return f"la respuesta automática prometió que alguien del equipo escribe ({promise[0]!r})"


def thread_key(subject: str) -> str:
    """A conversation's key within one customer's mail: the subject without Re:/Fwd:."""
    return compose.reply_subject(subject).removeprefix("Re: ").strip().casefold()[:200]
