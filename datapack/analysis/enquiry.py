"""Areas for enquiry: sentences generated from a versioned master list.

The master list (``datapack/defaults/enquiry.yaml``, or the file named by
``analysis.enquiry``) holds entries with an id, a title, a named rule, a
severity and a sentence template. Rules are plain functions registered by
name in :mod:`datapack.analysis.rules`; a rule returns one :class:`Hit` per
thing it found, with the figures (already through disclosure control) that
fill the template, what they were compared with, and the files behind
them. Entries that find nothing are kept as "reviewed: nothing to
highlight", so a reader sees what was looked at.

:class:`Entry` and :class:`Hit` live in :mod:`datapack.analysis.enquiry_entry`
(imported here, so they are still public here): this module imports the rules,
and the rules import only that one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from datapack.analysis.enquiry_entry import SEVERITY_ORDER, Entry, Hit, RuleFn, Severity  # noqa: F401  (public here too)
from datapack.analysis.rules import RULES
from datapack.config import load_definitions


class Theme(BaseModel):
    """One theme of the areas for enquiry: what belongs to it, and whom to ask and what to look at."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    prompt: str
    indicators: list[str] = Field(default_factory=list, description="Indicator ids whose findings belong here.")
    entries: list[str] = Field(default_factory=list, description="Entry ids whose findings belong here.")
    surveys: list[str] = Field(default_factory=list, description="Surveys (e.g. staff) whose findings belong here.")
    survey_themes: list[str] = Field(default_factory=list, description="Question themes whose findings belong here.")


class MasterList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    themes: list[Theme] = Field(default_factory=list, description="Areas are grouped by these; none: one per entry.")
    entries: list[Entry]

    @model_validator(mode="after")
    def _known_rules(self) -> "MasterList":
        ids = [e.id for e in self.entries]
        if len(ids) != len(set(ids)):
            raise ValueError("entry ids must be unique")
        unknown = sorted({e.rule for e in self.entries} - set(RULES))
        if unknown:
            raise ValueError(f"unknown rules {unknown}; known rules: {', '.join(sorted(RULES))}")
        themes = [t.id for t in self.themes]
        if len(themes) != len(set(themes)):
            raise ValueError("theme ids must be unique")
        named = sorted({e for t in self.themes for e in t.entries} - set(ids))
        if named:
            raise ValueError(f"themes name entries that are not in the list: {', '.join(named)}")
        return self

    def theme_of(self, entry_id: str, subject: str, codebook: dict | None = None) -> Theme | None:
        """A finding's theme: the first naming its indicator, entry or survey, else its question's theme; else the last."""
        if not self.themes:
            return None
        survey, _, question = subject.partition(":")
        question_theme = (codebook or {}).get((survey, question), {}).get("theme") if question else None
        for theme in self.themes:  # what the finding is about first: its indicator, entry or survey
            if subject in theme.indicators or entry_id in theme.entries or (question and survey in theme.surveys):
                return theme
        for theme in self.themes:  # then what its survey question is about
            if question_theme is not None and str(question_theme) in theme.survey_themes:
                return theme
        return self.themes[-1]


@dataclass(frozen=True)
class Finding:
    """A produced area for enquiry."""

    entry_id: str
    title: str
    severity: str
    subject: str
    sentence: str
    evidence: dict[str, Any]
    theme: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": f"{self.entry_id}:{self.subject}", "entry": self.entry_id, "title": self.title,
                "severity": self.severity, "subject": self.subject, "sentence": self.sentence,
                "evidence": self.evidence, "theme": self.theme}


@dataclass(frozen=True)
class Reviewed:
    """An entry that was checked and found nothing to highlight."""

    entry_id: str
    title: str
    subjects: tuple[str, ...]


def load_master_list(path: Path | None = None) -> MasterList:
    """The configured master list, or the shipped one; every problem reported at once."""
    return load_definitions(MasterList, path, "enquiry.yaml", "enquiry", "analysis.enquiry")


def areas_for_enquiry(analysis: Any, facility_id: str, master: MasterList) -> tuple[list[Finding], list[Reviewed]]:
    """Every entry of the master list applied to one facility: findings (most severe first) and the rest."""
    findings: list[Finding] = []
    reviewed: list[Reviewed] = []
    book = analysis.codebook() if master.themes else {}
    for entry in master.entries:
        hits, checked = RULES[entry.rule](analysis, facility_id, entry)
        for hit in hits:
            severity = hit.severity or entry.severity_by_level.get(hit.level or "", entry.severity)
            missing = entry.fields() - set(hit.values)
            if missing:
                raise KeyError(f"rule {entry.rule!r} gave no {sorted(missing)} for entry {entry.id}")
            sentence = " ".join(entry.sentence.format_map(hit.values).split())
            theme = master.theme_of(entry.id, hit.subject, book)
            findings.append(Finding(entry.id, entry.title, severity, hit.subject, sentence[0].upper() + sentence[1:],
                                    hit.evidence, theme.id if theme else None))
        if not hits:
            reviewed.append(Reviewed(entry.id, entry.title, tuple(checked)))
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    return findings, reviewed


def by_theme(findings: list[Finding], master: MasterList) -> list[dict[str, Any]]:
    """One area per theme that has findings: its severity the highest of them, most severe (then most found) first.

    Without themes in the master list, each finding is its own area. ``findings`` are indices into the list given.
    """
    if not master.themes:
        return [{"id": f"{f.entry_id}:{f.subject}", "title": f.title, "prompt": None, "severity": f.severity,
                 "findings": [i]} for i, f in enumerate(findings)]
    order = {t.id: k for k, t in enumerate(master.themes)}
    areas = []
    for theme in master.themes:
        mine = [i for i, f in enumerate(findings) if f.theme == theme.id]
        if mine:
            severity = min((findings[i].severity for i in mine), key=SEVERITY_ORDER.__getitem__)
            areas.append({"id": theme.id, "title": theme.title, "prompt": " ".join(theme.prompt.split()),
                          "severity": severity, "findings": mine})
    areas.sort(key=lambda a: (SEVERITY_ORDER[a["severity"]], -len(a["findings"]), order[a["id"]]))
    return areas
