"""The one output formatter of every query command (`--format table|tsv|csv|json`).

- `table` (the default on a terminal): aligned columns, measured in terminal cells so wide
  characters line up. Identifiers (AIP URIs, ids, table names) are never cut; when a row is
  wider than the terminal only descriptive columns (names, descriptions, reasons) are
  shortened, with an ellipsis.
- `tsv` (the default off a terminal): a header line, then one row per line, tab-separated, no
  cell ever cut (tabs and newlines inside a value are escaped as `\\t`, `\\n`).
- `csv`: RFC 4180 with a header line.
- `json`: JSON lines, one object per row (every command, so `jq -c` and line tools work alike).

Lists print as `a, b`; tags (`struct<tag, value>`) as `key::value` in every format.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, Any

FORMATS = ("table", "tsv", "csv", "json")
ELLIPSIS = "…"
MIN_SHORTENED = 12
# Columns whose values are descriptive text: the only ones a table may shorten.
DESCRIPTIVE_COLUMNS = frozenset({
    "name", "description", "reason", "why", "observed_value", "last_error", "body", "payload",
    "error", "errors", "message",
})


def add_format_option(parser: Any) -> None:
    parser.add_argument("--format", choices=FORMATS, default=None,
                        help="table (default on a terminal), tsv (default otherwise), csv, or json lines")


def resolve(fmt: str | None, stream: IO[str] | None = None) -> str:
    """The explicit format, else `table` on a terminal and `tsv` anywhere else."""
    if fmt:
        return fmt
    stream = stream or sys.stdout
    return "table" if _is_terminal(stream) else "tsv"


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def plain(value: Any) -> Any:
    """A value as JSON-able data: timestamps as ISO text, tags as `key::value`, rows as dicts."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if hasattr(value, "asDict"):
        value = value.asDict(recursive=True)
    if isinstance(value, dict):
        if set(value) == {"tag", "value"}:
            return f"{value['tag']}::{value['value']}"
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def cell_text(value: Any, *, null: str = "") -> str:
    value = plain(value)
    if value is None:
        return null
    if isinstance(value, list):
        return ", ".join(cell_text(v, null=null) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def render(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, *,
           width: int | None = None) -> Iterator[str]:
    """Lines of `rows` in `fmt`; `width` (terminal cells) bounds a table, None = unbounded."""
    rows = list(rows)
    if fmt == "json":
        for row in rows:
            yield json.dumps({c: plain(v) for c, v in zip(columns, row)}, ensure_ascii=False)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([cell_text(v) for v in row])
        yield from buf.getvalue().splitlines()
    elif fmt == "tsv":
        yield "\t".join(columns)
        for row in rows:
            yield "\t".join(_tsv_escape(cell_text(v)) for v in row)
    elif fmt == "table":
        yield from _table(list(columns), [[cell_text(v, null="NULL") for v in row] for row in rows], width)
        yield f"({len(rows)} row{'s' if len(rows) != 1 else ''})"
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")


def emit(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str | None, *,
         stream: IO[str] | None = None) -> str:
    """Print `rows` to `stream` (stdout) in `fmt` (resolved for that stream); returns the format used."""
    stream = stream or sys.stdout
    fmt = resolve(fmt, stream)
    width = shutil.get_terminal_size().columns if fmt == "table" and _is_terminal(stream) else None
    for line in render(columns, rows, fmt, width=width):
        print(line, file=stream)
    return fmt


def _tsv_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _cells(text: str) -> int:
    from rich.cells import cell_len

    return cell_len(text)


def _shorten(text: str, width: int) -> str:
    from rich.cells import set_cell_size

    if _cells(text) <= width:
        return text
    return set_cell_size(text, width - 1).rstrip() + ELLIPSIS


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _cells(text))


def _table(columns: list[str], cells: list[list[str]], width: int | None) -> Iterator[str]:
    text = [[v.replace("\n", " ") for v in row] for row in cells]
    widths = [max([_cells(c)] + [_cells(r[i]) for r in text]) for i, c in enumerate(columns)]
    if width:
        _fit(columns, widths, width)
    sep = " | "
    yield sep.join(_pad(_shorten(c, w), w) for c, w in zip(columns, widths)).rstrip()
    yield "-+-".join("-" * w for w in widths)
    for row in text:
        yield sep.join(_pad(_shorten(v, w), w) for v, w in zip(row, widths)).rstrip()


def _fit(columns: list[str], widths: list[int], width: int) -> None:
    """Shrink descriptive columns, widest first, until the row fits `width` (or none can shrink)."""
    total = sum(widths) + 3 * (len(widths) - 1)
    shrinkable = [i for i, c in enumerate(columns) if c.lower() in DESCRIPTIVE_COLUMNS]
    while total > width:
        candidates = [i for i in shrinkable if widths[i] > MIN_SHORTENED]
        if not candidates:
            return  # identifiers stay whole: the terminal wraps the line, the text is intact
        i = max(candidates, key=lambda j: widths[j])
        cut = min(total - width, widths[i] - MIN_SHORTENED)
        widths[i] -= cut
        total -= cut
