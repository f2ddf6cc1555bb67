"""The ``sql`` format: incidents read from a database, mapped and cached like any file.

SQLite tests make a tiny database in the test. PostgreSQL tests run against a
real server: a throwaway cluster started here when ``initdb`` is installed
(Debian's ``postgresql`` package), or an existing server named by
``DATAPACK_TEST_POSTGRES_URL`` (``postgresql://user:password@host:port/database``;
tables named ``datapack_test_*`` are created and dropped there). Where a
server is expected (``CI`` set, or ``DATAPACK_REQUIRE_POSTGRES`` as ``.ci/run``
sets it) and none can be had, the tests fail instead of skipping.
"""

from __future__ import annotations

import csv
import datetime as dt
import glob
import json
import os
import pwd
import re
import secrets
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa
import yaml
from click.testing import CliRunner

from datapack.build import build
from datapack.cli import main
from datapack.config import load_config
from datapack.ingest import load_estate
from datapack.problems import InputError

ROOT = Path(__file__).resolve().parents[1]
REQUIRED = bool(os.environ.get("CI") or os.environ.get("DATAPACK_REQUIRE_POSTGRES"))
BUILT_AT = dt.datetime(2026, 10, 1, 9, 0)
#: Two packs compared: a prison and a police custody suite, both with rows in every incident file.
FACILITIES = ["NGT", "HSC"]
TABLE = "datapack_test_incident_log"


# --- a real PostgreSQL server ----------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    """A reachable server: its URL without credentials (as a configuration holds it) and a login."""

    url: str
    user: str
    password: str

    @property
    def where(self) -> str:
        """How datapack should name this database: ``database on host:port``."""
        url = sa.engine.make_url(self.url)
        return f"{url.database} on {url.host}:{url.port}"

    def admin(self):
        """A SQLAlchemy engine logged in with the credentials (for loading test tables)."""
        url = sa.engine.make_url(self.url).set(drivername="postgresql+psycopg", username=self.user,
                                               password=self.password)
        return sa.create_engine(url, poolclass=sa.pool.NullPool)


def _unavailable(reason: str):
    if REQUIRED:
        pytest.fail(f"a PostgreSQL server is expected here (CI or DATAPACK_REQUIRE_POSTGRES) but {reason}",
                    pytrace=False)
    pytest.skip(reason)


def _bindir() -> Path | None:
    if os.environ.get("DATAPACK_PG_BIN"):
        return Path(os.environ["DATAPACK_PG_BIN"])
    if shutil.which("initdb"):
        return Path(shutil.which("initdb")).parent
    # Debian keeps the server programs out of PATH, one folder per major version
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_cluster(bindir: Path):
    """initdb and pg_ctl start in a folder under /tmp; yields the server, then stops and removes it.

    The server refuses to run as root, so under root it runs as ``postgres``
    (made by Debian's package) or else ``nobody``.
    """
    account = None
    if os.geteuid() == 0:
        names = [n for n in ("postgres", "nobody") if n in {p.pw_name for p in pwd.getpwall()}]
        if not names:
            _unavailable("running as root with neither a 'postgres' nor a 'nobody' user to run the server")
        account = pwd.getpwnam(names[0])
    as_user = {} if account is None else {"user": account.pw_uid, "group": account.pw_gid, "extra_groups": []}
    folder = Path(tempfile.mkdtemp(prefix="datapack-pg-", dir="/tmp"))
    password = secrets.token_urlsafe(16)
    (folder / "pw").write_text(password)
    if account is not None:
        for path in (folder, folder / "pw"):
            os.chown(path, account.pw_uid, account.pw_gid)
    data, port = folder / "data", _free_port()

    def run(*args: str) -> None:
        done = subprocess.run(args, capture_output=True, text=True, timeout=120, cwd=folder, **as_user)
        if done.returncode:
            log = (folder / "log").read_text() if (folder / "log").is_file() else ""
            _unavailable(f"{Path(args[0]).name} failed: {done.stderr or done.stdout}{log}")

    try:
        run(str(bindir / "initdb"), "-D", str(data), "-U", "datapack", f"--pwfile={folder / 'pw'}",
            "--auth=scram-sha-256", "-E", "UTF8", "--no-locale", "--no-sync")
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-w", "-t", "60", "-o",
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off", "start")
        server = Server(f"postgresql://127.0.0.1:{port}/postgres", "datapack", password)
        with server.admin().execution_options(isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text("CREATE DATABASE cms"))
        yield Server(f"postgresql://127.0.0.1:{port}/cms", "datapack", password)
    finally:
        if (data / "postmaster.pid").is_file():
            subprocess.run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"],
                           capture_output=True, timeout=60, cwd=folder, **as_user)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres():
    """A PostgreSQL server for the session (see the module docstring)."""
    given = os.environ.get("DATAPACK_TEST_POSTGRES_URL")
    if given:
        url = sa.engine.make_url(given)
        yield Server(url.set(username=None, password=None).render_as_string(), url.username or "",
                     url.password or "")
        return
    bindir = _bindir()
    if bindir is None or not (bindir / "initdb").is_file():
        _unavailable("initdb was not found: install Debian's postgresql package, or set "
                     "DATAPACK_TEST_POSTGRES_URL to a server")
    yield from _start_cluster(bindir)


