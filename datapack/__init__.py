"""datapack: pre-visit datapacks for places of detention.

The package reads as the pipeline: ``adapters`` (read files) -> ``tables``
(canonical, checked) -> ``analysis`` (figures) -> ``charts`` -> ``render``
(HTML, Word, JSON) -> ``writer`` (the only code that touches ``output/``).
Which module may import which is written down as contracts in
``pyproject.toml`` (``[tool.importlinter]``) and checked by ``make test``.
"""

__version__ = "0.2.0"
