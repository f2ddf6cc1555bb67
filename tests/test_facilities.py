"""Facility names and codes, as exports write them, resolve to the register."""

import pandas as pd

from datapack.config import DEFAULT_PREFIXES
from datapack.tables.facilities import FacilityIndex


def _index():
    register = pd.DataFrame({
        "facility_id": ["NGI", "ELI", "MNT", "CDF"],
        "name": ["HMP Northgate", "HMP Elmley (Sheppey)", "HMP The Mount", "HMP Cardiff"],
        "aliases": ["NG", None, None, "CEM Caerdydd"],
    })
    return FacilityIndex.from_register(register, DEFAULT_PREFIXES)


def test_drifting_spellings_resolve_to_one_facility():
    index = _index()
    for spelling in ["HMP Northgate", "Northgate", "NORTHGATE (HMP)", "HMP/YOI Northgate", "ngi", "NG"]:
        assert index.resolve(spelling) == "NGI", spelling


def test_bracketed_parts_and_articles_and_welsh_aliases_resolve():
    index = _index()
    assert index.resolve("Elmley") == "ELI"
    assert index.resolve("Elmley (Sheppey)") == "ELI"
    assert index.resolve("Mount") == "MNT"
    assert index.resolve("CEM Caerdydd") == "CDF"


def test_unknown_names_do_not_resolve_and_get_nearest_suggestions():
    index = _index()
    assert index.resolve("Northgte") is None
    assert index.nearest("Northgte") == ["HMP Northgate"]
    assert index.resolve("") is None
