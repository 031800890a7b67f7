"""``voidmail check``: configuration, IMAP, SMTP, database and LLM, one verdict a line."""

from __future__ import annotations

import argparse
import sys

from voidmail import cli


async def main(args: argparse.Namespace) -> int:
    """Not implemented yet: validates the configuration, then says so."""
    cli.load_settings(args).require_servers()
    print("voidmail check: not implemented yet", file=sys.stderr)
    return cli.EXIT_NOT_IMPLEMENTED
