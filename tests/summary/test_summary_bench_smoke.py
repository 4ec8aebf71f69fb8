"""The summary edit benchmark runs end to end at a tiny size and produces figures (never judged here:
timings are for docs/performance.md)."""

from __future__ import annotations

import pytest

from bench import summary_edit

pytestmark = pytest.mark.live


def test_the_summary_edit_benchmark_produces_figures():
    relay, app = summary_edit.main(["--couples", "2", "--seconds", "2", "--pace", "0.5"])
    for result in (relay, app):
        assert result["edits"] > 0 and result["p99_ms"] is not None
        assert not result["errors"], result["errors"]
    assert app["mode"] == "app" and relay["mode"] == "relay"
