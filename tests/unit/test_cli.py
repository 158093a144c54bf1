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


def test_library_warnings_reach_the_terminal_only_with_verbose(monkeypatch, capsys):
    import logging
    import warnings

    def noisy(args):
        warnings.warn("a library deprecation", UserWarning)
        logging.getLogger("great_expectations.core").warning("library chatter")
        print("answer")
        return 0

    monkeypatch.setattr(tables_command, "handle", noisy)
    with warnings.catch_warnings():
        assert cli.main(["tables"]) == 0
    quiet = capsys.readouterr()
    assert quiet.out == "answer\n" and "deprecation" not in quiet.err and "chatter" not in quiet.err
    logging.getLogger("great_expectations").setLevel(logging.NOTSET)
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter("default")
        assert cli.main(["-v", "tables"]) == 0
    assert [str(w.message) for w in shown] == ["a library deprecation"]  # -v leaves them on
    assert logging.getLogger("great_expectations").level == logging.NOTSET
