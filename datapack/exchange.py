"""Exchange between bodies: the canonical tables and the pack figures as a Frictionless data package.

:func:`export_datapackage` writes ``datapackage.json`` (profile ``tabular-data-package``) and one CSV
per resource, each with a Table Schema built from :mod:`datapack.tables.schemas`:

* the register, population, survey codebook, recommendations, visits and context as held, with
  ``_source`` and ``_file`` as ``source`` and ``source_file`` (sheet and row numbers are left behind);
* incidents only as monthly counts per facility and measure (``incident_counts``, the measures the
  indicators read, named by :func:`datapack.analysis.indicators.measure_name`), never as events;
* survey answers only as results per facility, wave and question (``survey_results``);
* the pack figures per facility, indicator and period (``indicator_figures``).

No person-level identifier (``person_ref``, ``incident_id``, ``respondent``) or answer leaves. Every
count of people or events passes through :class:`~datapack.disclosure.Control`: a hidden one is blank
with status ``suppressed``, and more are hidden until no small count can be worked back from what is
shown, month by month, period by period and along each series. The adapter ``datapackage`` reads any
resource back in as a source (docs/exchange.md).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from datapack import __version__
from datapack.analysis.figures import rate_of
from datapack.analysis.indicators import COUNTED, PERIODS, _selected, measure_name
from datapack.analysis.text import slug
from datapack.build_time import build_time
from datapack.disclosure import Control, series_mask, solvable
from datapack.tables import schemas
from datapack.render.xlsx import formula_like
from datapack.writer import Writer

#: Never exported: each identifies a person or an event.
DROPPED = ("person_ref", "incident_id", "respondent")
#: Canonical tables exported row for row (incidents and survey answers are aggregated instead).
AS_HELD = ("facilities", "population", "survey_questions", "recommendations", "visits", "context")
FIELD_TYPES = {"str": "string", "status": "string", "int": "integer", "float": "number", "date": "date",
               "datetime": "datetime", "month": "date", "bool": "boolean"}
#: Text starting with one of these gets a leading quote, so a spreadsheet does not run it as a formula.
ESCAPE_NOTE = ("Text cells that begin with =, +, -, @, a tab, a carriage return or a single quote are written "
               "with one more single quote in front, so that spreadsheet programs do not run them as formulas; "
               "remove one leading quote to read the value.")
#: Resource property saying text cells carry that quote; the ``datapackage`` adapter removes it.
ESCAPE_PROPERTY = "textEscape"
_FIELDS = {  # fields beyond the canonical columns: (type, description)
    "status": ("string", "value, suppressed (hidden by disclosure control: the figure is blank) or missing."),
    "category": ("string", "Incident categories counted, joined by '+'."),
    "subcategory": ("string", "Sub-categories counted, joined by '+'; blank for all."),
    "counted": ("string", "What is counted: events, serious, hospital or duration_hours."),
    "source": ("string", "Source (as named in the configuration) the row came from."),
    "source_file": ("string", "File the row came from."), "facility_id": ("string", "Facility."),
    "indicator": ("string", "Indicator id (see the indicators file)."), "label": ("string", "Indicator name."),
    "period": ("string", "last (latest 12 months), prev (the 12 before) or quarter (latest 3 months)."),
    "first_month": ("date", "First month of the period."), "last_month": ("date", "Last month of the period."),
    "basis": ("string", "population (rates per average population) or throughput (per detentions)."),
    "count": ("number", "Events (people, hours; population for crowding) in the period."),
    "base": ("number", "Average population, or total detentions, over the period."),
    "rate": ("number", "count / base x rate_per, of the count as given here (so rounded where counts are "
                       "rounded); blank when the count is hidden."),
    "rate_per": ("number", "Rates are per this many of the base."),
}
_TITLES = {
    "facilities": "Facility register", "population": "Population and capacity by month",
    "survey_questions": "Survey codebook", "recommendations": "Recommendations and their progress",
    "visits": "Past visits", "context": "Context figures (people counts under disclosure control)",
    "incident_counts": "Incidents: counts per facility and measure, by month and for each period compared",
    "survey_results": "Survey results per facility, wave and question",
    "indicator_figures": "Pack figures per facility, indicator and period, after disclosure control"}
_EXTRA = {"context": ["status"], "incident_counts": ["category", "subcategory", "counted"],
          "survey_results": ["status"], "indicator_figures": ["facility_id", "indicator", "label", "period",
          "first_month", "last_month", "basis", "count", "base", "rate", "rate_per", "status"]}


#: The package's folder in the output folder (``datapack export``).
PACKAGE_FOLDER = "datapackage"


def export_datapackage(estate: Any, analysis: Any, out_dir: Path, created: dt.datetime | None = None) -> Path:
    """Write the data package as the folder ``out_dir``, replacing an earlier one only once all is written.

    ``out_dir``'s parent is the output folder, under the writer's rules: empty or datapack's, and
    an earlier ``out_dir`` is replaced only if datapack wrote it.
    """
    out_dir = Path(out_dir)
    return write_datapackage(Writer(out_dir.parent), estate, analysis, created, name=out_dir.name)


def write_datapackage(writer: Writer, estate: Any, analysis: Any, created: dt.datetime | None = None,
                      name: str = PACKAGE_FOLDER) -> Path:
    """Write the data package as the folder ``name`` of the writer's output folder; return its path."""
    return writer.write_folder(name, datapackage_files(estate, analysis, created))


