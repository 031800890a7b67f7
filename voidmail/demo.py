"""``voidmail demo``: the whole pipeline on sample mail, locally and offline."""

from __future__ import annotations

import argparse
import sys

from voidmail import cli


async def main(args: argparse.Namespace) -> int:
    """Not implemented yet."""
    del args
    print("voidmail demo: not implemented yet", file=sys.stderr)
    return cli.EXIT_NOT_IMPLEMENTED
