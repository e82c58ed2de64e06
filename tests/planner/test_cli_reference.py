"""The README's command-line reference is the one the parsers behind ``--help`` give.

The reference is generated from the argparse parsers of ``carbon.cli`` (every subcommand's
arguments, metavars, choices and help texts: what ``parkcarbon COMMAND --help`` prints) as
Markdown tables, which read the same on every Python version. When a parser changes, this test
fails with a diff; regenerate the section with::

    python tests/planner/test_cli_reference.py --write     # rewrite it in README.md
    python tests/planner/test_cli_reference.py             # or print it
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[2] / "README.md"
START = ("<!-- cli-reference:start (generated: python tests/planner/test_cli_reference.py "
         "--write) -->")
END = "<!-- cli-reference:end -->"


def _modules() -> tuple:
    from carbon import cli
    from carbon.cli import template

    # `template` until carbon.cli registers it in COMMANDS; then it is listed once, in order.
    return cli.COMMANDS if template in cli.COMMANDS else (*cli.COMMANDS, template)


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _sentence(text: str) -> str:
    text = _cell(text)
    return text[:1].upper() + text[1:] + "."


def _argument(action: argparse.Action) -> str:
    if not action.option_strings:
        return f"`{action.metavar or action.dest}`"
    if action.nargs == 0:
        return ", ".join(f"`{o}`" for o in sorted(action.option_strings, key=len))
    metavar = action.metavar or (
        "{" + ",".join(map(str, action.choices)) + "}" if action.choices else action.dest.upper())
    if action.nargs == "?":
        metavar = f"[{metavar}]"
    *short, longest = sorted(action.option_strings, key=len)  # -o, --output PATH
    return "".join(f"`{o}`, " for o in short) + f"`{longest} {metavar}`"


def _help(parser: argparse.ArgumentParser, action: argparse.Action) -> str:
    text = parser._get_formatter()._expand_help(action) if action.help else ""
    if action.choices and action.metavar:
        text += f" (one of: {', '.join(map(str, action.choices))})"
    return _cell(text)


def reference() -> str:
    """The Markdown of the reference section (between the markers)."""
    lines = ["| command | what it does |", "|---|---|"]
    modules = _modules()
    lines += [f"| [`{m.NAME}`](#parkcarbon-{m.NAME}) | {_cell(m.HELP)} |" for m in modules]
    for module in modules:
        parser = argparse.ArgumentParser(prog=f"parkcarbon {module.NAME}", add_help=True)
        module.add_arguments(parser)
        lines += ["", f"#### parkcarbon {module.NAME}", "", f"{_sentence(module.HELP)} "
                  f"Examples and details: `parkcarbon {module.NAME} --help`.", "",
                  "| argument | meaning |", "|---|---|"]
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            lines.append(f"| {_argument(action)} | {_help(parser, action)} |")
    return "\n".join(lines) + "\n"


def readme_section(text: str) -> str:
    if START not in text or END not in text:
        return ""
    return text.split(START, 1)[1].split(END, 1)[0].lstrip("\n")


def write(readme: Path = README) -> None:
    text = readme.read_text(encoding="utf-8")
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(f"{before}{START}\n{reference()}{END}{after}", encoding="utf-8")


def test_readme_cli_reference_is_up_to_date():
    current = readme_section(README.read_text(encoding="utf-8"))
    expected = reference()
    if current != expected:
        diff = "".join(difflib.unified_diff(current.splitlines(True), expected.splitlines(True),
                                            "README.md (CLI reference)", "from the parsers"))
        pytest.fail("README's CLI reference is out of date; regenerate it with\n"
                    "    python tests/planner/test_cli_reference.py --write\n" + diff)


def test_every_command_documents_every_argument():
    text = reference()
    for module in _modules():
        assert f"#### parkcarbon {module.NAME}" in text
    assert "`--format {table,json,csv,xlsx,html}`" in text  # report
    assert "`--lang {en,zh}`" in text


if __name__ == "__main__":
    sys.path.insert(0, str(README.parent))  # the checkout's carbon, installed or not
    if "--write" in sys.argv[1:]:
        write()
    else:
        sys.stdout.write(reference())
