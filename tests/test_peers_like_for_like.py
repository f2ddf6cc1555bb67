"""Peers that are like for like (issue 10.4): a minimum group size, a fallback to the type and never across types,
ties said as ties."""

from __future__ import annotations

import pandas as pd

from datapack.analysis.findings_context import place_text


def test_ties_are_said_as_ties():
    assert place_text(1, 1, 3, "local prison peers") == "highest of 3 local prison peers"
    assert place_text(2, 1, 5, "local prison peers") == "2nd highest of 5 local prison peers"
    assert place_text(2, 2, 5, "local prison peers") == "joint 2nd highest of 5 local prison peers"
    # three places at 0 deaths each: not "2nd highest of 3"
    assert place_text(1, 3, 3, "local prison peers") == "the same rate as the other 2 local prison peers"
    assert place_text(1, 1, 1, "local prison peers") == "no other local prison peer"


def test_no_place_of_the_demo_is_compared_with_a_place_of_another_type(demo_analysis):
    a = demo_analysis
    kinds = a.estate.facilities.set_index("facility_id")["facility_type"]
    peers = a.peers
    assert not peers.empty
    assert set(peers["compared_with"]) <= {"peers", "type", "none"}
    for row in peers.to_dict("records"):
        pool = a.pool_ids(row["facility_id"], row["indicator"])
        assert all(kinds[f] == kinds[row["facility_id"]] for f in pool), row
        if row["compared_with"] == "none":
            assert pool == [] and pd.isna(row["target"]) and not isinstance(row["flag"], str)
        else:
            assert len(pool) + 1 == row["n_compared"] >= a.settings.min_peers


def test_a_place_alone_of_its_type_gets_no_funnel_and_says_why(demo_analysis):
    from datapack.analysis import facility_context

    a = demo_analysis
    kinds = a.estate.facilities.set_index("facility_id")["facility_type"]
    alone = [f for f, k in kinds.items() if (kinds == k).sum() < a.settings.min_peers]
    assert alone, "the demo has places with too few of their type (the secure hospital, the custody suites)"
    context = facility_context(a.estate, alone[0], a.control, pd.Timestamp("2026-10-15").to_pydatetime(),
                               analysis=a)
    assert context["funnels"] == {}
    compared = [r["peer"] for r in context["indicators"] if r.get("peer") and r["peer"]["compared_with"]]
    assert compared and all(p["compared_with"] == "none" and p["flag"] is None for p in compared)
    assert all(p["text"].startswith(("not compared", "no other place")) for p in compared)


def test_the_reviewed_list_gives_the_true_reason_when_there_is_no_one_to_compare_with(demo_analysis):
    from datapack.analysis import facility_context
    from datapack.analysis.rules import NO_LIKE

    a = demo_analysis
    context = facility_context(a.estate, "LLS", a.control, pd.Timestamp("2026-10-15").to_pydatetime(), analysis=a)
    reviewed = {r["title"]: r["subjects"] for r in context["enquiry"]["reviewed"]}
    against_peers = [t for t in reviewed if "peers" in t.lower()]
    assert against_peers and all(reviewed[t] == NO_LIKE for t in against_peers), reviewed