def datapackage_files(estate: Any, analysis: Any, created: dt.datetime | None = None) -> dict[str, bytes]:
    """Every file of the package by name: ``datapackage.json`` and one CSV per resource.

    A package leaves the team, so ``analysis`` must be for the public audience (small counts hidden).
    """
    control = analysis.control
    if not control.suppresses and control.settings.threshold > 1:
        raise ValueError("a data package leaves the team, so its small counts must be hidden: analyse with "
                         "Control(settings).for_audience('public'), as 'datapack export' does")
    counts, hidden_totals = incident_counts(estate, analysis)
    frames = {t: _as_held(estate.table(t), t) for t in AS_HELD}
    frames["context"] = _context(frames["context"], control)
    frames |= {"incident_counts": counts, "survey_results": _survey_results(estate, analysis),
               "indicator_figures": _figures(analysis, hidden_totals)}
    files, resources = {}, []
    for name, frame in frames.items():
        fields = _fields(name)
        files[f"{name}.csv"] = _csv(frame, fields)
        resources.append(_resource(name, fields, files[f"{name}.csv"]))
    config = estate.config
    created = created or build_time(estate)  # not now: the same inputs give the same package
    # A naive time is read as UTC (as SOURCE_DATE_EPOCH is), not in this machine's zone, so every machine agrees.
    created = created.replace(tzinfo=dt.timezone.utc) if created.tzinfo is None else created.astimezone(dt.timezone.utc)
    package = {
        "profile": "tabular-data-package", "name": slug(config.project.title), "title": config.project.title,
        "description": f"Canonical tables and pack figures exported by datapack {__version__} for exchange "
                       f"between monitoring bodies. {config.project.marking}. {ESCAPE_NOTE}",
        "created": created.strftime("%Y-%m-%dT%H:%M:%SZ"), "marking": config.project.marking,
        "licenses": [{"name": "other-closed", "title": f"{config.project.marking}: for the receiving body's "
                      "monitoring work; not for publication"}],
        "contributors": [{"title": config.project.body or "datapack", "role": "publisher"}],
        "sources": [{"title": f"{f.source}: {Path(f.path).name} (SHA-256 {f.sha256})"} for f in estate.files],
        "resources": resources}
    files["datapackage.json"] = (json.dumps(package, indent=2, ensure_ascii=False) + "\n").encode()
    return files


# --- incidents as counts ---------------------------------------------------------------------------------------

def _measures(analysis: Any) -> dict[str, dict[str, Any]]:
    """The measures the indicators read from events: what each counts and where it is recorded."""
    periods = analysis.results.periods
    recorded = periods[periods["recorded"].astype(bool)].groupby("indicator")["facility_id"].agg(set)
    out: dict[str, dict[str, Any]] = {}
    for ind in analysis.definitions.indicators:
        if ind.kind == "crowding" or ind.numerator.measures:
            continue
        people = ind.numerator.count == "individuals"
        events = ind.model_copy(update={"numerator": ind.numerator.model_copy(update={"count": "events"})})
        entry = out.setdefault(measure_name(ind), {"indicator": events if people else ind, "people": False,
                                                   "facilities": set(), "ids": []})
        entry["people"] |= people
        entry["facilities"] |= recorded.get(ind.id, set())
        entry["ids"].append(ind.id)
    return out


