"""The benchmarks run end to end at a tiny size (SQLite, one process: 5 couples saturating, 100 sockets at
a real pace) and produce figures.

It asserts that figures exist, never what they are: timings are for docs/performance.md.
"""

from __future__ import annotations

import json

import pytest

from bench import run

pytestmark = pytest.mark.live


def test_the_benchmark_produces_figures(tmp_path):
    report = run.main(["--quick", "--out", str(tmp_path / "bench.json")])
    app, relay = (next(r for r in report["scenarios"] if r["mode"] == mode) for mode in ("app", "relay"))
    for result in (app, relay):
        assert result["connected"] == result["couples"] == 5
        assert result["realistic_events"] > 0 and result["saturation_rate"] > 0
        assert result["p99"] is not None and result["kb_per_socket"] is not None
    assert app["statements_per_event"] > 0
    assert not app["errors"], app["errors"]
    assert (tmp_path / "bench.json").exists()


def test_the_summary_page_benchmark_produces_figures():
    from bench import summary_page

    assert summary_page.main(["--db", "sqlite", "--sessions", "3", "--requests", "6"]) == 0
    report = json.loads((run.ARTIFACTS / "bench-summary-page.json").read_text())
    assert report["results"]["sqlite"]["summary page"]["n"] == 6
    assert report["results"]["sqlite"]["trends.svg"]["p95"] is not None


def test_the_real_pace_benchmark_produces_figures(tmp_path):
    from bench import realpace

    report = realpace.main(["--quick", "--out", str(tmp_path / "realpace.json")])
    app, relay = (next(r for r in report["scenarios"] if r["mode"] == mode) for mode in ("app", "relay"))
    for result in (app, relay):
        assert result["connected_sockets"] == result["sockets"] == 100
        assert result["events"] > 0 and result["heartbeats_per_s"] > 0 and result["kb_per_socket"] is not None
        assert result["cpu_ms_per_message"] is not None
    assert app["db_writes_per_s"] > 0
    assert not app["errors"] and not app["connect_errors"], (app["errors"], app["connect_errors"])
    assert "| app, sqlite | 100 of 100 |" in realpace.table(report["scenarios"])


def test_a_load_generator_pauses_its_collector_only_while_it_measures():
    """Its own collections would count as the server's latency; afterwards it is as it was."""
    import gc

    from bench.loadgen import collector_paused

    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        assert gc.get_freeze_count() > 0
        raise RuntimeError("a worker that fails mid-window")
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0
