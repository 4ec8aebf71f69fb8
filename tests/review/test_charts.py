"""Server-drawn SVG charts: one mark per rated sign per partner, a title and a description."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from couples.charts import SignRating, SignTrend, ratings_chart, trend_chart

SVG = "{http://www.w3.org/2000/svg}"
NAMES = ("Alex", "Sam")


def marks(svg: str) -> list[tuple[str, str]]:
    root = ET.fromstring(svg)
    return [(mark.get("data-sign"), mark.get("data-partner")) for mark in root.iter()
            if mark.get("class") == "mark"]


def test_the_ratings_chart_draws_one_bar_per_rated_sign_per_partner():
    signs = [SignRating("s/terse", "Short replies", 1, 3, 0, 4), SignRating("s/busy", "Always busy", 2, 2, 0, 4),
             SignRating("s/cold", "Cold", 4, None, 0, 4)]

    svg = ratings_chart(signs, NAMES, title="Ratings", desc="Both partners' ratings.")

    assert sorted(marks(svg)) == sorted([("s/terse", "a"), ("s/terse", "b"), ("s/busy", "a"), ("s/busy", "b"),
                                         ("s/cold", "a")])
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "Ratings"
    assert root.find(f"{SVG}desc").text == "Both partners' ratings."


def test_the_trend_chart_draws_one_line_per_sign_per_partner_across_sessions():
    trends = [SignTrend("terse", "Short replies", 0, 4, (1, 2, None), (3, 3, 2)),
              SignTrend("busy", "Always busy", 0, 4, (None, None, 4), (None, None, None))]

    svg = trend_chart(trends, ["1 Nov 2026", "8 Nov 2026", "15 Nov 2026"], NAMES, title="Trends", desc="Lines.")

    assert sorted(marks(svg)) == [("busy", "a"), ("terse", "a"), ("terse", "b")]
    line = next(m for m in ET.fromstring(svg).iter(f"{SVG}polyline") if m.get("data-partner") == "a")
    assert len(line.get("points").split()) == 2  # the session without a value is left out


def test_labels_and_names_are_escaped_and_long_labels_shortened():
    signs = [SignRating("x", "<script>alert(1)</script> & a label much longer than the space for it", 1, 2, 0, 4)]

    svg = ratings_chart(signs, ('Jo "J" <b>', "Max"), title="T <1>", desc="D & d")

    assert "<script>" not in svg and "<b>" not in svg
    root = ET.fromstring(svg)  # well-formed
    assert root.find(f"{SVG}title").text == "T <1>"
    assert any(text.text and text.text.endswith("…") for text in root.iter(f"{SVG}text"))


def test_an_empty_chart_is_still_a_valid_image():
    assert marks(ratings_chart([], NAMES, title="None", desc="Nothing rated.")) == []
    assert marks(trend_chart([], [], NAMES, title="None", desc="Nothing rated.")) == []