def incident_counts(estate: Any, analysis: Any) -> tuple[pd.DataFrame, dict[tuple[str, str, str], bool]]:
    """Monthly counts per facility and measure under disclosure control, and which period totals are hidden.

    Totals are keyed by (facility, measure, period); people by (facility, measure + '#people', period).
    Published counts already held in ``incident_counts`` follow, under primary suppression.
    """
    control, results = analysis.control, analysis.results
    held = _held_counts(estate.table("incident_counts"), control, analysis.published_control,
                        {s.name for s in estate.config.sources if s.published})
    incidents = estate.table("incidents")
    if incidents.empty or results.windows is None:
        return held, {}
    inc = incidents.assign(month=incidents["occurred"].dt.to_period("M"))
    months = pd.period_range(inc["month"].min(), inc["month"].max(), freq="M")
    spans = {p: results.windows.span(p) for p in PERIODS}
    windows = [[i for i, m in enumerate(months) if first <= m <= last] for first, last in spans.values()]
    measures = _measures(analysis)
    cells: dict[tuple[str, str], np.ndarray] = {}
    hidden: dict[tuple[str, str], np.ndarray] = {}
    totals_hidden: dict[tuple[str, str, str], bool] = {}
    for counted in ("events", *COUNTED):
        keys = [k for k, m in measures.items() if m["indicator"].numerator.count == counted]
        if not keys:
            continue
        member = pd.DataFrame({k: False for k in keys}, index=inc.index)
        weight = pd.Series(0.0, index=inc.index)
        monthly = {}
        for k in keys:
            rows = _selected(inc, measures[k]["indicator"])
            member.loc[rows.index, k] = True
            weight[rows.index] = rows["_w"]
            monthly[k] = rows.groupby(["facility_id", "month"])["_w"].sum()  # added up as the analysis does
        used = member.any(axis=1)
        atoms = (inc.loc[used, ["facility_id", "month"]].join(member[used]).assign(_w=weight[used])
                 .groupby(["facility_id", "month", *keys], as_index=False)["_w"].sum())
        for fid in sorted(set().union(*(measures[k]["facilities"] for k in keys))):
            mine = atoms[atoms["facility_id"] == fid]
            by_month = {m: part for m, part in mine.groupby("month")}
            grid = np.zeros((len(keys), len(months)))
            for j, k in enumerate(keys):
                own = monthly[k][monthly[k].index.get_level_values(0) == fid].droplevel(0)
                grid[j] = own.reindex(months, fill_value=0.0).to_numpy()
            seed = np.vectorize(control.is_small)(grid) | _pack_hidden(analysis, fid, keys, measures, months)
            for p, idx in zip(PERIODS, windows):  # period by period: the pack's totals
                part = mine[mine["month"].isin(months[idx])].groupby(keys, as_index=False)["_w"].sum()
                total = grid[:, idx].sum(axis=1)
                small = np.vectorize(control.is_small)(total)
                by_pack = np.array([_pack_hides(analysis, fid, measures[k], p, counted) for k in keys],
                                   dtype=bool)  # hidden in the pack for another's sake: hidden here too
                shut = _block(total, small | by_pack, part, keys, control)
                totals_hidden |= {(fid, k, p): bool(shut[j]) for j, k in enumerate(keys)}
                seed[np.ix_(shut & ~small, idx)] = True  # a total hidden for another's sake: not from its months
            while True:  # month by month (a hidden count is not the rest of its category), then along each series
                before = int(seed.sum())
                for i, m in enumerate(months):
                    seed[:, i] = _block(grid[:, i], seed[:, i], by_month.get(m), keys, control)
                for j in range(len(keys)):
                    seed[j] = series_mask(grid[j], seed[j], windows)
                if int(seed.sum()) == before:
                    break
            for j, k in enumerate(keys):
                if fid in measures[k]["facilities"]:
                    cells[(fid, k)], hidden[(fid, k)] = grid[j], seed[j]
    frame = _count_rows(inc, months, spans, measures, cells, hidden, analysis, totals_hidden)
    frame["source"] = ";".join(sorted(incidents["_source"].dropna().astype(str).unique()))
    return pd.concat([frame, held], ignore_index=True), totals_hidden


def _pack_hides(analysis: Any, fid: str, entry: dict[str, Any], period: str, counted: str) -> bool:
    """Whether the facility's pack hides this measure's ``period`` count (events, or people) for another's sake."""
    return any(analysis.count_hidden(fid, i, period) for i in entry["ids"]
               if analysis.definitions.get(i).numerator.count == counted)


