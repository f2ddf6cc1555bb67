"""Every configuration in tests/realdata builds packs, and the publishers' figures reach pack.json.

Each configuration is built once, in full (every facility, HTML only: pack.json is written with
every format), through the command line as a user runs it. Expected figures are the check values of
each folder's README.md or SOURCE.md, or worked out here from the raw file with the csv module or
calamine, never through datapack. Run these alone with ``pytest -m realdata_build``.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from datapack.cli import main
from datapack.config import load_config
from datapack.ingest import load_estate

from conftest import TESTS

pytestmark = [pytest.mark.realdata_build, pytest.mark.slow]

CONFIGS = TESTS / "realdata"
FOLDERS = ["", "uk-prison-register-codes", "uk-deaths-in-prison-custody", "uk-hmpps-population-bulletin",
           "uk-weekly-prison-population", "nhs-mhsds-restrictive-interventions", "uk-police-use-of-force",
           "ie-prison-population"]


class Built:
    """One full build of one configuration: the command's result and the packs it wrote, by facility id."""

    def __init__(self, folder: str, output: Path):
        self.config = CONFIGS / folder / "datapack.yaml"
        self.output = output
        self.result = CliRunner().invoke(main, ["build", "--config", str(self.config), "--output", str(output),
                                                "--format", "html", "--quiet", "--jobs", "2"])
        self.packs = {}
        for path in output.glob("*/pack.json"):
            pack = json.loads(path.read_text())
            self.packs[pack["facility"]["id"]] = pack

    def pack(self, facility_id: str) -> dict:
        """The pack.json of one facility; a clear failure when it was not written."""
        assert facility_id in self.packs, f"no pack for {facility_id!r}: {self.result.output[-2000:]}"
        return self.packs[facility_id]

    def by_name(self, name: str) -> dict:
        """The pack.json of the facility with this name."""
        found = [p for p in self.packs.values() if p["facility"]["name"] == name]
        assert len(found) == 1, f"{len(found)} packs named {name!r}: {self.result.output[-2000:]}"
        return found[0]


@pytest.fixture(scope="session")
def _builds(tmp_path_factory) -> dict:
    return {}


@pytest.fixture
def built(realdata, _builds, tmp_path_factory):
    """Build a configuration (once a session): ``built("uk-police-use-of-force")``; '' for the combined one."""
    def get(folder: str) -> Built:
        if folder not in _builds:
            _builds[folder] = Built(folder, tmp_path_factory.mktemp(folder or "combined"))
        return _builds[folder]
    return get


def indicator(pack: dict, indicator_id: str) -> dict:
    """One key indicator of a pack."""
    found = [i for i in pack["indicators"] if i["id"] == indicator_id]
    assert found, f"{pack['facility']['name']}: no indicator {indicator_id!r} among {[i['id'] for i in pack['indicators']]}"
    return found[0]


def value(figure: dict):
    return figure["value"]


@pytest.mark.parametrize("folder", FOLDERS)
def test_every_configuration_builds_a_pack_for_every_facility(built, folder):
    build = built(folder)
    assert build.result.exit_code == 0, build.result.output
    assert "Traceback" not in build.result.output and build.result.exception is None
    facilities = load_estate(load_config(build.config)).tables["facilities"]
    assert set(build.packs) == set(facilities["facility_id"])
    assert (build.output / "index.html").is_file()


def test_the_register_pack_names_each_establishment_as_the_register_does(built):
    build = built("uk-prison-register-codes")
    assert len(build.packs) == 151
    assert build.pack("AC")["facility"]["name"] == "HMP/YOI Altcourse"


@pytest.mark.parametrize("folder", ["uk-hmpps-population-bulletin", ""])
def test_altcourse_population_and_capacity_reach_its_pack(built, folder):
    months = {m["month"]: m for m in built(folder).pack("AC")["population"]["months"]}
    # SOURCE.md check value (December 2024); January 2024 as printed in prison-pop-jan-2024.ods
    for month, figures in {"2024-12": (790, 790, 1204, 1136), "2024-01": (780, 780, 1184, 1162)}.items():
        row = months[month]
        got = tuple(value(row[k]) for k in ("baseline_cna", "in_use_cna", "operational_capacity", "population"))
        assert got == figures
    assert set(months) == {"2024-01", "2024-12"}


