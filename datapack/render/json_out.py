"""``pack.json``: the whole context, so every figure the pack shows is there as data."""

from __future__ import annotations

import json
from typing import Any


def render_json(context: dict[str, Any]) -> str:
    """The context as indented JSON (key order kept, as documented in docs/context.md).

    Raises ``TypeError`` or ``ValueError`` when the context holds anything
    but plain data (or NaN): a context must never need a custom encoder.
    """
    return json.dumps(context, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