def _pack_hidden(analysis: Any, fid: str, keys: list[str], measures: dict, months: pd.PeriodIndex) -> np.ndarray:
    """Months the facility's pack hides on the charts of these measures: hidden here too."""
    out = np.zeros((len(keys), len(months)), dtype=bool)
    where = {str(m): i for i, m in enumerate(months)}
    for j, k in enumerate(keys):
        for ind_id in measures[k]["ids"]:
            result = analysis.signals.spc.get((fid, ind_id))
            for period, shut in zip(result.periods if result else (), analysis.chart_hidden(fid, ind_id)):
                if shut and str(period) in where:
                    out[j, where[str(period)]] = True
    return out


def _block(values: np.ndarray, hidden: np.ndarray, atoms: pd.DataFrame | None, keys: list[str],
           control: Control) -> np.ndarray:
    """Protect one month (or period) of measures that share events: the parts (atoms) are never shown."""
    if atoms is None or atoms.empty:
        return hidden
    n = len(keys)
    values = np.concatenate([values, atoms["_w"].to_numpy(float)])
    member = atoms[keys].to_numpy(bool)
    equations = [(j, list(n + np.flatnonzero(member[:, j]))) for j in range(n)]
    guard = np.arange(len(values)) < n  # a hidden measure stays hidden whatever its size; a part only when small
    mask = _protect(values, np.concatenate([hidden, np.ones(len(atoms), dtype=bool)]), equations, control, guard)
    return mask[:n]


def _protect(values: np.ndarray, hidden: np.ndarray, equations: list[tuple[int, list[int]]],
             control: Control, guard: np.ndarray) -> np.ndarray:
    """Hide more figures until no hidden one that is small (or ``guard``-ed) can be solved from those shown.

    ``equations`` say ``values[total] == sum(values[parts])``; a hidden figure is solvable when its unit
    vector lies in the span of those equations over the hidden figures (as in
    :func:`datapack.disclosure.series_mask`, here with hidden totals and parts never shown). The smallest
    shown positive figure next to a solvable one is hidden, and the check repeated.
    """
    hidden = hidden.copy()
    while True:
        cells = np.flatnonzero(hidden)
        position = {c: k for k, c in enumerate(cells)}
        rows = np.zeros((len(equations), len(cells)))
        for e, (total, parts) in enumerate(equations):
            for i, sign in [(total, 1.0)] + [(p, -1.0) for p in parts]:
                if i in position:
                    rows[e, position[i]] += sign
        rows = rows[rows.any(axis=1)]
        if not len(rows):
            return hidden
        fixed = solvable(rows)
        exposed = [c for k, c in enumerate(cells) if fixed[k] and (guard[c] or control.is_small(values[c]))]
        if not exposed:
            return hidden
        near = {i for total, parts in equations if exposed[0] in (total, *parts) for i in (total, *parts)}
        shown = [i for i in near if not hidden[i]] or \
            [i for total, parts in equations for i in (total, *parts) if not hidden[i]]
        if not shown:
            return hidden
        positive = [i for i in shown if values[i] > 0] or shown
        hidden[min(positive, key=lambda i: values[i])] = True


def _count_rows(inc: pd.DataFrame, months: pd.PeriodIndex, spans: dict, measures: dict, cells: dict,
                hidden: dict, analysis: Any, totals_hidden: dict) -> pd.DataFrame:
    """The ``incident_counts`` rows: one a month, and one for each period compared (with people where counted)."""
    control, rows = analysis.control, []
    figures = analysis.results.periods.set_index(["facility_id", "indicator"])
    starts = months.to_timestamp()
    ends = months.to_timestamp(how="end").normalize()
    for (fid, k), values in cells.items():
        entry = measures[k]
        num = entry["indicator"].numerator
        extra = {"facility_id": fid, "measure": k, "category": "+".join(sorted(num.categories)),
                 "subcategory": "+".join(sorted(num.subcategories or [])), "counted": num.count}
        people = _people(inc, fid, entry, months) if entry["people"] else None
        for i, (start, end) in enumerate(zip(starts, ends)):
            shown = control.count(values[i], bool(hidden[(fid, k)][i]))
            rows.append(extra | {"period_start": start, "period_end": end, "count": shown.value,
                                 "individuals": None if people is None else control.count(people[i]).value,
                                 "status": "suppressed" if shown.hidden else "value"})
        same = [i for i in entry["ids"] if (fid, i) in figures.index and analysis.definitions.get(i).numerator.count
                == num.count]
        for p, (first, last) in spans.items():  # the period totals the pack shows, where shown
            total = figures.loc[(fid, same[0]), f"{p}_count"] if same else \
                values[(months >= first) & (months <= last)].sum()
            shown = control.count(total, totals_hidden[(fid, k, p)])
            n = _people(inc, fid, entry, months, (first, last)) if entry["people"] else None
            totals_hidden[(fid, k + "#people", p)] = hide = control.is_small(n) or shown.hidden or \
                _pack_hides(analysis, fid, entry, p, "individuals")
            rows.append(extra | {"period_start": first.start_time, "period_end": last.end_time.normalize(),
                                 "count": shown.value, "individuals": None if n is None else control.count(n, hide).value,
                                 "status": "suppressed" if shown.hidden else "value"})
    return pd.DataFrame(rows, columns=[*schemas.column_names("incident_counts"), "category", "subcategory",
                                       "counted", "source"])


