"""The README's worked example runs as written: a new export layout needs configuration, not code."""

import re
from pathlib import Path

import yaml

from datapack.config import load_config
from datapack.ingest import load_estate

README = Path(__file__).resolve().parents[1] / "README.md"


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README.read_text(), flags=re.S)


def test_the_worked_example_loads_with_only_the_configuration_shown(tmp_path):
    export = next(b for b in _blocks("text") if "Incident type" in b)
    entry = next(b for b in _blocks("yaml") if "cms-incidents" in b)
    (tmp_path / "sources/cms").mkdir(parents=True)
    (tmp_path / "sources/cms/Incidents Q3.csv").write_bytes(export.encode("cp1252"))
    (tmp_path / "register.csv").write_text("id,name,type\nNGT,HMP Northgate,prison\n")
    config = {"cache": None, "sources": [
        {"name": "register", "table": "facilities", "path": "register.csv",
         "columns": {"facility_id": "id", "name": "name", "facility_type": "type"}},
        *yaml.safe_load(entry)]}
    (tmp_path / "datapack.yaml").write_text(yaml.safe_dump(config))
    estate = load_estate(load_config(tmp_path / "datapack.yaml"))
    assert estate.report.problems == []
    rows = estate.tables["incidents"].set_index("incident_id")
    assert rows["facility_id"].tolist() == ["NGT", "NGT"]
    assert rows["category"].tolist() == ["self_harm", "use_of_force"]
    assert rows.loc["A2", "subcategory"] == "Planned" and bool(rows.loc["A2", "serious"]) is True
    assert rows.loc["A1", "occurred"].isoformat() == "2026-07-03T14:05:00"
    assert rows.loc["A2", "_row"] == 5          # two title lines above the header
