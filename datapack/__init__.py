"""datapack: pre-visit datapacks for places of detention.

The package reads as the pipeline: ``adapters`` (read files) -> ``tables``
(canonical, checked) -> ``analysis`` (figures) -> ``charts`` -> ``render``
(HTML, Word, JSON) -> ``writer`` (the only code that touches ``output/``).
"""

__version__ = "0.2.0"
