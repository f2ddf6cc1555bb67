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

from pydantic import BaseModel, ConfigDict, model_validator

from datapack.analysis.enquiry_entry import SEVERITY_ORDER, Entry, Hit, RuleFn, Severity  # noqa: F401  (public here too)
from datapack.analysis.rules import RULES
from datapack.config import load_definitions


class MasterList(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    entries: list[Entry]

    @model_validator(mode="after")
    def _known_rules(self) -> "MasterList":
        ids = [e.id for e in self.entries]
        if len(ids) != len(set(ids)):
            raise ValueError("entry ids must be unique")
        unknown = sorted({e.rule for e in self.entries} - set(RULES))
        if unknown:
            raise ValueError(f"unknown rules {unknown}; known rules: {', '.join(sorted(RULES))}")
        return self


@dataclass(frozen=True)
class Finding:
    """A produced area for enquiry."""

    entry_id: str
    title: str
    severity: str
    subject: str
    sentence: str
    evidence: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"id": f"{self.entry_id}:{self.subject}", "entry": self.entry_id, "title": self.title,
                "severity": self.severity, "subject": self.subject, "sentence": self.sentence,
                "evidence": self.evidence}


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
    for entry in master.entries:
        hits, checked = RULES[entry.rule](analysis, facility_id, entry)
        for hit in hits:
            severity = hit.severity or entry.severity_by_level.get(hit.level or "", entry.severity)
            missing = entry.fields() - set(hit.values)
            if missing:
                raise KeyError(f"rule {entry.rule!r} gave no {sorted(missing)} for entry {entry.id}")
            sentence = " ".join(entry.sentence.format_map(hit.values).split())
            findings.append(Finding(entry.id, entry.title, severity, hit.subject, sentence[0].upper() + sentence[1:],
                                    hit.evidence))
        if not hits:
            reviewed.append(Reviewed(entry.id, entry.title, tuple(checked)))
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    return findings, reviewed