# --- the demo's incident log, loaded into the server --------------------------------------------------

#: Typed as a case-management system would hold them; every other heading is text.
TYPES = {"Incident Date/Time": "timestamp", "Date of Arrival": "date", "Segregation Duration (hrs)": "numeric"}


def _typed(heading: str, cell: str):
    if cell == "":
        return None
    kind = TYPES.get(heading)
    if kind == "timestamp":
        return dt.datetime.strptime(cell, "%d/%m/%Y %H:%M")
    if kind == "date":
        return dt.datetime.strptime(cell, "%d/%m/%Y").date()
    return cell  # numeric text is cast by the server


@pytest.fixture(scope="session")
def incident_table(postgres):
    """Every row of sources/incidents/*.csv in one typed table, with the CSV headings as column names."""
    files = sorted((ROOT / "sources" / "incidents").glob("incident_log_*.csv"))
    with files[0].open(encoding="utf-8-sig", newline="") as handle:
        headings = next(csv.reader(handle))
    engine = postgres.admin()
    quoted = ", ".join(f'"{h}" {TYPES.get(h, "text")}' for h in headings)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
        conn.execute(sa.text(f"CREATE TABLE {TABLE} ({quoted})"))
        raw = conn.connection.driver_connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {TABLE} FROM STDIN") as copy:
            for path in files:
                with path.open(encoding="utf-8-sig", newline="") as handle:
                    reader = csv.reader(handle)
                    next(reader)
                    for row in reader:
                        copy.write_row([_typed(h, c) for h, c in zip(headings, row)])
    yield TABLE
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP TABLE IF EXISTS {TABLE}"))
    engine.dispose()


def _demo_config(tmp: Path, replace: dict[str, dict] | None = None, cache: Path | None = None) -> Path:
    """The demo's configuration with paths made absolute, no history, and sources replaced by name."""
    config = yaml.safe_load((ROOT / "datapack.yaml").read_text())
    for source in config["sources"]:
        source["path"] = str(ROOT / source["path"])
        if source["name"] in (replace or {}):
            source.update(replace[source["name"]])
            if source["path"] is None:
                del source["path"]
    config.update(history=None, cache=str(cache) if cache else None)
    path = tmp / "datapack.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _from_database(postgres: Server, **options) -> dict:
    """Settings that move the demo's incident_log source from its CSV files to the server; mapping kept."""
    return {"path": None, "format": "sql", "dates": {},
            "options": {"url": postgres.url, "user_env": "CMS_USER", "password_env": "CMS_PASSWORD", **options}}


@pytest.fixture
def credentials(postgres, monkeypatch):
    monkeypatch.setenv("CMS_USER", postgres.user)
    monkeypatch.setenv("CMS_PASSWORD", postgres.password)


def _pack(folder: Path, facility: str) -> dict:
    return json.loads((folder / facility.lower() / "pack.json").read_text())


