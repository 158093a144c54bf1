"""The CLI's error contract: `-v` works before or after the command, and the hint says so."""

from __future__ import annotations

from spark_jobs import cli
from spark_jobs.commands import tables as tables_command


def test_verbose_is_accepted_after_the_command_too():
    parser = cli.build_parser()
    assert parser.parse_args(["-v", "tables"]).verbose is True
    assert parser.parse_args(["tables", "-v"]).verbose is True
    assert parser.parse_args(["tables"]).verbose is False


def test_the_hint_names_the_command_line_that_shows_details(monkeypatch, capsys):
    def broken(args):
        raise RuntimeError("boom\nsecond line")

    monkeypatch.setattr(tables_command, "handle", broken)
    assert cli.main(["tables"]) == 1
    assert capsys.readouterr().err == "mlg tables: RuntimeError: boom (run `mlg -v tables …` for details)\n"