def _people(inc: pd.DataFrame, fid: str, entry: dict, months: pd.PeriodIndex, span: tuple | None = None):
    """Distinct people per month (or in ``span``) in the measure's events at the facility."""
    rows = _selected(inc[inc["facility_id"] == fid], entry["indicator"]).dropna(subset=["person_ref"])
    if span is not None:
        return float(rows.loc[(rows["month"] >= span[0]) & (rows["month"] <= span[1]), "person_ref"].nunique())
    return rows.groupby("month")["person_ref"].nunique().reindex(months, fill_value=0).to_numpy(float)


def _held_counts(frame: pd.DataFrame, control: Control, public: Control, published: set[str]) -> pd.DataFrame:
    """Counts held as a source, under primary suppression (unless public already: then as published)."""
    out = _as_held(frame, "incident_counts")
    controls = [public if source in published else control for source in out["source"]]
    shown = [c.count(v) for c, v in zip(controls, out["count"])]
    return out.assign(count=[s.value for s in shown],
                      individuals=[c.count(v).value for c, v in zip(controls, out["individuals"])],
                      status=np.where([s.hidden for s in shown], "suppressed", out["status"]))


# --- other tables ----------------------------------------------------------------------------------------------

def _as_held(frame: pd.DataFrame, table: str) -> pd.DataFrame:
    cols = [c for c in schemas.column_names(table) if c not in DROPPED]
    return frame.reindex(columns=cols + ["_source", "_file"]).rename(columns={"_source": "source",
                                                                               "_file": "source_file"})


def _context(frame: pd.DataFrame, control: Control) -> pd.DataFrame:
    """Counts of people (unit 'people') hidden when small, and so that none can be worked back from a total."""
    frame = frame.assign(status=np.where(frame["value"].isna(), "missing", "value"))
    people = frame["unit"].fillna("").astype(str).str.lower().isin(["people", "persons", "count"])
    # one table per place, date and characteristic ('Age band: 18-20' and 'Age band: 21-24' together; a
    # measure such as receptions alone), so each is protected against its own total
    head = frame["factor"].fillna("").astype(str).str.partition(":")[0].str.strip().str.lower()
    for _, part in frame[people].groupby([frame["facility_id"], frame["period_start"], head]):
        mask = control.table_mask(pd.DataFrame([part["value"].to_numpy(float)]), totals=True).iloc[0].to_numpy()
        frame.loc[part.index, "value"] = [_value(control.count(v, h)) for v, h in zip(part["value"], mask)]
        frame.loc[part.index[mask], "status"] = "suppressed"
    return frame


def _value(shown: Any) -> float:
    return np.nan if shown.value is None else shown.value


def _survey_results(estate: Any, analysis: Any) -> pd.DataFrame:
    """Respondents answering and answering positively per question: never a respondent's row."""
    control = analysis.control
    computed = analysis.survey_results
    keys = ["facility_id", "survey", "wave", "question"]
    computed = (computed[keys + ["n_answering", "n_positive"]].assign(group="all", source="survey_responses")
                if not computed.empty else pd.DataFrame())
    held = _as_held(estate.table("survey_results"), "survey_results")
    frame = pd.concat([computed, held], ignore_index=True).reindex(columns=list(held.columns))
    shown_n = [control.count(n) for n in frame["n_answering"]]
    hide = [s.hidden or control.percent(p, n).hidden for s, p, n in zip(shown_n, frame["n_positive"],
                                                                         frame["n_answering"])]
    return frame.assign(n_answering=[s.value for s in shown_n],
                        n_positive=[None if h else control.count(p, False).value
                                    for h, p in zip(hide, frame["n_positive"])],
                        status=["suppressed" if h else "missing" if s.value is None else "value"
                                for h, s in zip(hide, shown_n)])