def _without_provenance(pack: dict, names: set[str]) -> dict:
    """The pack less what must differ: the ``sources`` list (a file name, hash, format and row count
    per file read) and its ``source_groups``, and, wherever else a pack lists what it read (the evidence of each area for
    enquiry), the incident log's names, ``names``, made one placeholder."""
    def same(value):
        if isinstance(value, dict):
            return {k: same(v) for k, v in value.items()}
        if isinstance(value, list):
            items = [same(v) for v in value]
            return [v for i, v in enumerate(items) if v != "<incident log>" or "<incident log>" not in items[:i]]
        return "<incident log>" if value in names else value
    return same({k: v for k, v in pack.items() if k not in ("sources", "source_groups")})


def test_a_pack_built_from_postgresql_equals_the_pack_built_from_the_csv_files(
        tmp_path, postgres, incident_table, credentials, monkeypatch):
    # Charts are drawn from the same context as pack.json and never enter it; not drawing them halves
    # the time. One cache for both builds, so the sources they share are read once.
    monkeypatch.setattr("datapack.charts.facility_charts", lambda context, kept=None: [])
    cache = tmp_path / "cache"
    (tmp_path / "csv").mkdir()
    (tmp_path / "db").mkdir()
    from_csv = build(load_config(_demo_config(tmp_path / "csv", cache=cache)), FACILITIES, tmp_path / "csv" / "out",
                     formats=(), built_at=BUILT_AT, jobs=1)
    db_config = load_config(_demo_config(tmp_path / "db", {"incident_log": _from_database(
        postgres, table=incident_table)}, cache=cache))
    from_db = build(db_config, FACILITIES, tmp_path / "db" / "out", formats=(), built_at=BUILT_AT, jobs=1)
    assert not from_csv.failed and not from_db.failed, (from_csv.failed, from_db.failed, [str(p) for p in from_csv.problems][:3])
    assert not [p for p in from_db.estate.report.problems if p.source == "incident_log"]

    label = f"{postgres.where}: table {incident_table}"
    csv_names = {f"incident_log_{year}.csv" for year in (2023, 2024, 2025)}
    for facility in FACILITIES:
        csv_pack, db_pack = _pack(tmp_path / "csv" / "out", facility), _pack(tmp_path / "db" / "out", facility)
        assert _without_provenance(csv_pack, csv_names) == _without_provenance(db_pack, {label})
        # The sources differ only where the incident log came from: three CSV files or one table.
        csv_files = [s for s in csv_pack["sources"] if s["source"] == "incident_log"]
        db_files = [s for s in db_pack["sources"] if s["source"] == "incident_log"]
        assert {s["file"] for s in csv_files} == csv_names
        assert [(s["file"], s["format"]) for s in db_files] == [(label, "sql")]
        # the team's pack gives each file's row count (one that hides small counts would not: see
        # test_recovery_attack); the table holds the rows of the three files
        assert db_files[0]["rows"]["value"] == sum(s["rows"]["value"] for s in csv_files) > 0
        assert (db_files[0]["first"], db_files[0]["last"]) == (csv_files[0]["first"], csv_files[-1]["last"])
        assert [s for s in csv_pack["sources"] if s["source"] != "incident_log"] == \
            [s for s in db_pack["sources"] if s["source"] != "incident_log"]
        # Grouped by source, the incident log is three files or one table, with the same rows and span.
        (csv_group,) = [g for g in csv_pack["source_groups"] if g["source"] == "incident_log"]
        (db_group,) = [g for g in db_pack["source_groups"] if g["source"] == "incident_log"]
        assert (csv_group["files"], db_group["files"], db_group["names"]) == (len(csv_files), 1, label)
        assert csv_group["names"] == f"{sorted(csv_names)[0]} ... {sorted(csv_names)[-1]}"
        assert [db_group[k] for k in ("rows", "first", "last")] == [csv_group[k] for k in ("rows", "first", "last")]
        assert [g for g in csv_pack["source_groups"] if g["source"] != "incident_log"] == \
            [g for g in db_pack["source_groups"] if g["source"] != "incident_log"]

    manifest = json.loads((tmp_path / "db" / "out" / "manifest.json").read_text())
    read = [i for i in manifest["inputs"] if i["source"] == "incident_log"]
    csv_read = [i for i in json.loads((tmp_path / "csv" / "out" / "manifest.json").read_text())["inputs"]
                if i["source"] == "incident_log"]
    assert sum(i["rows"] for i in read) == sum(i["rows"] for i in csv_read) > 0
    assert len(read) == 1 and read[0]["format"] == "sql" and len(read[0]["sha256"]) == 64
    assert read[0]["file"] == label and read[0]["rows"] == len(from_db.estate.table("incidents").query(
        "_source == 'incident_log'"))
    for facility in FACILITIES:  # each pack's own manifest names the table its rows came from
        own = json.loads((tmp_path / "db" / "out" / facility.lower() / "manifest.json").read_text())
        assert [i["file"] for i in own["inputs"] if i["source"] == "incident_log"] == [label]
    assert postgres.password not in json.dumps(manifest) and postgres.password not in json.dumps(_pack(
        tmp_path / "db" / "out", "NGT"))


