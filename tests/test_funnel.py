"""Funnel limits, over-dispersion, flags and peer position, against answers worked out independently."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy import optimize, stats

from datapack.analysis.funnel import (
    FunnelSettings,
    curve,
    funnel,
    overdispersion,
    proportion_limits,
    rate_limits,
    ratio_limits,
    z_scores,
)
from datapack.analysis.peers import peer_positions, percentile_rank, quintile

EXPECTED = np.array([15.0, 20.0, 30.0])


# --- limits ---------------------------------------------------------------------------------

def test_ratio_limits_reproduce_funnelplotr_known_answer():
    # nhs-r-community/FunnelPlotR, tests/testthat/test-poisson_limits.R (calculate_limits, target 1)
    lower95, upper95 = ratio_limits(EXPECTED, target=1.0, level=0.95)
    lower998, upper998 = ratio_limits(EXPECTED, target=1.0, level=0.998)
    assert list(lower95) == pytest.approx([0.5596924, 0.6108260, 0.6746958], rel=1e-6)
    assert list(upper95) == pytest.approx([1.649348, 1.544419, 1.427562], rel=1e-6)
    assert list(lower998) == pytest.approx([0.3862650, 0.4479107, 0.5289724], rel=1e-6)
    assert list(upper998) == pytest.approx([2.082907, 1.902094, 1.702771], rel=1e-6)


def test_ratio_limits_of_a_scalar_are_floats():
    lower, upper = ratio_limits(20.0, level=0.95)
    assert isinstance(lower, float) and isinstance(upper, float)
    assert (lower, upper) == pytest.approx((0.6108260, 1.544419), rel=1e-6)


def _garwood_by_root_finding(count: float, level: float) -> tuple[float, float]:
    """Exact Poisson interval for a whole count, solved from the Poisson cdf itself."""
    tail = (1 - level) / 2
    lower = optimize.brentq(lambda m: stats.poisson.sf(count - 1, m) - tail, 1e-9, 10 * count)
    upper = optimize.brentq(lambda m: stats.poisson.cdf(count, m) - tail, 1e-9, 10 * count + 10)
    return lower, upper


@pytest.mark.parametrize("level", [0.95, 0.998])
def test_rate_limits_are_exact_poisson_on_the_expected_count(level):
    # 400 people at 0.25 incidents each expect 100 incidents: per-person and per-1,000 agree.
    low_count, high_count = _garwood_by_root_finding(100, level)
    assert rate_limits(400, 0.25, level, scale=1) == pytest.approx(
        (low_count / 400, high_count / 400), rel=1e-8)
    assert rate_limits(400, 250.0, level, scale=1000) == pytest.approx(
        (low_count / 400 * 1000, high_count / 400 * 1000), rel=1e-8)


def test_small_prison_has_a_wider_funnel_than_a_large_one():
    (small_low, small_high), (big_low, big_high) = (rate_limits(n, 250.0, 0.95) for n in (100, 1500))
    assert small_low < big_low < 250 < big_high < small_high


def test_rate_limits_with_a_zero_target_stay_finite():
    # With nothing expected the upper count is the 97.5% point of a chi-square on 2 df, halved,
    # which is -ln(0.025): an exponential quantile worked out by hand.
    lower, upper = rate_limits(500, 0.0, 0.95)
    assert lower == 0
    assert upper == pytest.approx(-math.log(0.025) / 500 * 1000, rel=1e-9)


def test_proportion_limits_are_exact_binomial_with_interpolation():
    # Binomial(10, 0.5) cdf by hand: F(1)=11/1024, F(2)=56/1024, F(7)=968/1024, F(8)=1013/1024.
    cdf = [sum(math.comb(10, k) for k in range(r + 1)) / 1024 for r in range(11)]
    a_low = (cdf[2] - 0.025) / (cdf[2] - cdf[1])
    a_high = (cdf[8] - 0.975) / (cdf[8] - cdf[7])
    assert proportion_limits(10, 0.5, 0.95) == pytest.approx(((2 - a_low) / 10, (8 - a_high) / 10))


def test_proportion_limits_approach_the_normal_approximation_for_large_n():
    lower, upper = proportion_limits(100_000, 0.2, 0.95)
    half = 1.959964 * math.sqrt(0.2 * 0.8 / 100_000)
    assert (lower, upper) == pytest.approx((0.2 - half, 0.2 + half), abs=2e-5)


def test_adjusted_limits_add_tau2_on_the_transformed_scale():
    tau2 = 0.01
    sd = math.sqrt(1 / (4 * 20) + tau2)
    assert ratio_limits(20.0, level=0.998, tau2=tau2) == pytest.approx(
        ((1 - 3.090232 * sd) ** 2, (1 + 3.090232 * sd) ** 2), rel=1e-6)
    centre, sd = math.asin(math.sqrt(0.3)), math.sqrt(1 / (4 * 50) + tau2)
    assert proportion_limits(50, 0.3, 0.95, tau2=tau2) == pytest.approx(
        (math.sin(centre - 1.959964 * sd) ** 2, math.sin(centre + 1.959964 * sd) ** 2), rel=1e-6)


# --- over-dispersion ------------------------------------------------------------------------

def test_z_scores_use_the_square_root_scale_for_counts_and_arcsine_for_proportions():
    z, s = z_scores([25, 9], [16, 16], "ratio", target=1.0)
    assert list(z) == pytest.approx([2 * (5 - 4), 2 * (3 - 4)])      # 2(sqrt(O) - sqrt(E))
    assert list(s) == pytest.approx([1 / 8, 1 / 8])                   # 1 / (2 sqrt(E))
    z, _ = z_scores([30], [100], "proportion", target=0.2)
    assert z[0] == pytest.approx((math.asin(math.sqrt(0.3)) - math.asin(math.sqrt(0.2))) * 2 * 10)


Z_HAND = [-3.0, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 6.0]
S_HAND = [0.1] * 5 + [0.2] * 5


def test_overdispersion_hand_example_with_winsorisation():
    # 10th percentile (R type 7): -3 + 0.9 * (-1 - -3) = -1.2; 90th: 2.5 + 0.1 * (6 - 2.5) = 2.85.
    # Winsorised squares: 1.44 + 1 + 0.25 + 0 + 0.25 + 1 + 2.25 + 4 + 6.25 + 8.1225 = 24.5625.
    # w = 1/s^2: five of 100, five of 25; sum 625, sum of squares 53125; 625 - 53125/625 = 540.
    phi, tau2 = overdispersion(Z_HAND, S_HAND, winsorise=(0.10, 0.90))
    assert phi == pytest.approx(2.45625)
    assert tau2 == pytest.approx((24.5625 - 9) / 540)


def test_winsorisation_tames_an_extreme_unit():
    # Without it the squares sum to 60 (36 from the one extreme unit alone).
    phi, tau2 = overdispersion(Z_HAND, S_HAND, winsorise=(0.0, 1.0))
    assert phi == pytest.approx(6.0)
    assert tau2 == pytest.approx((60 - 9) / 540)


def test_no_overdispersion_gives_tau2_zero():
    # phi = (0.25 + 0.04 + 0 + 0.04 + 0.25) / 5 after Winsorising is well below (k - 1) / k = 0.8.
    assert overdispersion([-0.5, -0.2, 0.0, 0.2, 0.5], [0.1, 0.2, 0.1, 0.2, 0.1])[1] == 0.0
    result = funnel([10, 20, 40], [400, 800, 1600], ["a", "b", "c"], kind="rate")  # all at 25 per 1,000
    assert result.phi == pytest.approx(0, abs=1e-12)
    assert (result.tau2, result.adjusted) == (0.0, False)
    assert result.unit("a").limit(0.95).lower == pytest.approx(rate_limits(400, 25.0, 0.95)[0])


# FunnelPlotR's own over-dispersion tests (tests/testthat/test-OD_adjust_func.R,
# test-funnel_plot.R) check only the shape of what is returned, not phi or tau2,
# so there is no published over-dispersed known answer to reproduce here.

SPREAD_OBS = [5, 30, 50, 10, 90, 20, 45, 60]
SPREAD_DEN = [300, 800, 1200, 400, 900, 1000, 1100, 700]


def test_auto_adjusts_overdispersed_rates_and_uses_adjusted_limits():
    result = funnel(SPREAD_OBS, SPREAD_DEN, list("abcdefgh"), kind="rate")
    assert result.target == pytest.approx(sum(SPREAD_OBS) / sum(SPREAD_DEN) * 1000)
    assert result.tau2 > 0 and result.adjusted
    unit = result.unit("e")
    mu = result.target * 900 / 1000
    half = 3.090232 * math.sqrt(0.25 + mu * result.tau2)
    expected = ((math.sqrt(mu) - half) ** 2 / 0.9, (math.sqrt(mu) + half) ** 2 / 0.9)
    assert (unit.limit(0.998).lower, unit.limit(0.998).upper) == pytest.approx(expected, rel=1e-6)
    assert unit.z_adjusted == pytest.approx(unit.z / math.sqrt(1 + 4 * mu * result.tau2))


def test_overdispersion_setting_false_never_adjusts_and_true_always_does():
    off = funnel(SPREAD_OBS, SPREAD_DEN, list("abcdefgh"), "rate", FunnelSettings(overdispersion=False))
    assert not off.adjusted and off.tau2 > 0        # still reported
    assert off.unit("e").flag == "above_99.8"     # 100 per 1,000 against about 40, unadjusted
    calm = funnel([10, 20, 40], [400, 800, 1600], list("abc"), "rate", FunnelSettings(overdispersion=True))
    assert calm.adjusted and calm.tau2 == 0


# --- flags ----------------------------------------------------------------------------------

def test_flags_against_funnelplotr_limits():
    # 99.8% upper at E=20 is 1.902094 and lower at E=30 is 0.5289724; 95% are 1.544419 and 0.6746958.
    obs = [20 * 1.9022, 20 * 1.9020, 20.0, 30 * 0.6746, 30 * 0.5289, 15 * 1.6]
    exp = [20, 20, 20, 30, 30, 15]
    labels = ["just_above_998", "just_inside_998", "on_target", "below_95", "below_998", "inside_95"]
    result = funnel(obs, exp, labels, kind="ratio", settings=FunnelSettings(overdispersion=False))
    assert [u.flag for u in result.units] == [
        "above_99.8", "above_95", "within", "below_95", "below_99.8", "within"]


def test_method_names_are_accepted_as_kinds_and_unknown_ones_listed():
    by_method = funnel([18], [20], ["x"], settings=FunnelSettings(method="poisson"))
    assert by_method.kind == "ratio" and by_method.target == 1.0
    with pytest.raises(ValueError, match="ratio, rate, proportion"):
        funnel([1], [2], ["x"], kind="league")


def test_bad_inputs_name_the_unit():
    with pytest.raises(ValueError, match="Wayland: denominator must be a number > 0"):
        funnel([3, 4], [100, 0], ["Altcourse", "Wayland"], kind="rate")


def test_bad_settings_are_reported_together():
    with pytest.raises(ValueError) as err:
        FunnelSettings(levels=(95,), winsorise=(0.9, 0.1), method="normal")
    assert all(word in str(err.value) for word in ("levels", "winsorise", "method"))


def test_curve_spans_the_denominators_and_matches_the_units_limits():
    result = funnel(SPREAD_OBS, SPREAD_DEN, list("abcdefgh"), kind="rate")
    lines = curve(result, n_points=50)
    assert len(lines.denominators) == 50
    assert lines.denominators[0] == pytest.approx(300) and lines.denominators[-1] == pytest.approx(1200)
    level, lowers, uppers = lines.lines[-1]
    assert level == 0.998
    smallest, largest = result.unit("a").limit(0.998), result.unit("c").limit(0.998)
    assert (lowers[0], uppers[0]) == pytest.approx((smallest.lower, smallest.upper))
    assert (lowers[-1], uppers[-1]) == pytest.approx((largest.lower, largest.upper))
    assert all(a >= b for a, b in zip(uppers, uppers[1:]))   # narrows as units grow


# --- peers ----------------------------------------------------------------------------------

def test_percentile_rank_and_quintile_with_ties_and_missing():
    values = pd.Series([10, 20, 20, None, 40, 50, 5], index=list("abcdefg"), dtype=float)
    # Six values: 5 is rank 1, 10 rank 2, the two 20s share (3 + 4) / 2, 40 rank 5, 50 rank 6.
    ranks = percentile_rank(values)
    assert ranks.drop("d").tolist() == pytest.approx(
        [2 / 6 * 100, 3.5 / 6 * 100, 3.5 / 6 * 100, 5 / 6 * 100, 100, 1 / 6 * 100])
    assert math.isnan(ranks["d"])
    table = peer_positions(values)
    assert table["quintile"].tolist() == [2, 3, 3, pd.NA, 5, 5, 1]
    assert table.loc["d", "note"] == "no value: not ranked"


def test_five_distinct_peers_fill_the_five_quintiles():
    table = peer_positions(pd.Series([3.0, 1.0, 5.0, 2.0, 4.0]))
    assert table["quintile"].tolist() == [3, 1, 5, 2, 4]


def test_quintile_bands_and_small_groups():
    assert [quintile(r) for r in (0.5, 20, 20.01, 60, 80.01, 100)] == [1, 1, 2, 3, 5, 5]
    assert quintile(float("nan")) is None
    assert quintile(50, n_peers=4) is None
    small = peer_positions(pd.Series([1.0, 2.0, 3.0, 4.0]))
    assert small["rank"].tolist() == [25, 50, 75, 100]
    assert small["quintile"].isna().all()
    assert "fewer than 5" in small["note"].iloc[0]
