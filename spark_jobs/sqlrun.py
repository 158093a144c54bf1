"""Run analyst SQL over the lakehouse: every table registered, parameters bound as literals."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from spark_jobs import tables
from spark_jobs.config import Settings
from spark_jobs.errors import UsageError

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

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


_PLACEHOLDER = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def _code_only(text: str) -> str:
    """The SQL with string literals, quoted identifiers and comments blanked out."""
    out, quote, i = [], None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and i + 1 < len(text):
                i += 2
                continue
            if ch == quote:
                quote = None
            out.append(" ")
        elif ch in "'\"`":
            quote = ch
            out.append(" ")
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def placeholders(text: str) -> set[str]:
    """Names of the `:name` parameters a script uses (not `::` casts, not inside literals)."""
    return set(_PLACEHOLDER.findall(_code_only(text)))


def check_params(text: str, params: Mapping[str, Any]) -> None:
    """Every placeholder bound and every parameter used, said before any engine starts."""
    missing = placeholders(text) - set(params)
    if missing:
        names = sorted(missing)
        raise UsageError(f"the query needs {', '.join(':' + n for n in names)}: pass "
                         + " ".join(f"--param {n}=VALUE" for n in names))
    unused = set(params) - placeholders(text)
    if unused:
        raise UsageError(f"parameter(s) not used by the query: {', '.join(sorted(unused))}")


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
    check_params(text, params)
    result = None
    for statement in statements:
        bound = _referenced_params(statement, params)
        result = spark.sql(statement, args=bound) if bound else spark.sql(statement)
    return result
