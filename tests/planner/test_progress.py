"""Progress bars: on stderr only when it is a terminal, never with --quiet, never on stdout."""

from __future__ import annotations

import argparse
import io
import sys

import pytest

from carbon.cli import report as report_command
from carbon.cli import scenario as scenario_command


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(("terminal", "quiet", "shown"), [
    (True, False, True), (True, True, False), (False, False, False)])
def test_report_stages_bar(monkeypatch, terminal, quiet, shown):
    monkeypatch.setattr(sys, "stderr", Terminal() if terminal else io.StringIO())
    with report_command._progress(argparse.Namespace(quiet=quiet), 4) as bar:
        assert bar.disable is not shown
        bar.update(4)


def test_scenario_files_load_silently_off_a_terminal(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('end = 2030\n[base]\nyear = 2023\nsectors = [{ sector = "a", carrier = '
                    '"gas", co2e = 10.0, tce = 5.0 }]\n', encoding="utf-8")
    loaded = scenario_command.load_all([path, path])
    assert len(loaded) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


@pytest.mark.parametrize(("argv", "enabled"), [(["-q"], False), ([], None)])
def test_scenario_command_asks_for_a_bar_unless_quiet(tmp_path, monkeypatch, capsys, argv,
                                                      enabled):
    import carbon.progress as progress
    from carbon.cli._common import run_guarded

    asked = []
    real = progress.progress_bar

    def recording(total, desc, enabled=None, unit="it"):
        asked.append(enabled)
        return real(total, desc, enabled, unit)

    monkeypatch.setattr(progress, "progress_bar", recording)
    path = tmp_path / "s.toml"
    path.write_text('end = 2030\n[base]\nyear = 2023\nsectors = [{ sector = "a", carrier = '
                    '"gas", co2e = 10.0, tce = 5.0 }]\n', encoding="utf-8")
    parser = argparse.ArgumentParser()
    scenario_command.add_arguments(parser)
    parser.set_defaults(run=scenario_command.run)
    assert run_guarded(parser.parse_args([str(path), "--format", "json", *argv])) == 0
    assert asked == [enabled]
    assert capsys.readouterr().out.startswith("{")  # stdout: the JSON object only
