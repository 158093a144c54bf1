"""BENCHMARKS.md's generated block: latest run per scale, growth flags, markers kept."""

from __future__ import annotations

from spark_jobs.bench import summary


def _record(scale: int, entities: int, hydrate_s: float, closure_s: float) -> dict:
    return {"kind": "mlg-bench", "scale": scale, "commit": "abc", "date": "2026-11-23",
            "machine": {"cpus": 2, "memory_gb": 24, "host": "ci"},
            "steps": [{"step": "stack.up", "seconds": 1.0, "peak_rss_mb": 100, "rows_per_s": None,
                       "extra": {"entities": entities}},
                      {"step": "full.hydrate", "seconds": hydrate_s, "peak_rss_mb": 300, "rows_per_s": 10.0},
                      {"step": "full.closure", "seconds": closure_s, "peak_rss_mb": 400, "rows_per_s": 5.0}],
            "comparisons": {}}


def test_growth_flags_only_steps_worse_than_linear():
    by_scale = summary.latest_by_scale([_record(1, 1000, 2.0, 1.0), _record(10, 10_000, 15.0, 100.0)])
    [line] = summary.growth(by_scale)
    assert "source objects ×10.0" in line
    assert "full.closure ×100.0" in line
    assert "full.hydrate" not in line


def test_latest_record_per_scale_wins():
    old, new = _record(1, 1000, 9.0, 1.0), _record(1, 1000, 2.0, 1.0)
    assert summary.latest_by_scale([old, new])[1] is new


def test_update_replaces_only_the_generated_block(tmp_path, monkeypatch):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text(f"# Benchmarks\n\nhand-written goals\n\n{summary.START}\nstale\n{summary.END}\n\nanalysis\n")
    monkeypatch.setattr(summary, "load", lambda: [_record(1, 1000, 2.0, 1.0)])
    summary.update(path)
    text = path.read_text()
    assert "hand-written goals" in text and "analysis" in text
    assert "stale" not in text
    assert "| full.hydrate | 2.00 · 10 · 300 |" in text
