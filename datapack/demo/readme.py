"""``sources/README.md``: every file, the real layout it imitates, and the signals planted."""

from __future__ import annotations

import json

from datapack.demo.estate import Facility
from datapack.demo.population import Timeline
from datapack.demo.signals import PlantedSignal

_FILES = """\
| file | feeds | imitates |
| --- | --- | --- |
| `register/facilities.csv` | `facilities` | A facility register with canonical headings. `aliases` holds the bare name and odd spellings (e.g. the bulletin's `Kestrel Moor (Wrenbury)`). |
| `incidents/incident_log_<year>.csv` | `incidents` | An incident system's CSV export, a file a year, for the years before {latest}: UTF-8 with a BOM, CRLF, dates `dd/mm/yyyy HH:MM`, one row per incident. Establishment written four ways (`HMP Northgate`, `Northgate`, `NORTHGATE (HMP)`, `NGT`); sub-types drift in capitalisation (`Natural causes` / `natural causes` / `Natural Causes`). |
| `incidents/incident_log_{latest}.xlsx` | `incidents` | The replacement system's export for {latest}: sheet `Incidents` (not `Sheet1`), other headings (`Ref`, `Date/Time of Incident`, `Serious (Y/N)`), real date cells, types in sentence case (`Self harm`). |
| `population/Population_Bulletin_<Month>_<YYYY>.ods` | `population` | The HMPPS monthly bulletin, one file a month: title row, `Report Date : d/m/yyyy` (not zero-padded), a blank row, the header `Prison Name / Baseline CNA / In Use CNA / Operational Capacity / Population *`, prisons, the YOI, the women's prison and the IRC by bare name, a `Total` row whose operational capacity carries a footnote marker (`12345**`), then notes. Read with `format: stats_table`. |
| `population/custody_throughput.csv` | `population.throughput` | Police custody detentions a month (`Month` as `yyyy-mm`). Rates at police custody are per 1,000 detentions. |
| `population/secure_hospital_occupancy.csv` | `population` | Commissioned and average occupied beds a month for secure hospitals (`Month` as `Sep 2026`); hospitals are not in the prison bulletin. |
| `population/population_mix.csv` | `context` | People held by ethnic group at the start of each quarter, one column per group (`Ethnicity: Black`, ...), turned into rows by `unpivot`: `factor` is `Ethnicity: <group>`, `value` a number of people, `unit` `people`. This is the population base for disproportionality (incident person characteristics give the numerator). |
| `population/population_profile.csv` | `context` | People held at the start of each quarter by age band and nationality (counted from the same people as the incident log, so the groups match) and by legal status (prisons), one column per group (`Age band: 18-20`, `Legal status: Remand`, ...), turned into rows by `unpivot`. The pack's population profile shows the latest count of each; age band and nationality are also population bases for disproportionality. |
| `population/regime_measures.csv` | `context` | Regime and resettlement measures, long: one row per measure and period (time out of cell, in work or education, attendance, settled accommodation and work after release each quarter; receptions each month; average stay in the IRC). `values` maps each measure's wording to a factor of the indicators file's `measures:`. Kestrel Moor's time out of cell falls over the last year. |
| `surveys/detainee_<wave>.xlsx` | `survey_responses` | A KoboToolbox XLSX export ("XML values and headers"): sheet named after the form title; `start`, `end`, `establishment` (select-one code, e.g. `ngt`), group paths (`about_you/age_band`, `safety/felt_unsafe`, ...), select-multiple `safety/unsafe_where` as one space-separated column plus `safety/unsafe_where/<option>` 1/0 columns, all empty when the question was not shown (felt_unsafe = no); free text `comments/anything_else` containing invented names, prison numbers and 07700 900xxx phone numbers to be redacted; metadata `__version__`, `_id`, `_uuid`, `_submission_time`, `_validation_status`, `_notes`, `_status`, `_submitted_by`, `_tags`, `_index`. Two test submissions per wave are marked `Not approved`. About 3% of answers are left blank (not answered). |
| `surveys/staff_survey_<wave>.csv` | `survey_responses` | A SurveyMonkey "all individual responses" CSV: row 1 `Respondent ID, Collector ID, Start Date, End Date, IP Address, Email Address, First Name, Last Name, Custom Data 1` then question texts (blank across the continuation columns of the checkbox question); row 2 `Response` / choice labels / `Other (please specify)` / `Open-Ended Response`; dates month first with AM/PM; contact columns hold fake values (192.0.2.x, example.org). Prisons, the YOI and the women's prison only. |
| `surveys/codebook.csv` | `survey_questions` | Themes, options, positive answers and good direction, keyed as the adapters key questions: Kobo by group path, select-multiple options as `<path>/<option>`; SurveyMonkey by question text, checkbox options as `<text>/<label>` and the "other" text box as `<text> / Other (please specify)`. Detainee and staff questions share themes (`respect`, `safety`). |
| `followup/recommendation_tracker.xlsx` | `recommendations` | A tracker workbook: title and marking rows above the table, sheet `Tracker`; recommendations from the earlier visit followed up as Achieved / Partially achieved / Not achieved, from the later visit as Good / Reasonable / Insufficient / No meaningful progress, some `Open` or `Not yet due`; `Repeat of` gives the earlier reference. |
| `followup/visits.csv` | `visits` | Two past visits per place with type (full, unannounced, ...) and healthy-establishment ratings 1 to 4 (blank for police custody and hospitals). |
"""


