"""The one exception tree of voidmail.

Library errors are translated into these at the boundary (``raise ... from exc``). The worker
decides between a retry and the dead-letter queue by branch alone: ``RetryableError`` is tried
again with backoff, ``PermanentError`` is parked at once.
"""

from __future__ import annotations


class VoidmailError(Exception):
    """Root of every error voidmail raises on purpose."""


class ConfigError(VoidmailError):
    """The configuration is unusable. The message names the key and how to fix it."""

    def __init__(self, message: str, *, key: str | None = None) -> None:
        super().__init__(message)
        self.key = key

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.key}: {message}" if self.key else message


class DatabaseError(VoidmailError):
    """The database could not be started, reached or migrated."""


class RetryableError(VoidmailError):
    """A failure that may go away by itself: a timeout, a 4xx from SMTP, a 429, a 5xx."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Deferred(RetryableError):
    """Not tried at all (the provider is unavailable): retry later without spending an attempt."""


class PermanentError(VoidmailError):
    """A failure that retrying cannot fix: bad credentials, a retired model, an SMTP 5xx."""


class ServiceError(VoidmailError):
    """A part of the running daemon died; the process exits non-zero so systemd restarts it."""
