"""Self-contained HTML pieces (inline CSS, no scripts, no external links) for the reports."""

from __future__ import annotations

import html
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1f2933;background:#f7f8fa}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:32px 0 8px;border-bottom:1px solid #d9dee5;padding-bottom:4px}
p.meta{color:#5f6b7a;margin:0 0 16px} p.note{color:#5f6b7a;font-size:13px}
section{background:#fff;border:1px solid #e3e7ed;border-radius:6px;padding:4px 18px 16px;margin:16px 0}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}
th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #edf0f3;vertical-align:top}
th{background:#f1f3f6;font-weight:600} td.num{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#1b7f3b;font-weight:600} .fail{color:#b42318;font-weight:600} .warn{color:#b54708;font-weight:600}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin:12px 0}
.card{background:#fff;border:1px solid #e3e7ed;border-radius:6px;padding:10px 16px;min-width:140px}
.card b{display:block;font-size:22px}
svg{max-width:100%;height:auto;display:block;margin:8px 0} svg.spark{display:inline-block;margin:0}
td ul{margin:0;padding-left:16px}
nav a{margin-right:12px}
"""


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def cell(value: Any) -> str:
    """A value as table-cell text (arrays and maps as compact JSON)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.3f}".rstrip("0").rstrip(".")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, (datetime, date)):
        return value.isoformat(sep=" ", timespec="seconds") if isinstance(value, datetime) else value.isoformat()
    if isinstance(value, (list, tuple, dict)) or hasattr(value, "asDict"):
        return json.dumps(jsonable(value), ensure_ascii=False)
    return str(value)


def jsonable(value: Any) -> Any:
    if hasattr(value, "asDict"):
        return jsonable(value.asDict(recursive=True))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *,
          cell_class: Callable[[int, Any], str] | None = None) -> str:
    """An HTML table; numbers right-aligned, `cell_class(column_index, value)` may add a class."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for row in rows:
        tds = []
        for i, value in enumerate(row):
            numeric = isinstance(value, (int, float)) and not isinstance(value, bool)
            cls = (cell_class(i, value) if cell_class else "") or ("num" if numeric else "")
            tds.append(f'<td class="{cls}">{esc(cell(value))}</td>' if cls else f"<td>{esc(cell(value))}</td>")
        body.append("<tr>" + "".join(tds) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def cards(items: Sequence[tuple[str, Any]]) -> str:
    return '<div class="cards">' + "".join(
        f'<div class="card"><b>{esc(cell(v))}</b>{esc(label)}</div>' for label, v in items) + "</div>"


def page(title: str, subtitle: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{esc(title)}</title>"
        f"<style>{CSS}</style></head><body><main><h1>{esc(title)}</h1><p class=\"meta\">{esc(subtitle)}</p>"
        f"{body}</main></body></html>\n"
    )