def _table(estate: tuple[Facility, ...]) -> str:
    lines = ["| id | name | type | function (peer group) | capacity |", "| --- | --- | --- | --- | --- |"]
    lines += [f"| {f.facility_id} | {f.name} | {f.facility_type} | {f.function} | {f.capacity} |" for f in estate]
    return "\n".join(lines)


def readme_text(estate: tuple[Facility, ...], timeline: Timeline, signals: list[PlantedSignal], seed: int,
                waves: tuple[int, int]) -> str:
    """The whole README."""
    parts = [
        "# Demonstration sources", "",
        f"Synthetic data for {len(estate)} invented places of detention, {timeline.start:%B %Y} to "
        f"{timeline.end:%d %B %Y}, generated by `datapack demo` with seed {seed}. No name, person or figure is "
        "real; names were checked against a list of real UK establishments. Survey waves: "
        f"{waves[0]} and {waves[1]} (fieldwork in February-March).", "",
        "Regenerate with the same seed and options to get the same CSV bytes and the same workbook contents.", "",
        "## Places", "", _table(estate), "",
        "## Files (all under `sources/`)", "", _FILES.format(latest=timeline.end.year), "",
        "## Planted signals", "",
        "Each is strong but realistic; a later analysis should find every one. Figures below are measured on "
        "the files as written.", "",
    ]
    for s in signals:
        parts += [f"### {s.kind.replace('_', ' ').capitalize()}: {s.facility_name} ({s.facility_id})", "",
                  s.expect, ""]
        parts += [f"- `{key}`: {json.dumps(value, default=str)}" for key, value in s.details.items()] + [""]
    parts += ["Elsewhere figures vary by chance around each place's own level, as real data do: an XmR chart may "
              "flag an occasional point at other places. The no-signal place is guaranteed free of special causes "
              "on every monthly incident series, sits at its peer rate, is not crowded and has every "
              "recommendation achieved.", ""]
    parts += ["## Rates used", "",
              "Per 1,000 average population a year (per 1,000 detentions at police custody), by peer group; "
              "every other place sits a little above or below its peer rate (about 12%) and varies month to "
              "month as a Poisson count. Self-harm is highest in the women's prison (about 3,200) and the YOI; "
              "use of force in the YOI and reception prisons. Adjudications are thinned (background only).", ""]
    return "\n".join(parts)
