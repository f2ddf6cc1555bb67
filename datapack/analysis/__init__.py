"""Analysis: from the canonical tables to the figures and sentences a pack shows.

The public entry points build the context dicts that renderers and charts
read (documented key by key in ``docs/context.md``)::

    facility_context(estate, facility_id, control, built_at) -> dict
    estate_context(estate, control, built_at, facility_ids=None) -> dict

Each section lives in its own module (``population``, ``incidents``,
``surveys``, ``followup``, ``provenance``); later analyses (control charts,
funnel plots, areas for enquiry) join them as further modules and keys.
"""

from datapack.analysis.profile import CHART_IDS, estate_context, facility_context, facility_slugs

__all__ = ["CHART_IDS", "estate_context", "facility_context", "facility_slugs"]