# --- PostgreSQL: what goes wrong is a located problem, and the other sources still load --------------------

def _small_config(tmp: Path, options: dict | None, **source) -> Path:
    """The demo register (CSV) plus one sql source of incidents mapped with the demo's headings."""
    demo = {s["name"]: s for s in yaml.safe_load((ROOT / "datapack.yaml").read_text())["sources"]}
    register = {**demo["register"], "path": str(ROOT / demo["register"]["path"])}
    incidents = {k: v for k, v in demo["incident_log"].items() if k != "path"}
    incidents.update({"name": "cms", "format": "sql", "dates": {}, **source})
    if options is not None:
        incidents["options"] = options
    (tmp / "datapack.yaml").write_text(yaml.safe_dump({"cache": None, "history": None,
                                                      "sources": [register, incidents]}))
    return tmp / "datapack.yaml"


def _options(postgres: Server, **extra) -> dict:
    return {"url": postgres.url, "user_env": "CMS_USER", "password_env": "CMS_PASSWORD", **extra}


def _problems(config: Path) -> tuple[list, object]:
    estate = load_estate(load_config(config))
    assert len(estate.facilities) == 12, "the register must load whatever happens to the database"
    return [p for p in estate.report.problems if p.source == "cms"], estate


def test_a_query_reads_the_rows_it_selects_mapped_like_the_csv(tmp_path, postgres, incident_table, credentials):
    query = (f'SELECT * FROM {incident_table} WHERE "Establishment" IN (\'NGT\', \'HMP Northgate\') '
             f'AND "Incident Type" = \'Self Harm\' ORDER BY "Incident Ref"')
    estate = load_estate(load_config(_small_config(tmp_path, _options(postgres, query=query))))
    expected = 0
    for path in sorted((ROOT / "sources" / "incidents").glob("incident_log_*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            expected += sum(1 for r in csv.DictReader(handle)
                            if r["Establishment"] in ("NGT", "HMP Northgate") and r["Incident Type"] == "Self Harm")
    incidents = estate.table("incidents")
    assert expected > 100 and len(incidents) == expected
    assert set(incidents["category"]) == {"self_harm"} and set(incidents["facility_id"]) == {"NGT"}
    assert str(incidents["occurred"].dtype).startswith("datetime64")
    [read] = [f for f in estate.files if f.source == "cms"]
    assert read.path.startswith(f"{postgres.where}: query ") and read.rows == expected


def test_a_wrong_password_is_a_located_problem_that_names_no_password(tmp_path, postgres, incident_table,
                                                                     monkeypatch):
    monkeypatch.setenv("CMS_USER", postgres.user)
    monkeypatch.setenv("CMS_PASSWORD", "not-the-password")
    [problem], _ = _problems(_small_config(tmp_path, _options(postgres, table=incident_table)))
    assert problem.code == "sql-connect" and "password" in problem.message
    assert "not-the-password" not in str(problem) and postgres.password not in str(problem)
    assert problem.file.endswith(f"table {incident_table}") and "environment variables" in problem.hint


def test_a_missing_environment_variable_names_it_and_what_to_set(tmp_path, postgres, incident_table, monkeypatch):
    monkeypatch.setenv("CMS_USER", postgres.user)
    monkeypatch.delenv("CMS_PASSWORD", raising=False)
    [problem], _ = _problems(_small_config(tmp_path, _options(postgres, table=incident_table)))
    assert problem.code == "sql-credentials"
    assert "CMS_PASSWORD" in problem.message and "set CMS_PASSWORD" in problem.hint


def test_a_missing_table_lists_the_tables_there(tmp_path, postgres, incident_table, credentials):
    [problem], _ = _problems(_small_config(tmp_path, _options(postgres, table="incidentz")))
    assert problem.code == "sql-table-missing" and "'incidentz'" in problem.message
    assert incident_table in problem.hint


def test_a_bad_query_gives_the_databases_message(tmp_path, postgres, incident_table, credentials):
    [problem], _ = _problems(_small_config(tmp_path, _options(postgres, query=f"SELECT nope FROM {incident_table}")))
    assert problem.code == "sql-query" and 'column "nope" does not exist' in problem.message
    assert "options.query of source 'cms'" in problem.hint


def test_a_query_cannot_change_the_database(tmp_path, postgres, incident_table, credentials):
    query = f"DELETE FROM {incident_table} RETURNING *"
    [problem], _ = _problems(_small_config(tmp_path, _options(postgres, query=query)))
    assert problem.code == "sql-query" and "read-only transaction" in problem.message
    with postgres.admin().connect() as conn:
        assert conn.execute(sa.text(f"SELECT count(*) FROM {incident_table}")).scalar() > 40000


def test_a_server_that_does_not_answer_is_a_located_problem(tmp_path, credentials):
    options = {"url": f"postgresql://127.0.0.1:{_free_port()}/cms", "user_env": "CMS_USER",
               "password_env": "CMS_PASSWORD", "table": "incidents", "connect_timeout": 3}
    [problem], _ = _problems(_small_config(tmp_path, options))
    assert problem.code == "sql-connect" and "refused" in problem.message.lower()
    assert problem.file == f"cms on 127.0.0.1:{sa.engine.make_url(options['url']).port}: table incidents"


def test_validate_lists_the_database_and_table_never_the_credentials(tmp_path, postgres, incident_table,
                                                                    credentials):
    config = _small_config(tmp_path, _options(postgres, table=incident_table))
    result = CliRunner().invoke(main, ["validate", "--config", str(config), "--quiet"])
    assert result.exit_code in (0, 1), result.output
    line = next(line for line in result.output.splitlines() if line.strip().startswith("cms "))
    assert f": table {incident_table}" in line and " sql " in line
    assert postgres.password not in result.output and "Traceback" not in result.output


def test_the_readme_database_example_reads_postgresql_as_written(tmp_path, postgres, credentials):
    block = next(b for b in re.findall(r"```yaml\n(.*?)```", (ROOT / "README.md").read_text(), flags=re.S)
                 if "format: sql" in b)
    [source] = yaml.safe_load(block)
    assert source["options"]["url"] == "postgresql://db.example:5432/cms"
    source["options"]["url"] = postgres.url
    source["options"]["query"] = source["options"]["query"].replace("FROM incidents", "FROM datapack_test_readme")
    with postgres.admin().begin() as conn:
        conn.execute(sa.text("DROP TABLE IF EXISTS datapack_test_readme"))
        conn.execute(sa.text("CREATE TABLE datapack_test_readme "
                             "(ref text, site text, occurred_at timestamp, kind text, detail text)"))
        conn.execute(sa.text("INSERT INTO datapack_test_readme VALUES "
                             "('A2', 'NORTHGATE (HMP)', '2026-07-04 09:30', 'Use of Force', 'Planned'), "
                             "('A1', 'HMP Northgate', '2026-07-03 14:05', 'Self Harm', NULL), "
                             "('A0', 'HMP Northgate', '2022-12-31 23:59', 'Self Harm', NULL)"))
    try:
        register = {"name": "register", "table": "facilities", "path": str(ROOT / "sources/register/facilities.csv"),
                    "columns": {"facility_id": "facility_id", "name": "name", "facility_type": "facility_type"}}
        (tmp_path / "datapack.yaml").write_text(yaml.safe_dump({"cache": None, "sources": [register, source]}))
        estate = load_estate(load_config(tmp_path / "datapack.yaml"))
    finally:
        with postgres.admin().begin() as conn:
            conn.execute(sa.text("DROP TABLE datapack_test_readme"))
    assert estate.report.problems == []
    rows = estate.table("incidents")
    assert rows["incident_id"].tolist() == ["A1", "A2"]  # ORDER BY ref; A0 is before 2023
    assert rows["facility_id"].tolist() == ["NGT", "NGT"]
    assert rows["category"].tolist() == ["self_harm", "use_of_force"]
    assert [t.isoformat() for t in rows["occurred"]] == ["2026-07-03T14:05:00", "2026-07-04T09:30:00"]
    assert rows["_row"].tolist() == [1, 2]


# --- configuration: credentials belong in the environment ----------------------------------------------

@pytest.mark.parametrize("options, said", [
    ({"url": "postgresql://reader:s3cret@db.example/cms", "table": "incidents"}, "options.url holds a password"),
    ({"url": "postgresql://db.example/cms?password=s3cret", "table": "incidents"}, "options.url holds a password"),
    ({"url": "postgresql://db.example/cms", "password": "s3cret", "table": "incidents"},
     "options.password: credentials are not written"),
])
def test_a_password_in_the_configuration_is_refused_with_the_environment_as_the_fix(tmp_path, options, said):
    with pytest.raises(InputError) as caught:
        load_config(_small_config(tmp_path, options))
    [problem] = caught.value.problems
    assert said in problem.message and "environment variable" in problem.hint
    assert problem.column == "sources.cms" and "s3cret" not in str(problem)


@pytest.mark.parametrize("options, source, said", [
    ({"url": "postgresql://db.example/cms"}, {}, "one table or one query"),
    ({"url": "postgresql://db.example/cms", "table": "a", "query": "select 1"}, {}, "one table or one query"),
    ({"table": "a"}, {"path": "cms.sqlite"}, None),
    ({"url": "postgresql://db.example/cms", "table": "a"}, {"path": "cms.sqlite"}, "SQLite file (path) or"),
    ({"url": "postgresql://db.example/cms", "tabel": "a"}, {}, "options.tabel is not an option"),
    ({"url": "postgresql://db.example/cms", "table": "a"}, {"sheet": "Log"}, "'sheet' has no meaning"),
])
def test_a_sql_source_is_checked_before_anything_is_read(tmp_path, options, source, said):
    (tmp_path / "cms.sqlite").write_bytes(b"")
    if said is None:
        load_config(_small_config(tmp_path, options, **source))
        return
    with pytest.raises(InputError) as caught:
        load_config(_small_config(tmp_path, options, **source))
    assert sum(said in p.message for p in caught.value.problems) == 1, caught.value.problems


def test_a_source_without_a_path_must_be_a_database_server(tmp_path):
    with pytest.raises(InputError) as caught:
        load_config(_small_config(tmp_path, {}, format="csv"))
    assert "add 'path'" in caught.value.problems[0].message


# --- SQLite: a tiny database made here ------------------------------------------------------------

INCIDENTS = [  # Ref, Where, When, Type, Hours
    ("A1", "HMP Northgate", "2025-01-03 10:15:00", "Self Harm", None),
    ("A2", "NGT", "2025-01-20 22:40:00", "Segregation", 36.5),
    ("A3", "Kestrel Moor", "2025-02-11 08:05:00", "Fight", None),
    ("A4", "HMP Castlebridge", "2025-02-28 14:00:00", "Segregation", 4),
]


def _sqlite(path: Path, rows=INCIDENTS) -> Path:
    with sqlite3.connect(path) as db:
        db.execute('CREATE TABLE log ("Ref" text, "Where" text, "When" timestamp, "Type" text, "Hours" real)')
        db.executemany("INSERT INTO log VALUES (?, ?, ?, ?, ?)", rows)
    db.close()
    return path


def _sqlite_config(tmp: Path, options: dict) -> Path:
    demo = {s["name"]: s for s in yaml.safe_load((ROOT / "datapack.yaml").read_text())["sources"]}
    register = {**demo["register"], "path": str(ROOT / demo["register"]["path"])}
    source = {"name": "cms", "table": "incidents", "path": "cms.sqlite", "options": options,
              "columns": {"incident_id": "Ref", "facility": "Where", "occurred": "When", "category": "Type",
                          "duration_hours": "Hours"},
              "constants": {"count": 1},
              "values": {"category": {"Self Harm": "self_harm", "Segregation": "segregation", "Fight": "fight"}}}
    (tmp / "datapack.yaml").write_text(yaml.safe_dump({"cache": ".cache", "history": None,
                                                      "sources": [register, source]}))
    return tmp / "datapack.yaml"


def test_a_sqlite_table_is_read_and_mapped_row_by_row(tmp_path):
    _sqlite(tmp_path / "cms.sqlite")
    estate = load_estate(load_config(_sqlite_config(tmp_path, {"table": "log"})))
    assert estate.report.ok, estate.report.problems
    incidents = estate.table("incidents").sort_values("incident_id")
    assert list(incidents["facility_id"]) == ["NGT", "NGT", "KSM", "CSB"]
    assert list(incidents["category"]) == ["self_harm", "segregation", "fight", "segregation"]
    assert list(incidents["occurred"].dt.strftime("%d/%m %H:%M")) == ["03/01 10:15", "20/01 22:40", "11/02 08:05",
                                                                     "28/02 14:00"]
    assert incidents["duration_hours"].fillna(0).tolist() == [0, 36.5, 0, 4.0]
    assert list(incidents["_row"]) == [1, 2, 3, 4] and set(incidents["_file"]) == {"cms.sqlite: table log"}


def test_a_sqlite_query_is_cached_by_its_result_and_read_again_when_the_rows_change(tmp_path):
    db = _sqlite(tmp_path / "cms.sqlite")
    config = _sqlite_config(tmp_path, {"query": "SELECT * FROM log WHERE \"Type\" = 'Segregation'"})
    first, second = load_estate(load_config(config)), load_estate(load_config(config))
    [a], [b] = [f for f in first.files if f.source == "cms"], [f for f in second.files if f.source == "cms"]
    assert (a.rows, a.cached, b.cached, a.sha256) == (2, False, True, b.sha256)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE log SET \"Hours\" = 40 WHERE \"Ref\" = 'A2'")
    conn.close()
    [c] = [f for f in load_estate(load_config(config)).files if f.source == "cms"]
    assert not c.cached and c.sha256 != a.sha256 and c.rows == 2


def test_the_result_hash_is_the_same_whatever_order_the_rows_come_in(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    _sqlite(tmp_path / "a" / "cms.sqlite")
    _sqlite(tmp_path / "b" / "cms.sqlite", list(reversed(INCIDENTS)))
    [a], [b] = ([f for f in load_estate(load_config(_sqlite_config(tmp_path / d, {"table": "log"}))).files
                 if f.source == "cms"] for d in ("a", "b"))
    assert a.sha256 == b.sha256 and a.path == b.path == "cms.sqlite: table log"


def test_a_bad_sqlite_query_and_a_missing_sqlite_table_are_located_problems(tmp_path):
    _sqlite(tmp_path / "cms.sqlite")
    [bad] = [p for p in load_estate(load_config(_sqlite_config(tmp_path, {"query": "SELEC * FROM log"}))).report
             .problems if p.source == "cms"]
    assert bad.code == "sql-query" and "syntax error" in bad.message
    [missing] = [p for p in load_estate(load_config(_sqlite_config(tmp_path, {"table": "logs"}))).report.problems
                 if p.source == "cms"]
    assert missing.code == "sql-table-missing" and missing.hint.endswith("one of: log")
    assert missing.file == "cms.sqlite: table logs"
