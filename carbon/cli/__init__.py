"""The ``parkcarbon`` command line.

Conventions (DESIGN.md, Command line): every subcommand has ``--help``; ``--format json`` prints
exactly one JSON object on stdout and nothing else; warnings, progress and logs go to stderr;
exit code 0 on success, 1 for bad input, 2 for a bad command line; a user error is one clear
message, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys

from .. import __version__
from . import (
    account,
    decompose,
    demo,
    factors,
    macc,
    report,
    scenario,
    template,
    uncertainty,
)
from ._common import run_guarded

__all__ = ["main"]

#: Subcommand modules: each has NAME, HELP, add_arguments(parser) and run(args) -> int.
COMMANDS = (account, factors, report, scenario, uncertainty, decompose, macc, demo, template)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="parkcarbon",
        description="Carbon accounting and carbon-peak scenarios for industrial parks.",
        epilog="Run 'parkcarbon demo' for a tour on the bundled sample park.",
    )
    parser.add_argument("--version", action="version", version=f"parkcarbon {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        sub = commands.add_parser(module.NAME, help=module.HELP, description=module.__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        sub.set_defaults(run=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help(sys.stderr)
        return 2
    try:
        return run_guarded(args)
    except BrokenPipeError:  # `parkcarbon ... | head`: the reader left; no traceback
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
