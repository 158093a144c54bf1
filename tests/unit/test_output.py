"""The one output formatter: identifiers whole, descriptive text shortened only on a narrow
terminal, wide characters aligned, one tab-separated row per line off a terminal."""

from __future__ import annotations

import io
import json

from rich.cells import cell_len

from spark_jobs import output

URI = "aip://pipeline-run/orchestrator/train-weekly-ranking-20XX0101"
LONG = "A very long description that goes on and on about what this pipeline run did " * 2
TAGS = [{"tag": "team", "value": "ranking"}, {"tag": "tier", "value": "gold"}]


def test_a_narrow_table_shortens_descriptions_never_identifiers():
    lines = list(output.render(["id", "description", "owners"], [(URI, LONG, [URI, URI])], "table", width=100))
    row = lines[2]
    assert URI in row and row.count(URI) == 3  # id and both owners whole
    assert "…" in row and LONG.strip() not in row
    assert lines[-1] == "(1 row)"


def test_an_unbounded_table_cuts_nothing():
    row = list(output.render(["id", "description"], [(URI, LONG)], "table", width=None))[2]
    assert LONG.strip() in row and "…" not in row


def test_wide_characters_stay_aligned():
    rows = [("aip://model-instance/registry/x", "ünïcødé-名前"), ("aip://model/registry/y", "plain")]
    lines = list(output.render(["id", "name"], rows, "table"))
    header, _rule, *body, _count = lines
    bars = {cell_len(line[:line.index("|")]) for line in [header, *body]}
    assert len(bars) == 1  # the separator sits in the same terminal column on every line


def test_tsv_is_one_row_per_line_with_tags_as_key_value():
    lines = list(output.render(["id", "tags", "description"], [(URI, TAGS, "two\tlines\nhere")], "tsv"))
    assert lines == ["id\ttags\tdescription", f"{URI}\tteam::ranking, tier::gold\ttwo\\tlines\\nhere"]


def test_json_is_json_lines_and_csv_has_a_header():
    rows = [(URI, TAGS, None), ("b", [], 3)]
    lines = list(output.render(["id", "tags", "n"], rows, "json"))
    assert [json.loads(line) for line in lines] == [
        {"id": URI, "tags": ["team::ranking", "tier::gold"], "n": None}, {"id": "b", "tags": [], "n": 3}]
    assert list(output.render(["id", "n"], [("a,b", 1)], "csv")) == ["id,n", '"a,b",1']


def test_the_default_is_tsv_off_a_terminal_and_table_on_one():
    class Tty(io.StringIO):
        def isatty(self):
            return True

    assert output.resolve(None, io.StringIO()) == "tsv"
    assert output.resolve(None, Tty()) == "table"
    assert output.resolve("json", Tty()) == "json"