def test_the_weekly_series_reaches_the_pack_as_the_latest_count_of_each_month(built, realdata):
    pack = built("uk-weekly-prison-population").pack("england-and-wales")
    with (realdata / "uk-weekly-prison-population" / "prison_population.csv").open(newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["population"]]
    latest: dict[str, int] = {}
    for row in sorted(rows, key=lambda r: r["date"]):
        latest[row["date"][:7]] = int(row["population"])
    months = pack["population"]["months"]
    assert len(months) == 36 and months[-1]["month"] == "2024-11"
    assert {m["month"]: value(m["population"]) for m in months} == {k: latest[k] for k in sorted(latest)[-36:]}
    assert value(pack["population"]["latest"]["population"]) == 85_457   # the file's last row, 2024-11-11


def _deaths_by_window(realdata: Path) -> dict[str, int]:
    path = realdata / "uk-deaths-in-prison-custody" / "deaths_in_custody_by_prison.xlsx"
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_name("Лист1").to_python()[1:]
    months = [f"{int(r[1])}-{int(r[2]):02d}" for r in rows]
    return {"last": sum("2023-10" <= m <= "2024-09" for m in months),
            "previous": sum("2022-10" <= m <= "2023-09" for m in months)}


def test_deaths_in_each_pack_add_up_to_the_deaths_in_the_file(built, realdata):
    build = built("uk-deaths-in-prison-custody")
    totals: dict[str, int] = defaultdict(int)
    window = build.pack("PR")["incidents"]["windows"]["last"]   # Parc: the most deaths in the latest year
    assert (window["first"], window["last"]) == ("2023-10", "2024-09")
    for pack in build.packs.values():
        for category in pack["incidents"]["categories"]:
            if category["category"] == "death":
                totals["last"] += value(category["last"]) or 0
                totals["previous"] += value(category["previous"]) or 0
    assert dict(totals) == _deaths_by_window(realdata)   # shown as published: disclosure threshold 0


def test_force_incidents_reach_the_pack_as_whole_financial_years(built):
    build = built("uk-police-use-of-force")
    met = indicator(build.pack("Metropolitan"), "use_of_force")
    assert (value(met["last"]), value(met["prev"])) == (157_705, 129_729)    # Table 12, 2019/20 and 2018/19
    national = indicator(build.pack("england-and-wales-all-forces"), "use_of_force_custody_block")
    assert (value(national["last"]), value(national["prev"])) == (61_302, 55_192)   # Table 9, custody block


def _mhsds(realdata: Path) -> dict[str, list[str]]:
    cells: dict[str, list[str]] = defaultdict(list)
    for name in ("rstr01_Sep_2021.csv", "rstr06_Feb_2022.csv", "rstr10_Jun_2022.csv"):
        with (realdata / "nhs-mhsds-restrictive-interventions" / name).open(newline="") as handle:
            for row in csv.reader(handle):
                cells[row[1]].append(row[3])
    return cells


def test_people_restrained_reach_the_pack_month_by_month_and_a_suppressed_month_is_never_counted_as_none(
        built, realdata):
    """Three months of a year are published: each is shown as published, and no 12-month figure is
    made from them (people counted in different months cannot be added up, and nine months are missing)."""
    build = built("nhs-mhsds-restrictive-interventions")
    cells = _mhsds(realdata)
    complete = {p: list(map(int, v)) for p, v in cells.items() if len(v) == 3 and "*" not in v}
    starred = [p for p, v in cells.items() if "*" in v]
    assert len(complete) > 20 and starred
    for provider, months in complete.items():
        shown = indicator(build.by_name(provider), "restrictive_intervention_people")
        assert [row["label"] for row in shown["trend"]] == ["Sep 2021", "Feb 2022", "Jun 2022"]
        assert [value(row["count"]) for row in shown["trend"]] == months
        assert value(shown["last"]) is None
    for provider in starred:
        for shown in (i for i in build.by_name(provider)["indicators"] if i["id"] == "restrictive_intervention_people"):
            assert value(shown["last"]) is None
            months = [c for c in cells[provider]]
            assert [value(r["count"]) for r in shown["trend"]] == [None if c == "*" else int(c) for c in months]


def test_the_irish_service_gets_its_pack(built):
    pack = built("ie-prison-population").pack("ips")
    assert pack["facility"]["name"] == "Irish Prison Service (all prisons)"
