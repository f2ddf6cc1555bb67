"""Views across the whole estate, for managers: the comparison pack and the visit programme.

Built on the :class:`~datapack.analysis.estate.EstateAnalysis` computed for
every facility, after the facility packs' own analysis::

    comparison_context(analysis, built_at) -> dict   # comparison.html/.docx/.xlsx/.json
    schedule(analysis, settings) -> list[dict]        # the visit programme
    schedule_context(analysis, built_at) -> dict      # schedule.html/.xlsx

Every figure goes through the disclosure control, as in the facility packs.
See docs/comparison.md.
"""

from datapack.estate_views.schedule import schedule, schedule_context

__all__ = ["schedule", "schedule_context"]
