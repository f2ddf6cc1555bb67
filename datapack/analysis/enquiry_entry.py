"""What a rule of the areas for enquiry is given and gives back: an :class:`Entry` of the master list and a :class:`Hit`.

The lower half of :mod:`datapack.analysis.enquiry`, kept apart so that the
rules (:mod:`datapack.analysis.rules`) can use these without importing the
module that runs them: enquiry imports rules, rules import this, never back.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


class Entry(BaseModel):
    """One entry of the master list."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    rule: str
    severity: Severity
    severity_by_level: dict[str, Severity] = Field(default_factory=dict)
    sentence: str
    params: dict[str, Any] = Field(default_factory=dict, description="Settings passed to the rule.")

    def fields(self) -> set[str]:
        """Names the sentence template uses."""
        return {name for _, name, _, _ in string.Formatter().parse(self.sentence) if name}


@dataclass(frozen=True)
class Hit:
    """What a rule found: the figures for the sentence and the evidence behind them."""

    subject: str
    values: dict[str, str]
    evidence: dict[str, Any] = field(default_factory=dict)
    severity: str | None = None
    level: str | None = None


RuleFn = Callable[[Any, str, Entry], tuple[list[Hit], list[str]]]
