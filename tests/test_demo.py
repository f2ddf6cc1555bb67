"""The synthetic demo estate: loadable configuration, real-looking files, planted signals, reproducible."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from datapack.config import load_config
from datapack.demo import REAL_NAMES, generate
from datapack.demo.estate import build_estate

#: A few real UK establishments the demo must never name (checked independently of the demo's own list).
REAL = ("belmarsh", "wandsworth", "pentonville", "strangeways", "holloway", "dartmoor", "wormwood scrubs",
        "brixton", "feltham", "wetherby", "styal", "bronzefield", "brook house", "yarls wood", "broadmoor",
        "rampton", "ashworth", "frankland", "whitemoor", "long lartin", "full sutton", "barlinnie", "maghaberry",
        "altcourse", "parc", "berwyn", "oakwood", "elmley", "highpoint", "durham", "leeds", "liverpool")
NGT_SPELLINGS = {"HMP Northgate", "Northgate", "NORTHGATE (HMP)", "NGT"}
KSM_SPELLINGS = {"HMP Kestrel Moor", "Kestrel Moor", "KESTREL MOOR (HMP)", "KSM"}


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The default estate, generated once for the module."""
    out = tmp_path_factory.mktemp("demo")
    return generate(out)


@pytest.fixture(scope="module")
def log(demo) -> pd.DataFrame:
    """Both incident exports read with plain pandas, with a parsed date and lower-cased type."""
    return _incidents(demo.out_dir)


def _incidents(out: Path) -> pd.DataFrame:
    old = pd.concat([pd.read_csv(p, encoding="utf-8-sig")
                     for p in sorted((out / "sources/incidents").glob("incident_log_*.csv"))], ignore_index=True)
    old["when"] = pd.to_datetime(old["Incident Date/Time"], format="%d/%m/%Y %H:%M")
    old = old.rename(columns={"Incident Type": "type", "Ethnic Group": "ethnicity"})
    new = pd.read_excel(next((out / "sources/incidents").glob("incident_log_*.xlsx")), sheet_name="Incidents",
                        engine="calamine")
    new["when"] = pd.to_datetime(new["Date/Time of Incident"])
    new = new.rename(columns={"Incident Type": "type", "Ethnicity": "ethnicity"})
    both = pd.concat([old, new], ignore_index=True)
    both["type"] = both["type"].str.lower()
    return both


def test_generated_configuration_loads_with_no_problems(demo):
    config = load_config(demo.out_dir / "datapack.yaml")
    assert config.project.body and config.project.marking == "OFFICIAL-SENSITIVE"
    tables = {s.table for s in config.sources}
    assert {"facilities", "incidents", "population", "context", "survey_responses", "survey_questions",
            "recommendations", "visits"} <= tables
    for source in config.sources:
        assert config.files_for(source), f"{source.name}: no file matches {source.path}"


def test_every_listed_file_exists_and_the_readme_lists_each_signal(demo):
    for rel in demo.files:
        assert (demo.out_dir / rel).is_file(), rel
    readme = (demo.out_dir / "sources/README.md").read_text(encoding="utf-8")
    kinds = {s.kind for s in demo.signals}
    assert kinds == {"self_harm_rise", "force_disproportion", "unmet_recommendations", "small_counts",
                     "death_in_custody", "no_signal", "survey_difference"}
    for s in demo.signals:
        assert s.facility_name in readme and s.facility_id in {f.facility_id for f in demo.facilities}


