"""One rate, one calculation: ``figures.rate_of`` against hand-computed figures, the window, and rounding."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from datapack.analysis.figures import rate_label, rate_of, window_label
from datapack.analysis.incidents import incidents_section
from datapack.config import Disclosure
from datapack.disclosure import Control
from datapack.render.html import environment

PLAIN = Control(Disclosure(audience="public", threshold=5))
ROUNDED = Control(Disclosure(audience="public", threshold=5, rounding=5))


def test_a_rate_by_hand():
    r = rate_of(PLAIN, 37, 412.5, scale=1000, basis="population", months=12)
    assert r.rate.value == pytest.approx(37 / 412.5 * 1000) and r.rate.text == "89.7"  # 89.69...
    assert r.count.text == "37" and r.label == "per 1,000 average population" and r.window == "12 months"
    assert rate_of(PLAIN, 37, 250, basis="throughput").rate.text == "148.0"
    assert rate_of(PLAIN, 37, 250, basis="throughput").label == "per 1,000 detentions (throughput)"
    assert rate_of(PLAIN, 230, 250, crowding=True).rate.text == "92.0"


def test_a_rate_on_a_hidden_count_is_hidden():
    small = rate_of(PLAIN, 3, 412.5)
    assert small.count.hidden and small.rate.hidden and small.rate.value is None
    by_table = rate_of(PLAIN, 40, 412.5, count_hidden=True)  # secondary suppression hid the count
    assert by_table.rate.hidden and by_table.rate.value is None
    assert rate_of(PLAIN, 0, 412.5).rate.text == "0.0"  # zero identifies nobody
    assert rate_of(PLAIN, 37, 0).rate.text == "no data" and rate_of(PLAIN, None, 400).rate.text == "no data"


def test_with_rounding_the_rate_is_of_the_rounded_count():
    r = rate_of(ROUNDED, 37, 412.5)
    assert r.count.value == 35
    assert r.rate.value == pytest.approx(35 / 412.5 * 1000) and r.rate.text == "84.8"
    # with the base (shown), the rate gives back the rounded count, never the raw 37
    assert round(r.rate.value * 412.5 / 1000, 6) == 35
    assert rate_of(PLAIN, 37, 412.5).rate.value * 412.5 / 1000 == pytest.approx(37)  # no rounding: raw


def test_one_wording_of_the_basis():
    assert rate_label("population") == "per 1,000 average population"
    assert rate_label("throughput") == "per 1,000 detentions (throughput)"
    assert rate_label("population", crowding=True) == "% of in-use capacity"
    assert window_label(6) == "6 months" and window_label(1) == "1 month"


def _incidents(monthly_self_harm: dict[str, int]) -> pd.DataFrame:
    rows = [{"occurred": pd.Timestamp(f"{m}-15"), "category": "self_harm", "count": n}
            for m, n in monthly_self_harm.items()]
    return pd.DataFrame(rows)


# 24 months, Oct 2024 to Sep 2026: 2 self-harm incidents a month in the first 18, 4 a month in the last 6.
MONTHS = pd.period_range("2024-10", "2026-09", freq="M")
SELF_HARM = {str(m): (4 if i >= 18 else 2) for i, m in enumerate(MONTHS)}
POPULATION = pd.DataFrame({"population": [400.0] * 12 + [500.0] * 12, "throughput": float("nan")},
                          index=pd.period_range("2024-10", "2026-09", freq="M"))


def _section(months: int, control: Control = PLAIN) -> dict:
    return incidents_section(_incidents(SELF_HARM), pd.Period("2026-09", freq="M"), POPULATION, "population",
                             control, window_months=months)


def test_incident_rates_follow_the_window():
    twelve, six = _section(12), _section(6)
    c12, c6 = twelve["categories"][0], six["categories"][0]
    # 12 months: last = 6x2 + 6x4 = 36 over an average population of 500; previous = 24 over 400
    assert c12["last"]["value"] == 36 and c12["rate_last"]["text"] == f"{36 / 500 * 1000:.1f}" == "72.0"
    assert c12["previous"]["value"] == 24 and c12["rate_previous"]["text"] == "60.0"
    # 6 months: last = Apr-Sep 2026, 6x4 = 24 over 500; previous = Oct 2025-Mar 2026, 6x2 = 12 over 500
    assert c6["last"]["value"] == 24 and c6["rate_last"]["text"] == f"{24 / 500 * 1000:.1f}" == "48.0"
    assert c6["previous"]["value"] == 12 and c6["rate_previous"]["text"] == "24.0"
    assert six["windows"]["last"]["first"] == "2026-04" and six["windows"]["previous"]["first"] == "2025-10"
    assert (twelve["window"], six["window"], six["months"]) == ("12 months", "6 months", 6)
    assert six["table"]["blocks"][1]["label"].startswith("Last 6 months")
    assert "against the 6 months before" in six["summary"]
    assert six["base"]["last"]["months"] == 6


def test_the_incidents_wording_comes_from_the_window():
    template = environment().get_template("html/incidents.html.j2")
    html = {n: template.render(incidents=_section(n), charts=[]) for n in (12, 6)}
    assert "last 12 months" in html[12] and "Last 12 months" in html[12]
    assert "6 months" in html[6] and not re.search(r"12 months|of 12\b|previous 12\b", html[6])


def test_incident_rates_with_rounding_do_not_reveal_the_raw_count():
    c = _section(12, ROUNDED)["categories"][0]
    # raw 36 and 24 are shown rounded to 35 and 25; the rates are of those
    assert c["last"]["value"] == 35 and c["rate_last"]["value"] == pytest.approx(35 / 500 * 1000)
    assert c["previous"]["value"] == 25 and c["rate_previous"]["value"] == pytest.approx(25 / 400 * 1000)
