"""Inline SVG charts (no scripts, no fonts to fetch): stacked horizontal bars and line charts.

Inputs are small aggregates already computed by SQL; these functions only draw them.
"""

from __future__ import annotations

from collections.abc import Sequence

from quality.html import cell, esc

PALETTE = ("#2f6fde", "#e4572e", "#17a398", "#f2a541", "#7d5ba6", "#8c8c8c", "#d1495b", "#3d9970")
_EMPTY = '<p class="note">No data to chart.</p>'


def stacked_bars(labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]], *,
                 title: str, width: int = 900) -> str:
    """One horizontal bar per label, stacked by series; totals printed at the bar end."""
    if not labels:
        return _EMPTY
    bar, gap, left, top = 18, 8, min(260, 12 + 7 * max(len(str(x)) for x in labels)), 28
    totals = [sum(values[i] or 0 for _, values in series) for i in range(len(labels))]
    scale = (width - left - 90) / (max(totals) or 1)
    height = top + len(labels) * (bar + gap) + 24
    parts = [_header(width, height, title)]
    for i, label in enumerate(labels):
        y = top + i * (bar + gap)
        parts.append(f'<text x="{left - 6}" y="{y + bar - 5}" text-anchor="end">{esc(label)}</text>')
        x = float(left)
        for k, (name, values) in enumerate(series):
            w = (values[i] or 0) * scale
            if w > 0:
                parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar}" '
                             f'fill="{PALETTE[k % len(PALETTE)]}"><title>{esc(label)} / {esc(name)}: '
                             f'{esc(cell(values[i]))}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 4:.1f}" y="{y + bar - 5}">{esc(cell(totals[i]))}</text>')
    parts.append(_legend([name for name, _ in series], x=left, y=height - 8))
    parts.append("</svg>")
    return "".join(parts)


def line_chart(x_labels: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *,
               title: str, width: int = 900, height: int = 260) -> str:
    """Lines over an ordinal x axis (runs, versions); None leaves a gap."""
    if not x_labels:
        return _EMPTY
    left, right, top, bottom = 56, 20, 28, 58
    values = [v for _, vs in series for v in vs if v is not None]
    high = max(values) if values else 1
    high = high if high > 0 else 1
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(x_labels) - 1)

    def xy(i: int, v: float) -> tuple[float, float]:
        return left + i * step, top + plot_h - (v / high) * plot_h

    parts = [_header(width, height, title)]
    for frac in (0, 0.5, 1):
        y = top + plot_h - frac * plot_h
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#e3e7ed"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(cell(high * frac))}</text>')
    every = max(1, len(x_labels) // 12)
    for i, label in enumerate(x_labels):
        if i % every == 0 or i == len(x_labels) - 1:
            x, _ = xy(i, 0)
            parts.append(f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle">{esc(label)}</text>')
    for k, (name, vs) in enumerate(series):
        color = PALETTE[k % len(PALETTE)]
        segment: list[str] = []
        for i, v in enumerate(list(vs) + [None]):
            if v is None:
                if len(segment) > 1:
                    parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                                 f'points="{" ".join(segment)}"/>')
                segment = []
                continue
            x, y = xy(i, v)
            segment.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{esc(name)} @ '
                         f'{esc(x_labels[i])}: {esc(cell(v))}</title></circle>')
    parts.append(_legend([name for name, _ in series], x=left, y=height - 8))
    parts.append("</svg>")
    return "".join(parts)


def sparkline(values: Sequence[float | None], *, title: str, width: int = 120, height: int = 28,
              min_span: float = 10.0) -> str:
    """A small inline trend line, the last value as a dot. The scale fits the values but spans at
    least `min_span` (score points), so a 0.4-point change does not fill the whole height."""
    points = [(i, v) for i, v in enumerate(values) if v is not None]
    if not points:
        return '<span class="note">no runs</span>'
    step = (width - 8) / max(1, len(values) - 1)
    lowest, highest = min(v for _, v in points), max(v for _, v in points)
    pad = max(0.0, min_span - (highest - lowest)) / 2
    low, high = lowest - pad, highest + pad
    span = (high - low) or 1.0

    def xy(i: int, v: float) -> tuple[float, float]:
        return 4 + i * step, height - 4 - (v - low) / span * (height - 8)

    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in (xy(i, v) for i, v in points))
    last_x, last_y = xy(*points[-1])
    label = f"{title}: " + ", ".join(cell(v) for _, v in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{esc(label)}" class="spark"><title>{esc(label)}</title>'
            f'<polyline fill="none" stroke="{PALETTE[0]}" stroke-width="1.5" points="{coords}"/>'
            f'<circle cx="{last_x:.1f}" cy="{last_y:.1f}" r="2.5" fill="{PALETTE[0]}"/></svg>')


def _header(width: int, height: int, title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
            f'height="{height}" role="img" aria-label="{esc(title)}" font-family="system-ui,sans-serif" '
            f'font-size="12" fill="#1f2933"><title>{esc(title)}</title>'
            f'<text x="4" y="16" font-weight="600" font-size="13">{esc(title)}</text>')


def _legend(names: Sequence[str], *, x: float, y: float) -> str:
    parts, offset = [], x
    for k, name in enumerate(names):
        parts.append(f'<rect x="{offset:.1f}" y="{y - 10}" width="10" height="10" fill="{PALETTE[k % len(PALETTE)]}"/>'
                     f'<text x="{offset + 14:.1f}" y="{y}">{esc(name)}</text>')
        offset += 24 + 7 * len(name)
    return "".join(parts)