def test_files_are_in_the_formats_claimed(demo):
    src = demo.out_dir / "sources"
    for csv in src.rglob("*.csv"):
        assert csv.read_bytes().startswith(b"\xef\xbb\xbf"), f"{csv.name} has no BOM"
    bulletins = sorted((src / "population").glob("Population_Bulletin_*.ods"))
    assert len(bulletins) == 36
    with zipfile.ZipFile(bulletins[-1]) as z:
        assert z.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
    rows = pd.read_excel(bulletins[-1], engine="odf", header=None)
    assert rows.iloc[0, 0] == "Monthly Bulletin - September 2026"
    assert rows.iloc[1, 0] == "Report Date : 25/9/2026"
    assert list(rows.iloc[3, :5]) == ["Prison Name", "Baseline CNA", "In Use CNA", "Operational Capacity",
                                      "Population *"]
    total = rows[rows[0] == "Total"].iloc[0]
    assert str(total[3]).endswith("**")
    for book in [*src.rglob("*.xlsx")]:
        names = CalamineWorkbook.from_path(str(book)).sheet_names
        assert "Sheet1" not in names, book.name
    staff = (src / "surveys/staff_survey_2026.csv").read_text(encoding="utf-8-sig").splitlines()
    assert staff[0].startswith("Respondent ID,Collector ID,Start Date,End Date,IP Address,Email Address")
    assert staff[1].split(",")[9] == "Response"


def test_kobo_option_columns_are_empty_when_the_question_was_not_shown(demo):
    frame = pd.read_excel(demo.out_dir / "sources/surveys/detainee_2026.xlsx", engine="openpyxl")
    options = [c for c in frame.columns if c.startswith("safety/unsafe_where/")]
    shown = frame["safety/felt_unsafe"] == "yes"
    assert frame.loc[~shown, options].isna().all().all()
    assert frame.loc[shown, options].notna().all().all()
    assert frame.loc[shown, options].sum(axis=1).ge(1).all()
    assert {"_id", "_uuid", "_submission_time", "_validation_status", "_index"} <= set(frame.columns)


def test_same_seed_gives_identical_csv_bytes_and_workbook_contents(demo, tmp_path):
    again = generate(tmp_path)
    assert again.files == demo.files
    for rel in demo.files:
        a, b = demo.out_dir / rel, tmp_path / rel
        if a.suffix in (".csv", ".md", ".yaml"):
            assert a.read_bytes() == b.read_bytes(), rel
        elif a.suffix in (".xlsx", ".ods"):
            ba, bb = CalamineWorkbook.from_path(str(a)), CalamineWorkbook.from_path(str(b))
            assert ba.sheet_names == bb.sheet_names
            for name in ba.sheet_names:
                assert ba.get_sheet_by_name(name).to_python() == bb.get_sheet_by_name(name).to_python(), rel
    assert [s.details for s in again.signals] == [s.details for s in demo.signals]


def test_another_seed_gives_other_data(demo, tmp_path):
    other = generate(tmp_path, seed=7)
    a = (demo.out_dir / "sources/incidents/incident_log_2024.csv").read_bytes()
    assert (tmp_path / "sources/incidents/incident_log_2024.csv").read_bytes() != a
    assert [f.facility_id for f in other.facilities] == [f.facility_id for f in demo.facilities]


def test_use_of_force_falls_disproportionately_on_black_prisoners_at_northgate(demo, log):
    force = log[log["Establishment"].isin(NGT_SPELLINGS) & (log["type"] == "use of force")]
    share = (force["ethnicity"] == "Black").mean()
    mix = pd.read_csv(demo.out_dir / "sources/population/population_mix.csv", encoding="utf-8-sig")
    held = mix[mix["Establishment"] == "HMP Northgate"]
    population_share = held["Ethnicity: Black"].sum() / held["Total"].sum()
    assert len(force) > 1000
    assert 0.12 < population_share < 0.19
    assert 0.30 < share < 0.40
    assert share / population_share > 1.8
    others = log[~log["Establishment"].isin(NGT_SPELLINGS) & (log["type"] == "use of force")]
    assert (others["ethnicity"] == "Black").mean() < 0.2


def test_self_harm_at_kestrel_moor_rises_well_beyond_its_control_limits(demo, log):
    harm = log[log["Establishment"].isin(KSM_SPELLINGS) & (log["type"] == "self harm")]
    monthly = harm.groupby(harm["when"].dt.to_period("M")).size()
    monthly = monthly.reindex(pd.period_range("2023-10", "2026-09", freq="M"), fill_value=0).to_numpy()
    rises = np.diff(monthly[-10:])
    assert (rises > 0).all(), monthly[-12:]
    before = monthly[:-10]
    upper = before.mean() + 2.66 * np.abs(np.diff(before)).mean()
    assert (monthly[-5:] > upper).all()
    assert monthly[-1] > 2 * before.mean()


