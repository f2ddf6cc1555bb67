"""Build history in an embedded SQLite database, and the digest of what is new since the previous build.

:func:`record_build` stores, in one transaction, what a build found for every facility: special-cause
signals and outliers against peers, deaths (counts by month and cause: no person data), overdue
recommendations, areas for enquiry, and each indicator's latest figure as the pack shows it.
:func:`digest` compares a build with the one recorded before it and, where a serious concern appears at
one place, lists the similar places where the same thing is worth a look. The schema is created, and
migrated, on first use; ``schema_version`` says which version a file holds.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from datapack import __version__
from datapack.analysis.figures import indicator_rate
from datapack.analysis.followup import OUTSTANDING
from datapack.analysis.provenance import disclosure_section
from datapack.analysis.text import figure, month_label
from datapack.config import Disclosure
from datapack.disclosure import Control
from datapack.tables.schemas import DEATH_CAUSES

FIRST_BUILD = "This is the first build recorded; there is nothing to compare with."
KIND_LABELS = {
    "spc_concern": "Special cause: concern", "spc_improvement": "Special cause: improvement",
    "outlier_above_99.8": "Above the 99.8% limit against peers", "outlier_above_95": "Above the 95% limit against peers",
    "outlier_below_99.8": "Below the 99.8% limit against peers", "outlier_below_95": "Below the 95% limit against peers"}
_KEYS = {"facilities": 2, "figures": 3, "signals": 4, "deaths": 4, "overdue": 3, "enquiry": 4}
#: One script per schema version; a file at version n has run the first n.
MIGRATIONS = ("""
CREATE TABLE builds (id INTEGER PRIMARY KEY AUTOINCREMENT, built_at TEXT NOT NULL, tool_version TEXT NOT NULL,
    configuration_sha256 TEXT NOT NULL, inputs TEXT NOT NULL, as_of TEXT, settings TEXT NOT NULL);
CREATE TABLE facilities (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, name TEXT,
    facility_type TEXT, peer_group TEXT, PRIMARY KEY (build_id, facility_id));
CREATE TABLE figures (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, indicator TEXT,
    label TEXT, count_text TEXT, rate_text TEXT, PRIMARY KEY (build_id, facility_id, indicator));
CREATE TABLE signals (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, indicator TEXT,
    kind TEXT, latest_period TEXT, PRIMARY KEY (build_id, facility_id, indicator, kind));
CREATE TABLE deaths (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, month TEXT,
    cause TEXT, count REAL, PRIMARY KEY (build_id, facility_id, month, cause));
CREATE TABLE overdue (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, ref TEXT,
    due TEXT, PRIMARY KEY (build_id, facility_id, ref));
CREATE TABLE enquiry (build_id INTEGER REFERENCES builds(id) ON DELETE CASCADE, facility_id TEXT, entry_id TEXT,
    subject TEXT, severity TEXT, title TEXT, sentence TEXT, PRIMARY KEY (build_id, facility_id, entry_id, subject));