def _figures(analysis: Any, hidden_totals: dict) -> pd.DataFrame:
    """Each facility's period figures for every indicator, as the pack may show them."""
    control, results = analysis.control, analysis.results
    if results.periods.empty:
        return pd.DataFrame(columns=_EXTRA["indicator_figures"])
    rows = []
    for r in results.periods.to_dict("records"):
        ind = results.definitions.get(r["indicator"])
        crowding = ind.kind == "crowding"
        key = None if crowding or ind.numerator.measures else \
            measure_name(ind) + ("#people" if ind.numerator.count == "individuals" else "")
        scale = 100.0 if crowding else ind.scale
        for p in PERIODS:
            first, last = results.windows.span(p)
            count, base = r[f"{p}_count"], r[f"{p}_base"]
            hidden = hidden_totals.get((r["facility_id"], key, p), False)
            figure = rate_of(control, count, base, scale=scale, basis=r["basis"],
                             months=last.ordinal - first.ordinal + 1, count_hidden=hidden, crowding=crowding)
            shown, rate = figure.count, figure.rate
            rows.append({"facility_id": r["facility_id"], "indicator": ind.id, "label": ind.label, "period": p,
                         "first_month": first.start_time, "last_month": last.start_time, "basis": r["basis"],
                         "count": shown.value, "base": None if pd.isna(base) else base, "rate": rate.value,
                         "rate_per": None if pd.isna(base) else scale,
                         "status": "suppressed" if shown.hidden else "missing" if shown.value is None else "value"})
    return pd.DataFrame(rows)


# --- descriptor and CSV ----------------------------------------------------------------------------------------

def _fields(name: str) -> list[dict[str, Any]]:
    """The Table Schema fields of a resource: canonical columns (with their rules), then the others."""
    fields = []
    for c in schemas.columns(name) if name in schemas.TABLES else ():
        if c.name not in DROPPED:
            rules = ({"required": True} if c.required else {}) | ({"enum": list(c.allowed)} if c.allowed else {})
            fields.append({"name": c.name, "type": FIELD_TYPES[c.kind], "description": c.doc + (
                " First day of the month." if c.kind == "month" else "")} | ({"constraints": rules} if rules else {}))
    extra = _EXTRA.get(name, []) + ([] if name == "indicator_figures" else ["source", "source_file"])
    return fields + [{"name": f, "type": _FIELDS[f][0], "description": _FIELDS[f][1]} for f in extra]


def _resource(name: str, fields: list[dict[str, Any]], data: bytes) -> dict[str, Any]:
    schema: dict[str, Any] = {"fields": fields, "missingValues": [""], "description": ESCAPE_NOTE}
    if name == "facilities":
        schema["primaryKey"] = ["facility_id"]
    elif any(f["name"] == "facility_id" for f in fields):
        schema["foreignKeys"] = [{"fields": ["facility_id"],
                                  "reference": {"resource": "facilities", "fields": ["facility_id"]}}]
    return {"name": name, "path": f"{name}.csv", "profile": "tabular-data-resource", "title": _TITLES[name],
            "format": "csv", "mediatype": "text/csv", "encoding": "utf-8", ESCAPE_PROPERTY: "leading-quote",
            "bytes": len(data), "hash": f"sha256:{hashlib.sha256(data).hexdigest()}", "schema": schema}


def safe_text(text: str) -> str:
    """Text a spreadsheet will show as text: a leading quote before =, +, -, @, tab, CR or a quote."""
    return "'" + text if formula_like(text) or text.startswith("'") else text


_WRITE = {"string": lambda v: safe_text(str(v)), "integer": lambda v: str(int(v)), "number": lambda v: repr(float(v)),
          "boolean": lambda v: "true" if bool(v) else "false", "date": lambda v: pd.Timestamp(v).strftime("%Y-%m-%d"),
          "datetime": lambda v: pd.Timestamp(v).isoformat()}


def _cell(value: Any, kind: str) -> str:
    return "" if value is None or (not isinstance(value, str) and pd.isna(value)) else _WRITE[kind](value)


def _csv(frame: pd.DataFrame, fields: list[dict[str, Any]]) -> bytes:
    """UTF-8 CSV (RFC 4180) of the fields' columns, each cell written as its Table Schema type."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([f["name"] for f in fields])
    columns = [[_cell(v, f["type"]) for v in frame[f["name"]]] if f["name"] in frame else [""] * len(frame)
               for f in fields]
    writer.writerows(zip(*columns))
    return buffer.getvalue().encode("utf-8")
