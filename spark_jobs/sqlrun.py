"""Run analyst SQL over the lakehouse: every table registered, parameters bound as literals."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

OutputFormat = Literal["table", "csv", "json"]
_PARAM_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
VIEWS_DIR = Path(__file__).resolve().parent.parent / "sql" / "views"


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """`k=v` pairs -> named parameters; values stay data (bound, never spliced into SQL)."""
    params: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not _PARAM_NAME.match(name):
            raise UsageError(f"--param expects name=value with a plain name, got {pair!r}")
        params[name] = _coerce(value)
    return params


def _coerce(value: str) -> Any:
    if re.fullmatch(r"-?\d{1,18}", value):
        return int(value)
    return value


def split_statements(text: str) -> list[str]:
    """Split a script on `;` outside quotes and comments."""
    out, buf, quote, i = [], [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            buf.append(ch)
            if ch == "\\" and i + 1 < len(text):
                buf.append(text[i + 1])
                i += 1
            elif ch == quote:
                quote = None
        elif ch in "'\"`":
            quote = ch
            buf.append(ch)
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch == ";":
            out.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
        i += 1
    out.append("".join(buf))
    return [s.strip() for s in out if s.strip()]


def _referenced_params(statement: str, params: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if re.search(rf":{k}\b", statement)}


def register_views(spark: SparkSession, views_dir: Path = VIEWS_DIR) -> list[str]:
    """Create the analyst views (sql/views/*.sql) in this session, in file-name order."""
    created = []
    if not views_dir.is_dir():
        return created
    for path in sorted(views_dir.glob("*.sql")):
        for statement in split_statements(path.read_text()):
            spark.sql(statement)
        created.append(path.stem)
    return created


def run_sql(
    spark: SparkSession, settings: Settings, text: str, params: Mapping[str, Any] | None = None,
    *, with_views: bool = True,
) -> DataFrame | None:
    """Execute a script; returns the DataFrame of the last statement."""
    tables.register(spark, settings)
    if with_views:
        register_views(spark)
    params = dict(params or {})
    statements = split_statements(text)
    if not statements:
        raise UsageError("no SQL statement given")
    unused = set(params) - {k for s in statements for k in _referenced_params(s, params)}
    if unused:
        raise UsageError(f"parameter(s) not used by the query: {', '.join(sorted(unused))}")
    result = None
    for statement in statements:
        bound = _referenced_params(statement, params)
        result = spark.sql(statement, args=bound) if bound else spark.sql(statement)
    return result


def _jsonable(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if hasattr(value, "asDict"):
        return _jsonable(value.asDict(recursive=True))
    return value


def format_rows(columns: list[str], rows: list[tuple], fmt: OutputFormat) -> Iterator[str]:
    if fmt == "json":
        for row in rows:
            yield json.dumps({c: _jsonable(v) for c, v in zip(columns, row)}, ensure_ascii=False)
    elif fmt == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(columns)
        for row in rows:
            writer.writerow([json.dumps(_jsonable(v)) if isinstance(v, (list, dict, tuple)) else v for v in row])
        yield buf.getvalue().rstrip("\n")
    else:
        cells = [[_cell(v) for v in row] for row in rows]
        widths = [min(60, max([len(c)] + [len(r[i]) for r in cells])) for i, c in enumerate(columns)]
        yield " | ".join(c.ljust(w) for c, w in zip(columns, widths))
        yield "-+-".join("-" * w for w in widths)
        for row in cells:
            yield " | ".join(v[:w].ljust(w) for v, w in zip(row, widths))
        yield f"({len(rows)} row{'s' if len(rows) != 1 else ''})"


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    value = _jsonable(value)
    return json.dumps(value, ensure_ascii=False) if isinstance(value, (list, dict)) else str(value)
