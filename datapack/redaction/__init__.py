"""Identifying details out of free text, and the identifiers the inputs hold (in memory only).

* :func:`redact` and :func:`owner_role` (:mod:`~datapack.redaction.rules`): the one redactor;
* :class:`KnownIdentifiers` (:mod:`~datapack.redaction.known`): identifiers held in the inputs;
* :func:`protect` (:mod:`~datapack.redaction.tables`): every free-text column of the canonical
  tables redacted once, at read time, and the identifiers collected.
"""

from datapack.redaction.known import KnownIdentifiers
from datapack.redaction.rules import PLACEHOLDER, owner_role, redact

__all__ = ["KnownIdentifiers", "PLACEHOLDER", "owner_role", "redact"]
