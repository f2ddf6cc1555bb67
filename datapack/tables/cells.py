"""Moved: the cell readers are :mod:`datapack.adapters.cells`, beside the adapters that use them first.

This name is kept only so that code written against the old place still
imports; new code imports :mod:`datapack.adapters.cells`.
"""

from datapack.adapters.cells import *  # noqa: F401,F403