def test_small_place_has_monthly_counts_needing_suppression(demo, log):
    lodge = log[log["Establishment"].isin({"Linden Lodge Secure Unit", "Linden Lodge", "LINDEN LODGE (HOSPITAL)",
                                          "LLS"})]
    counts = lodge.groupby([lodge["when"].dt.to_period("M"), "type"]).size()
    assert len(lodge) > 0 and counts.max() <= 4


def test_recent_self_inflicted_death_is_in_the_latest_export(demo):
    death = demo.signal("death_in_custody")
    new = pd.read_excel(demo.out_dir / "sources/incidents/incident_log_2026.xlsx", sheet_name="Incidents",
                        engine="calamine")
    row = new[new["Ref"] == death.details["incident_id"]].iloc[0]
    assert row["Incident Type"].lower() == "death in custody"
    assert row["Sub Type"].lower() == "self-inflicted"
    assert row["Establishment"] in {"HMP & YOI Hollowmere", "HWM"}
    assert (dt.date(2026, 9, 30) - pd.Timestamp(row["Date/Time of Incident"]).date()).days < 90


def test_unmet_recommendations_repeat_and_are_overdue_at_castlebridge(demo):
    tracker = pd.read_excel(demo.out_dir / "sources/followup/recommendation_tracker.xlsx", sheet_name="Tracker",
                            header=3, engine="openpyxl")
    mine = tracker[tracker["Visit"].str.startswith("CSB-")]
    unmet = mine["Status"].isin(["Not achieved", "No meaningful progress"])
    assert unmet.sum() >= 6 and mine["Repeat of"].notna().sum() >= 4
    assert (pd.to_datetime(mine.loc[unmet, "Target date"]) < pd.Timestamp("2026-09-30")).all()
    clean = tracker[tracker["Visit"].str.startswith("BRF-")]
    assert set(clean["Status"]) <= {"Achieved", "Good progress"}
    statuses = set(tracker["Status"])
    assert {"Achieved", "Not achieved", "No meaningful progress", "Good progress"} <= statuses


def _bare(name: str) -> str:
    n = name.lower()
    for prefix in ("hmp & yoi ", "hmp ", "hmyoi "):
        n = n.removeprefix(prefix)
    for suffix in (" custody suite", " secure unit", " irc"):
        n = n.removesuffix(suffix)
    return n


def test_no_real_establishment_names_are_used(demo):
    large = build_estate(400, np.random.default_rng(1))
    bare = {_bare(f.name) for f in (*demo.facilities, *large)}
    for name in bare:
        for real in REAL:
            assert not re.search(rf"\b{re.escape(real)}\b", name), (name, real)
    assert not bare & REAL_NAMES
    assert len({f.facility_id for f in large}) == len({f.name for f in large}) == 400


def test_the_estate_loads_end_to_end_when_ingest_is_available(tmp_path):
    ingest = pytest.importorskip("datapack.ingest")
    generate(tmp_path, facilities=6, months=12)
    estate = ingest.load_estate(load_config(tmp_path / "datapack.yaml"))
    errors = [str(p) for p in estate.report.problems if p.severity == "error"]
    assert not errors, errors[:5]
    assert set(estate.table("incidents")["facility_id"]) <= set(estate.facilities["facility_id"])


def test_the_same_seed_gives_the_same_files_in_any_process(tmp_path):
    """Set and dict order changes with Python's hash seed; the demo must not depend on it."""
    import os
    import subprocess
    import sys

    outputs = []
    for seed in ("1", "2"):
        out = tmp_path / f"run{seed}"
        code = f"from pathlib import Path; from datapack.demo import generate; generate(Path({str(out)!r}), months=12)"
        subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": seed})
        outputs.append(out)
    first = sorted(p.relative_to(outputs[0]) for p in outputs[0].rglob("*.csv"))
    assert first
    for rel in first:
        assert (outputs[0] / rel).read_bytes() == (outputs[1] / rel).read_bytes(), rel