""",)


class HistoryError(RuntimeError):
    """The history database cannot be used (damaged, or written by a newer datapack)."""


@contextlib.contextmanager
def _open(db_path: Path | str) -> Iterator[sqlite3.Connection]:
    """A connection with the schema up to date; changes inside are one transaction, undone on error."""
    path = Path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(path, isolation_level=None)
    except (OSError, sqlite3.Error) as exc:
        raise HistoryError(f"cannot open the build history {path}: {exc}") from exc
    con.row_factory = sqlite3.Row
    try:
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("BEGIN IMMEDIATE")
        con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = con.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > len(MIGRATIONS):
            raise HistoryError(f"{path} holds history schema {version}, newer than this datapack knows "
                               f"({len(MIGRATIONS)}): upgrade datapack, or point 'history' at another file")
        for script in MIGRATIONS[version:]:
            for statement in filter(str.strip, script.split(";")):
                con.execute(statement)
        con.execute("DELETE FROM schema_version")
        con.execute("INSERT INTO schema_version VALUES (?)", (len(MIGRATIONS),))
        yield con
        con.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        _rollback(con)
        raise HistoryError(f"cannot use the build history {path}: {exc}; move the file aside to start a new "
                           "history, or set 'history: null'") from exc
    except BaseException:
        _rollback(con)
        raise
    finally:
        con.close()


def _rollback(con: sqlite3.Connection) -> None:
    if con.in_transaction:
        con.execute("ROLLBACK")


def build_state(analysis: Any, findings: dict[str, list[Any]] | None = None) -> dict[str, list[tuple]]:
    """Rows for each history table from one analysis (figures as the pack shows them, through Control)."""
    from datapack.analysis.enquiry import areas_for_enquiry

    estate, control = analysis.estate, analysis.control
    groups = analysis.peer_groups
    facilities = [(r["facility_id"], r["name"], r["facility_type"], groups.get(r["facility_id"]))
                  for r in estate.facilities.to_dict("records")]
    figures = []
    for r in analysis.results.periods.to_dict("records"):
        ind = analysis.definitions.get(r["indicator"])
        shown = indicator_rate(analysis, r["facility_id"], ind, "last")  # as the facility's pack shows it
        unit = shown.label if ind.kind == "crowding" else f" {shown.label}"
        figures.append((r["facility_id"], ind.id, ind.label, shown.count.text,
                        shown.rate.text + unit if shown.rate.value is not None else shown.rate.text))
    signals = []
    for (fid, indicator), result in analysis.signals.spc.items():
        icon = result.variation_icon or ""
        kind = "spc_concern" if "_concern_" in icon else "spc_improvement" if "_improvement_" in icon else None
        latest = [p for p, t in zip(result.periods, result.point_type) if t != "missing"]
        if kind and latest:
            signals.append((fid, indicator, kind, str(latest[-1])))
    end = str(analysis.results.windows.end) if analysis.results.windows is not None else None
    for r in analysis.peers.to_dict("records") if not analysis.peers.empty else ():
        if r["flag"] not in (None, "within") and r["compared_with"] in ("peers", "type") and not pd.isna(r["flag"]):
            signals.append((r["facility_id"], r["indicator"], f"outlier_{r['flag']}", end))
    incidents = estate.table("incidents")
    dead = incidents[incidents["category"] == "death"]
    cause = dead["subcategory"].where(dead["subcategory"].isin(DEATH_CAUSES), "other").fillna("other")
    counted = dead["count"].astype("Float64").fillna(1).astype(float)
    deaths = [(f, str(m), c, float(n)) for (f, m, c), n in counted.groupby(
        [dead["facility_id"], dead["occurred"].dt.to_period("M"), cause]).sum().items()]
    recs = estate.table("recommendations")
    late = recs[recs["status"].isin(OUTSTANDING) & recs["due"].notna() & (recs["due"] < analysis.as_of.normalize())]
    overdue = [(r["facility_id"], str(r["ref"]), r["due"].date().isoformat()) for r in late.to_dict("records")]
    enquiry = []
    for fid, *_ in facilities:
        found = findings[fid] if findings is not None and fid in findings else \
            areas_for_enquiry(analysis, fid, analysis.master)[0]
        enquiry += [(fid, f.entry_id, f.subject, f.severity, f.title, f.sentence) for f in found]
    return {"facilities": facilities, "figures": figures, "signals": signals, "deaths": deaths, "overdue": overdue,
            "enquiry": enquiry}


def record_build(db_path: Path | str, analysis: Any, built_at: dt.datetime, manifest_inputs: list[dict],
                 findings: dict[str, list[Any]] | None = None) -> int:
    """Store what this build found (one transaction) and return its id.

    ``manifest_inputs`` is the manifest's ``inputs`` list (file, SHA-256 ...); ``findings`` the areas
    for enquiry already produced per facility (worked out here when not given).
    """
    state = build_state(analysis, findings)
    config = analysis.estate.config
    settings = {"disclosure": config.disclosure.model_dump(), "project": config.project.model_dump()}
    with _open(db_path) as con:
        build_id = con.execute(
            "INSERT INTO builds (built_at, tool_version, configuration_sha256, inputs, as_of, settings) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (built_at.isoformat(timespec="seconds"), __version__, config.digest, json.dumps(manifest_inputs),
             analysis.as_of.date().isoformat(), json.dumps(settings))).lastrowid
        for table, rows in state.items():
            if rows:
                marks = ", ".join("?" * (len(rows[0]) + 1))
                con.executemany(f"INSERT OR IGNORE INTO {table} VALUES ({marks})", [(build_id, *r) for r in rows])
    return int(build_id)


def latest_build(db_path: Path | str) -> int | None:
    """Id of the last build recorded, or None when there is none (or no database yet)."""
    if not Path(db_path).is_file():
        return None
    with _open(db_path) as con:
        row = con.execute("SELECT max(id) FROM builds").fetchone()
    return row[0]


def _rows(con: sqlite3.Connection, table: str, build_id: int | None) -> dict[tuple, dict[str, Any]]:
    if build_id is None:
        return {}
    rows = [dict(r) for r in con.execute(f"SELECT * FROM {table} WHERE build_id = ?", (build_id,))]
    return {tuple(r.values())[1:_KEYS[table]]: r for r in rows}


def digest(db_path: Path | str, current_build_id: int | None = None) -> dict[str, Any]:
    """What is new in a build (the latest by default) since the build recorded before it."""
    with _open(db_path) as con:
        current = con.execute("SELECT * FROM builds WHERE id = coalesce(?, (SELECT max(id) FROM builds))",
                              (current_build_id,)).fetchone()
        if current is None:
            raise HistoryError(f"no build is recorded in {db_path}" if current_build_id is None else
                               f"build {current_build_id} is not recorded in {db_path}")
        previous = con.execute("SELECT * FROM builds WHERE id < ? ORDER BY id DESC LIMIT 1", (current["id"],)).fetchone()
        now = {t: _rows(con, t, current["id"]) for t in _KEYS}
        before = {t: _rows(con, t, previous["id"] if previous else None) for t in _KEYS}
    settings = json.loads(current["settings"])
    control = Control(Disclosure(**settings["disclosure"]))
    names = {k[0]: r["name"] for k, r in now["facilities"].items()}
    labels = {k[1]: r["label"] for k, r in now["figures"].items()}

    def signal(r: dict) -> dict[str, Any]:
        return {"facility_id": r["facility_id"], "facility": names.get(r["facility_id"], r["facility_id"]),
                "indicator": r["indicator"], "indicator_label": labels.get(r["indicator"], r["indicator"]),
                "kind": r["kind"], "kind_label": KIND_LABELS.get(r["kind"], r["kind"]), "period": r["latest_period"]}

    first = previous is None
    new = [r for k, r in now["signals"].items() if not first and k not in before["signals"]]
    deaths = []
    for k, r in now["deaths"].items():
        extra = r["count"] - (before["deaths"].get(k) or {"count": 0})["count"]
        if not first and extra > 0:
            deaths.append({"facility_id": k[0], "facility": names.get(k[0], k[0]), "month": k[1],
                           "month_label": month_label(pd.Period(k[1], freq="M")), "cause": k[2],
                           "cause_label": k[2].replace("_", "-").capitalize(), "count": figure(control.count(extra))})
    out = {
        "title": f"{settings['project']['title']}: emerging issues", "marking": settings["project"]["marking"],
        "body": settings["project"]["body"], "first_build": first,
        "build": _build_info(current), "previous": None if first else _build_info(previous),
        "summary": FIRST_BUILD if first else "",
        "inputs_changed": [] if first else _inputs_changed(previous["inputs"], current["inputs"]),
        "new_signals": [signal(r) for r in new if r["kind"].startswith("spc_")],
        "new_outliers": [signal(r) for r in new if r["kind"].startswith("outlier_")],
        "ended_signals": [signal(r) for k, r in before["signals"].items() if k not in now["signals"]],
        "new_deaths": deaths,
        "newly_overdue": [{"facility_id": k[0], "facility": names.get(k[0], k[0]), "ref": k[1], "due": r["due"]}
                          for k, r in now["overdue"].items() if not first and k not in before["overdue"]],
        "disclosure": disclosure_section(control)}
    out["look_elsewhere"] = _look_elsewhere(now, before, out, names, labels)
    if not first:
        words = {"new_signals": ("new special-cause signal", "new special-cause signals"),
                 "new_outliers": ("new outlier against peers", "new outliers against peers"),
                 "new_deaths": ("month with deaths newly recorded", "months with deaths newly recorded"),
                 "newly_overdue": ("recommendation newly overdue", "recommendations newly overdue"),
                 "ended_signals": ("signal that ended", "signals that ended")}
        said = [f"{len(out[k])} {one if len(out[k]) == 1 else many}" for k, (one, many) in words.items() if out[k]]
        out["summary"] = (f"Since the build of {out['previous']['built_at']}: " + "; ".join(said) + "."
                          if said else f"Nothing new since the build of {out['previous']['built_at']}.")
    return out


def _build_info(row: sqlite3.Row) -> dict[str, Any]:
    return {"id": row["id"], "built_at": row["built_at"], "version": row["tool_version"], "as_of": row["as_of"],
            "configuration_sha256": row["configuration_sha256"], "inputs": len(json.loads(row["inputs"]))}


def _inputs_changed(before: str, after: str) -> list[dict[str, str]]:
    """Input files added, removed or changed (by SHA-256) between two builds."""
    old = {(i.get("source"), i.get("file")): i.get("sha256") for i in json.loads(before)}
    new = {(i.get("source"), i.get("file")): i.get("sha256") for i in json.loads(after)}
    out = [{"source": s, "file": f, "change": "added" if (s, f) not in old else "changed"}
           for (s, f), sha in new.items() if old.get((s, f)) != sha]
    return out + [{"source": s, "file": f, "change": "removed"} for (s, f) in old if (s, f) not in new]


def _look_elsewhere(now: dict, before: dict, out: dict, names: dict, labels: dict) -> list[dict[str, Any]]:
    """For each serious concern new in this build (every one, in a first build), the similar places to look at.

    Serious: a high-severity area for enquiry, a self-inflicted death, a new rate above the 99.8% limit.
    Similar: the same peer group, else the same type of place. For each, the indicator's latest figure
    as its pack shows it, the signals it has on that indicator now, and whether it has the same area.
    """
    first = out["first_build"]
    concerns: dict[tuple, tuple[str, str]] = {}  # (facility, indicator, entry, subject) -> (kind, what)
    for k, r in now["enquiry"].items():
        if r["severity"] == "high" and (first or k not in before["enquiry"]):
            label = labels.get(k[2])
            concerns.setdefault((k[0], k[2] if label else None, k[1], k[2]), ("High-severity area for enquiry",
                                r["title"] + (f": {label}" if label and label != r["title"] else "")))
    for d in out["new_deaths"]:  # in a first build, the area for enquiry on recent deaths stands for them
        if d["cause"] == "self_inflicted":
            indicator = "deaths_self_inflicted" if "deaths_self_inflicted" in labels else None
            concerns.setdefault((d["facility_id"], indicator, "DEATH-SI", indicator),
                                ("Death newly recorded", f"A self-inflicted death ({d['month_label']})"))
    for k, r in now["signals"].items():
        if r["kind"] == "outlier_above_99.8" and (first or k not in before["signals"]):
            concerns.setdefault((k[0], k[1], None, None), (KIND_LABELS[r["kind"]], labels.get(k[1], k[1])))
    facilities = {k[0]: r for k, r in now["facilities"].items()}
    result = []
    for (fid, indicator, entry, subject), (kind, what) in concerns.items():
        here = facilities.get(fid, {})
        same = [f for f, r in facilities.items() if f != fid and r["peer_group"] == here.get("peer_group")]
        compared = f"same peer group ({here.get('peer_group')})"
        if not same:
            same = [f for f, r in facilities.items() if f != fid and r["facility_type"] == here.get("facility_type")]
            compared = f"same type of place ({here.get('facility_type')})"
        similar = []
        for other in same:
            fig = now["figures"].get((other, indicator)) if indicator else None
            similar.append({
                "facility_id": other, "facility": names.get(other, other),
                "figure": None if fig is None else fig["count_text"], "rate": None if fig is None else fig["rate_text"],
                "signals": [KIND_LABELS.get(k[2], k[2]) for k in now["signals"] if k[0] == other and k[1] == indicator
                            and k[2] != "spc_improvement" and not k[2].startswith("outlier_below")],
                "same_entry": entry is not None and (other, entry, subject) in now["enquiry"]})
        result.append({"facility_id": fid, "facility": names.get(fid, fid), "kind": kind, "concern": what,
                       "indicator": indicator, "indicator_label": labels.get(indicator) if indicator else None,
                       "entry": entry, "similar": similar,
                       "compared_with": compared if same else "no similar place in the register"})
    return result


def render_digest_json(digest_: dict[str, Any]) -> str:
    """The digest as JSON (UTF-8 text)."""
    return json.dumps(digest_, indent=2, ensure_ascii=False) + "\n"


def render_digest_html(digest_: dict[str, Any], template_dirs: Iterable[Path] | None = None) -> str:
    """The digest as one self-contained HTML page (template ``digest.html.j2``)."""
    from datapack.render.html import environment

    return environment(template_dirs).get_template("digest.html.j2").render(digest=digest_)
