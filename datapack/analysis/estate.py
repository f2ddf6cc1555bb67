"""The whole estate analysed once, before any pack is rendered.

:func:`analyse` computes every indicator, control chart, peer comparison,
survey comparison and early-days share for all facilities together; the
per-facility figures (equality by group) are computed on request and
remembered. Renderers and rules read from the :class:`EstateAnalysis`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from datapack.analysis import comparison, equality, moments, signals, survey_stats
from datapack.analysis.counts import published_sources
from datapack.analysis.enquiry import MasterList, load_master_list
from datapack.analysis.facility_rows import rows_of
from datapack.analysis.indicators import IndicatorResults, basis_of, compute
from datapack.analysis.spc import SpcSettings
from datapack.analysis.text import clean
from datapack.config import Analysis
from datapack.disclosure import Control
from datapack.indicators import IndicatorSet, load_indicators

#: Practices looked at for disproportionality, and the characteristics they are split by.
EQUALITY_PRACTICES = ("use_of_force", "restraint", "segregation", "strip_search", "disciplinary")
EQUALITY_CHARACTERISTICS = ("ethnicity", "religion", "disability", "age_band", "nationality", "sex")


@dataclass
class EstateAnalysis:
    """Everything computed for the estate, with the settings and rules used."""

    estate: Any
    settings: Analysis
    control: Control
    definitions: IndicatorSet
    master: MasterList
    results: IndicatorResults
    peers: pd.DataFrame
    signals: signals.Signals
    early: list[moments.EarlyShare]
    survey_results: pd.DataFrame
    as_of: pd.Timestamp
    _equality: dict[str, pd.DataFrame] = field(default_factory=dict)
    _tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    _memo: dict[tuple, Any] = field(default_factory=dict)

    def _remember(self, key: tuple, compute: Any) -> Any:
        """``compute()`` once per key: rules, sections and estate views ask for the same figures many times."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    # --- look-ups used by rules and the pack ---------------------------------------------------------------

    @property
    def equality_confidence(self) -> float:
        """Confidence of relative-rate intervals: 1 - alpha, since many groups are tested at once."""
        return 1 - self.settings.alpha

    def published(self, facility_id: str, indicator: str) -> bool:
        """Whether every row behind the facility's figures for ``indicator`` is public already."""
        p = self.period(facility_id, indicator)
        return bool(p and p.get("published"))

    def control_for(self, facility_id: str, indicator: str) -> Control:
        """The disclosure control for an indicator's figures: published figures are not suppressed again."""
        return self.published_control if self.published(facility_id, indicator) else self.control

    @cached_property
    def published_control(self) -> Control:
        """Control for figures already public: shown as published (no threshold, no rounding)."""
        settings = self.control.settings.model_copy(update={"threshold": 0, "rounding": None})
        return Control(settings)

    def basis(self, facility_id: str) -> str:
        row = rows_of(self.results.periods, facility_id)
        if not row.empty:
            return str(row["basis"].iloc[0])
        return str(basis_of(self.estate.facilities).get(facility_id, "population"))

    def all_ids(self, facility_id: str) -> list[str]:
        """Every other facility measured on the same basis."""
        periods = self.results.periods.drop_duplicates("facility_id")
        basis = self.basis(facility_id)
        return [f for f in periods.loc[periods["basis"] == basis, "facility_id"] if f != facility_id]

    def month_row(self, facility_id: str, indicator: str, month: str) -> dict[str, Any]:
        """Count, base and rate of one month of one indicator."""
        series = self._series_index
        key = (facility_id, indicator, pd.Period(month, freq="M"))
        return series.loc[key].to_dict() if key in series.index else {"count": None, "base": None, "rate": None}

    @cached_property
    def _series_index(self) -> pd.DataFrame:
        return self.results.series.set_index(["facility_id", "indicator", "month"]).sort_index()

    def incidents_table(self, facility_id: str) -> dict[str, Any]:
        """The facility's incidents-by-month section, exactly as its pack shows it (remembered)."""
        if facility_id not in self._tables:
            self._tables[facility_id] = self._audited(facility_id)[0]
        return self._tables[facility_id]

    def count_hidden(self, facility_id: str, indicator: str, period: str) -> bool:
        """Whether the pack audit hides the facility's ``period`` count (``last``, ``prev``, ``quarter``,
        ``then``) of ``indicator`` so that another hidden figure cannot be worked out from it.

        A small count is hidden anyway (by :meth:`Control.count`); this is the count hidden for another's
        sake, and every output showing the count, or its rate, asks here. Never in the team's pack.
        """
        if not self.control.suppresses:
            return False
        return (indicator, period) in self._audited(facility_id)[2]

    def _audited(self, facility_id: str) -> tuple[dict[str, Any], dict[str, list[bool]], set[tuple[str, str]]]:
        """The incidents table, the control-chart masks and the period counts hidden for another's sake,
        audited together (see analysis.pack_audit)."""
        def compute():
            from datapack.analysis import incidents, pack_audit, population

            own = {t: rows_of(self.estate.table(t), facility_id)
                   for t in ("incidents", "population")}
            public = published_sources(self.estate.config)
            events = own["incidents"]
            # every row public already (a published list of deaths, say): shown as published
            control = (self.published_control if public and not events.empty and events["_source"].isin(public).all()
                       else self.control)
            end = incidents.window_end(self.estate.table("incidents"))
            monthly = population.monthly(own["population"])

            def section(extra):
                return incidents.incidents_section(events, end, monthly, self.basis(facility_id), control,
                                                   window_months=self.settings.window_months, extra=extra)

            table, extra = section(frozenset()), set()
            if control is self.published_control or end is None:
                return table, {i.id: self._chart_hidden(facility_id, i.id, table) for i in self.definitions.indicators}, set()
            counts = incidents.monthly_counts(events, end - (2 * self.settings.window_months - 1), end)
            for _ in range(5):  # the table's own audit may hide more, which the charts must then see
                charts = {i.id: self._chart_hidden(facility_id, i.id, table) for i in self.definitions.indicators}
                cells, charts, periods = pack_audit.audit(self, facility_id, table, counts, charts)
                if cells <= extra | _hidden_cells(table):
                    break
                extra |= cells
                table = section(frozenset(extra))
            return table, charts, periods
        return self._remember(("audited", facility_id), compute)

    def chart_hidden(self, facility_id: str, indicator: str) -> list[bool]:
        """Which months of the facility's control chart for ``indicator`` are hidden (see pack_audit)."""
        return self._audited(facility_id)[1].get(indicator, [])

    def chart_mask(self, facility_id: str, indicator: str) -> list[bool]:
        """Which points of the chart the pack shows (``signals.chart``) are hidden: the months' mask, or
        for a chart by quarter each quarter with a hidden month or a small count of its own."""
        monthly = self.signals.spc.get((facility_id, indicator))
        result = self.signals.chart(facility_id, indicator)
        months = self.chart_hidden(facility_id, indicator)
        if result is None or result is monthly:
            return list(months)
        hidden = {p for p, h in zip(monthly.periods, months) if h}
        control = self.control_for(facility_id, indicator)
        plain = self.signals.measure.get((facility_id, indicator)) == "count"  # an XmR of counts: its values
        counts = result.counts or (result.values if plain else (None,) * len(result.periods))
        out = []
        for period, count in zip(result.periods, counts):
            first, _, last = str(period).partition("/")
            block = {str(m) for m in pd.period_range(first, last or first, freq="M")}
            out.append(bool(block & hidden) or (count is not None and control.is_small(count)))
        return out

    def _chart_hidden(self, facility_id: str, indicator: str, table: dict[str, Any]) -> list[bool]:
        from datapack.analysis.findings_context import hidden_points

        result = self.signals.spc.get((facility_id, indicator))
        if result is None:
            return []
        ind = self.definitions.get(indicator)
        if ind.kind == "crowding":
            return [False] * len(result.periods)
        series = self.results.series
        rows = rows_of(series, facility_id).pipe(lambda own: own[own["indicator"] == indicator])
        counts = dict(zip(rows["month"].astype(str), rows["count"]))
        return hidden_points(self, ind, result.periods, counts, table, facility_id)

    def latest_month(self, facility_id: str, indicator: str) -> str | None:
        part = rows_of(self.results.series, facility_id).pipe(
            lambda own: own[own["indicator"] == indicator]).dropna(subset=["count"])
        return str(part["month"].max()) if not part.empty else None

    def latest_event(self, facility_id: str, categories: tuple[str, ...],
                     subcategories: tuple[str, ...] = ()) -> str | None:
        """Month (YYYY-MM) of the latest incident of these kinds at the facility."""
        incidents = self.estate.table("incidents")
        rows = rows_of(incidents, facility_id).pipe(lambda own: own[own["category"].isin(categories)])
        if subcategories:
            rows = rows[rows["subcategory"].isin(subcategories)]
        return None if rows.empty else str(rows["occurred"].max().to_period("M"))

    def recommendations(self, facility_id: str) -> pd.DataFrame:
        recs = self.estate.table("recommendations")
        return rows_of(recs, facility_id)

    def codebook(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Survey questions by (survey, question): text, theme, positive answers."""
        book = self.estate.table("survey_questions")
        out = {}
        for row in book.to_dict("records"):
            positive = row.get("positive")
            out[(row["survey"], row["question"])] = {
                "text": clean(row.get("text")), "theme": clean(row.get("theme")),  # blank cells are None, not NaN
                "positive_text": None if positive is None or pd.isna(positive)
                else " or ".join(f'"{p.strip()}"' for p in str(positive).split(";") if p.strip())}
        return out

    def culture_gap(self, facility_id: str) -> pd.DataFrame:
        """Staff against detained people on matched themes (latest shared wave)."""
        return self._remember(("culture_gap", facility_id), lambda: self._culture_gap(facility_id))

    def _culture_gap(self, facility_id: str) -> pd.DataFrame:
        if self.survey_results.empty:
            return pd.DataFrame()
        surveys = set(self.surveys(facility_id))
        if not {"staff", "detainee"} <= surveys:
            return pd.DataFrame()
        book = self.estate.table("survey_questions")
        # Pair only questions where a positive answer is the favourable one on both sides, so
        # "% positive" means the same thing for staff and for detained people.
        book = book[book["good_direction"].fillna("up") == "up"]
        return survey_stats.staff_detainee_gap(self.survey_results, facility_id, None, alpha=self.settings.alpha,
                                               codebook=book)

    def sources_for(self, facility_id: str, categories: tuple[str, ...] = (), indicator: str | None = None,
                    tables: tuple[str, ...] = ()) -> list[str]:
        """The files whose rows stand behind a figure for this facility, by name.

        A source read from many files (a bulletin a month) is summarised as
        ``name: N files (first ... last)``; the appendix lists every file.
        """
        pairs: set[tuple[str, str]] = set()
        incidents = self._files_by("incidents", "category")
        for category in categories:
            pairs |= incidents.get((facility_id, category), set())
        if indicator is not None and indicator in self.results.from_counts:
            measures = self.results.from_counts[indicator]
            counts = self._files_by("incident_counts", "measure")
            pairs |= set().union(*[counts.get((facility_id, m), set()) for m in measures])
        for table in (("population",) if indicator is not None else ()) + tuple(tables):
            pairs |= self._files_by(table).get(facility_id, set())
        by_source: dict[str, list[str]] = {}
        for source, file in pairs:
            if isinstance(file, str):
                by_source.setdefault(str(source), []).append(file)
        out = []
        for source, files in sorted(by_source.items()):
            files.sort()
            out += files if len(files) <= 3 else [f"{source}: {len(files)} files ({files[0]} ... {files[-1]})"]
        return out


    def _files_by(self, table: str, column: str | None = None) -> dict[Any, set[tuple[str, str]]]:
        """(source, file) pairs of a table's rows by facility (and ``column``), worked out once."""
        def compute() -> dict[Any, set[tuple[str, str]]]:
            frame = self.estate.table(table)
            keys = ["facility_id"] + ([column] if column else [])
            pairs = frame[keys + ["_source", "_file"]].dropna(subset=["_file"]).drop_duplicates()
            out: dict[Any, set[tuple[str, str]]] = {}
            for row in pairs.itertuples(index=False):
                out.setdefault(row[0] if column is None else (row[0], row[1]), set()).add((row[-2], row[-1]))
            return out
        return self._remember(("files_by", table, column), compute)

    def period(self, facility_id: str, indicator: str) -> dict[str, Any] | None:
        """The facility's period figures for one indicator (last, prev, quarter), or None."""
        p = self._periods_index
        key = (facility_id, indicator)
        return p.loc[key].to_dict() if key in p.index else None

    def peer(self, facility_id: str, indicator: str) -> dict[str, Any] | None:
        """The facility's comparison with peers for one indicator, or None."""
        p = self._peers_index
        key = (facility_id, indicator)
        return p.loc[key].to_dict() if key in p.index else None

    @cached_property
    def _periods_index(self) -> pd.DataFrame:
        return self.results.periods.set_index(["facility_id", "indicator"]) if not self.results.periods.empty \
            else pd.DataFrame()

    @cached_property
    def _peers_index(self) -> pd.DataFrame:
        return self.peers.set_index(["facility_id", "indicator"]) if not self.peers.empty else pd.DataFrame()

    @cached_property
    def peer_groups(self) -> pd.Series:
        return comparison.peer_groups(self.estate.facilities)

    def framework_id(self, facility_id: str) -> str | None:
        """The section framework of a facility's pack: the configured one, else the one for its type."""
        if self.settings.framework:
            return self.settings.framework
        kinds = self.estate.facilities.set_index("facility_id")["facility_type"]
        kind = kinds.get(facility_id)
        return self.definitions.framework_for(None if pd.isna(kind) else str(kind)) if kind is not None else \
            self.definitions.framework_for(None)

    def pool_ids(self, facility_id: str, indicator: str) -> list[str]:
        """The other facilities ``facility_id`` was compared with on ``indicator`` (none when it was not)."""
        peer = self.peer(facility_id, indicator)
        if not peer or peer["compared_with"] not in ("peers", "type"):
            return []
        rows = self.peers[(self.peers["indicator"] == indicator) & (self.peers["basis"] == peer["basis"])]
        if peer["compared_with"] == "peers":
            rows = rows[rows["peer_group"] == peer["peer_group"]]
        else:
            kinds = self.estate.facilities.set_index("facility_id")["facility_type"]
            rows = rows[kinds.reindex(rows["facility_id"]).to_numpy() == kinds.get(facility_id)]
        return [f for f in rows["facility_id"] if f != facility_id]

    def peer_ids(self, facility_id: str) -> list[str]:
        """Other facilities in the same peer group."""
        groups = self.peer_groups
        return [f for f in groups.index[groups == groups.get(facility_id)] if f != facility_id]

    def equality(self, facility_id: str) -> pd.DataFrame:
        """Disproportionality of each practice by each characteristic, for one facility (last period).

        Columns as :func:`equality.disproportionality`, plus ``practice`` and
        ``characteristic``. Empty where no population mix is held.
        """
        if facility_id in self._equality:
            return self._equality[facility_id]
        incidents = self.estate.table("incidents")
        context = self.estate.table("context")
        frames = []
        windows = self.results.windows
        if windows is not None and not context.empty and not incidents.empty:
            first, last = windows.span("last")
            mine = rows_of(incidents, facility_id)
            # the facility's own population mix, found once, not once per practice and characteristic
            context = rows_of(context, facility_id)
            if mine["person_ref"].notna().any():
                # One row a person and practice: repeat incidents by one person are not independent
                # events, and counting them as such makes the interval far too narrow.
                mine = (mine.dropna(subset=["person_ref"]).sort_values("occurred")
                        .drop_duplicates(["person_ref", "category"], keep="last").assign(count=1))
            population: dict = {}  # each characteristic's people by group, worked out once for every practice
            for practice in EQUALITY_PRACTICES:
                for characteristic in EQUALITY_CHARACTERISTICS:
                    if characteristic not in mine or mine[characteristic].isna().all():
                        continue
                    found = equality.disproportionality(
                        mine, context, facility_id, practice, characteristic,
                        threshold=self.settings.equality_threshold, min_count=self.control.min_people,
                        conf=self.equality_confidence,
                        start=first.to_timestamp(), end=last.to_timestamp(), population=population)
                    if not found.empty:
                        frames.append(found.assign(practice=practice, characteristic=characteristic,
                                                   total=found.attrs.get("total_incidents")))
        result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
        self._equality[facility_id] = result
        return result

    def latest_wave(self, facility_id: str, survey: str) -> tuple[str | None, str | None]:
        """The facility's latest and previous waves of a survey."""
        res = self.survey_results
        if res.empty:
            return None, None
        waves = sorted(res.loc[(res["facility_id"] == facility_id) & (res["survey"] == survey), "wave"].unique())
        return (waves[-1] if waves else None), (waves[-2] if len(waves) > 1 else None)

    def surveys(self, facility_id: str) -> list[str]:
        res = self.survey_results
        return sorted(res.loc[res["facility_id"] == facility_id, "survey"].unique()) if not res.empty else []

    def survey_comparison(self, facility_id: str, survey: str) -> pd.DataFrame:
        """The facility's latest wave of ``survey`` against its previous wave and its peers."""
        return self._remember(("survey_comparison", facility_id, survey),
                              lambda: self._survey_comparison(facility_id, survey))

    def _survey_comparison(self, facility_id: str, survey: str) -> pd.DataFrame:
        wave, previous = self.latest_wave(facility_id, survey)
        if wave is None:
            return pd.DataFrame()
        return survey_stats.survey_comparisons(self.survey_results, facility_id, survey, wave,
                                               self.peer_ids(facility_id), previous, self.settings.alpha,
                                               self.estate.table("survey_questions"))


def _hidden_cells(table: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(window, period key, category) of every body cell the incidents table hides."""
    grid = table.get("table") or {}
    columns = [c["category"] for c in grid.get("columns", [])]
    return {(b["name"], r["key"], c) for b in grid.get("blocks", []) for r in b["rows"] if not r["is_total"]
            for c, cell in zip(columns, r["cells"]) if cell["hidden"]}


def analyse(estate: Any, control: Control, as_of: Any = None) -> EstateAnalysis:
    """Analyse the whole estate with the configured settings, indicators and master list.

    ``as_of`` (default today) is the date recommendations are judged overdue against.
    """
    config = estate.config
    settings = config.analysis
    definitions = load_indicators(config.resolve(settings.indicators) if settings.indicators else None)
    master = load_master_list(config.resolve(settings.enquiry) if settings.enquiry else None)
    results = compute(estate, definitions, settings.window_months)
    peers = comparison.compare(results, estate.facilities, settings.funnel_overdispersion, control.threshold,
                               min_peers=settings.min_peers)
    spc_settings = SpcSettings(screening=settings.spc_screening, min_points=settings.spc_min_points)
    charts = signals.control_charts(results, spc_settings, baseline=settings.spc_baseline,
                                    incidents=estate.table("incidents"))
    early = moments.early_shares(estate.table("incidents"), estate.facilities, results.windows, settings.alpha)
    responses = estate.table("survey_responses")
    survey_results = pd.DataFrame()
    if not responses.empty:
        survey_results = survey_stats.percent_positive(
            responses, estate.table("survey_questions"), ["facility_id", "survey", "wave", "question"])
    as_of = pd.Timestamp(as_of if as_of is not None else pd.Timestamp.now().normalize())
    if as_of.tzinfo is not None:  # the tables' dates are wall times without a zone: UTC, as SOURCE_DATE_EPOCH is read
        as_of = as_of.tz_convert("UTC").tz_localize(None)
    return EstateAnalysis(estate, settings, control, definitions, master, results, peers, charts, early,
                          survey_results, as_of)
