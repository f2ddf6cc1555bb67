"""Database tables and queries: a SQLite file, or a server (PostgreSQL) named by a URL.

The adapter reads one table or the rows of one query through SQLAlchemy and
hands them back as raw cells, like a sheet whose first row is the column
names; mapping is the same as for any file. Credentials never appear in the
configuration: the URL names the server and database, and the user name and
password come from environment variables the source names. Nothing is
written: SQLite files are opened read-only and a server query runs in a
read-only transaction.

A database has no file to fingerprint, so a source is identified by what was
read (database, table or query) and by the SHA-256 of its result, which
:mod:`datapack.ingest` uses for the cache key and the provenance.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from datapack.adapters import register
from datapack.adapters.base import RawTable
from datapack.adapters.layout import grid_to_frame
from datapack.problems import InputError, Problem

OPTIONS = {
    "table": "Table (or view) to read, every row and column; give this or 'query'.",
    "query": "SELECT statement whose rows are read; give this or 'table'. Add ORDER BY for stable row numbers.",
    "schema": "Schema of 'table' (e.g. cms); the database's default when omitted.",
    "url": "Server database, e.g. postgresql://db.example:5432/cms, never with a password in it. "
           "Omit it and give 'path' for a SQLite file.",
    "user_env": "Environment variable holding the user name (or write the user in the URL).",
    "password_env": "Environment variable holding the password; never write the password in the file.",
    "connect_timeout": "Seconds to wait for the server before giving up (default 10).",
}
INSTALL_HINT = "install the database support: pip install 'datapack[sql]' (or run make install)"
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def check_options(source: Any) -> list[Problem]:
    """Configuration problems of a ``sql`` source, found before anything is read.

    A password in the configuration (in the URL or as an option) is an error:
    the configuration is shared and kept in version control, the environment is not.
    """
    options = source.options
    problems: list[Problem] = []

    def bad(message: str, hint: str) -> None:
        problems.append(Problem("config", message, hint=hint))

    unknown = sorted(set(options) - set(OPTIONS))
    for key in unknown:
        if key in ("password", "passwd", "user", "username"):
            which = "password" if key.startswith("pass") else "user"
            bad(f"options.{key}: credentials are not written in the configuration",
                f"put the {which} in an environment variable and name the variable in options.{which}_env")
        else:
            bad(f"options.{key} is not an option of the sql format", f"use: {', '.join(OPTIONS)}")
    if ("table" in options) == ("query" in options):
        bad("a sql source reads one table or one query", "give options.table or options.query (one of them)")
    url = options.get("url")
    if (url is None) == (source.path is None):
        bad("a sql source reads a SQLite file (path) or a server database (options.url)",
            "give 'path' for a SQLite file, or options.url for a server, not both")
    if url is not None and not isinstance(url, str):
        bad("options.url must be text", "write it as postgresql://host:port/database")
    if isinstance(url, str):
        parts = urlsplit(url)
        if parts.password is not None or "password" in parse_qs(parts.query):
            bad("options.url holds a password: credentials are not written in the configuration",
                "remove it from the URL, put it in an environment variable and name that in options.password_env")
        if parts.scheme.startswith("sqlite"):
            bad("options.url names a SQLite database", "give the SQLite file as 'path' (relative to this file)")
        if parts.username and "user_env" in options:
            bad("the user is given twice (in options.url and options.user_env)", "keep one of them")
    for key in ("user_env", "password_env"):
        if key in options and not (isinstance(options[key], str) and _ENV_NAME.match(options[key])):
            bad(f"options.{key} must be the name of an environment variable (e.g. CMS_PASSWORD)",
                "write the variable's name here and set the variable itself outside the configuration")
    timeout = options.get("connect_timeout", 10)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        bad("options.connect_timeout must be a number of seconds above 0", "write e.g. connect_timeout: 10")
    for setting in ("sheet", "header_row", "encoding", "delimiter"):
        if getattr(source, setting, None) is not None:
            bad(f"'{setting}' has no meaning for a database source", f"remove '{setting}'")
    return problems


def describe(path: Path | None, options: dict[str, Any]) -> str:
    """What is read, for messages and provenance: database and table or query, never credentials.

    Used as the ``file`` of every row and problem, so it holds no ``/``
    (provenance matches rows to sources by file name).
    """
    if path is not None:
        where = path.name
    else:
        parts = urlsplit(options["url"])
        host = parts.hostname or ""
        host = "local socket" if not host or "/" in host else host + (f":{parts.port}" if parts.port else "")
        database = parts.path.lstrip("/")
        where = f"{database} on {host}" if database else host
    if "table" in options:
        what = "table " + ".".join(str(p) for p in (options.get("schema"), options["table"]) if p)
    else:
        what = "query " + hashlib.sha256(" ".join(str(options["query"]).split()).encode()).hexdigest()[:12]
    return f"{where}: {what}".replace("/", "|")


def result_sha256(columns: list[str], rows: list[list[Any]]) -> str:
    """SHA-256 of a result: its columns and the multiset of its rows.

    Row order is left out on purpose: a table read without ORDER BY may come
    back in another order after the database tidies itself, with the same data.
    """
    digest = hashlib.sha256(json.dumps(columns).encode())
    for row in sorted(hashlib.sha256(json.dumps(row, default=str).encode()).digest() for row in rows):
        digest.update(row)
    return digest.hexdigest()


def _cell(value: Any) -> Any:
    """A database value as the cells of other adapters are: numbers as int/float, wall-clock times."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # as the session's time zone gave it, like ISO text elsewhere
    return value


def _sqlalchemy(label: str):
    try:
        import sqlalchemy
    except ModuleNotFoundError:
        raise InputError([Problem("sql-unavailable", "database support (SQLAlchemy) is not installed",
                                  file=label, hint=INSTALL_HINT)])
    return sqlalchemy


def _environment(options: dict[str, Any], label: str) -> dict[str, str]:
    """User and password from the environment variables the source names."""
    found = {}
    for key, part in (("user_env", "username"), ("password_env", "password")):
        name = options.get(key)
        if name is None:
            continue
        if not os.environ.get(name):
            raise InputError([Problem(
                "sql-credentials", f"environment variable {name} (options.{key}) is not set", file=label,
                hint=f"set {name} to the database {part.replace('username', 'user name')} before running "
                     "datapack, or ask whoever runs the database for one")])
        found[part] = os.environ[name]
    return found


class _Connection:
    """An engine for one source, and errors turned into problems that never show a password."""

    def __init__(self, sa, path: Path | None, options: dict[str, Any], label: str):
        self.sa, self.label, self.secrets = sa, label, []
        if path is not None:
            # mode=ro: a read-only open, which also never creates an empty file for a wrong path
            self.url = sa.engine.URL.create("sqlite", database=path.resolve().as_uri(),
                                            query={"mode": "ro", "uri": "true"})
            connect_args: dict[str, Any] = {}
        else:
            try:
                url = sa.engine.make_url(options["url"])
            except sa.exc.ArgumentError as exc:
                raise InputError([Problem("sql-url", f"options.url cannot be read: {exc}", file=label,
                                          hint="write it as postgresql://host:port/database")])
            if url.drivername in ("postgresql", "postgres"):
                url = url.set(drivername="postgresql+psycopg")  # the driver datapack[sql] installs
            credentials = _environment(options, label)
            self.secrets = [v for v in credentials.values() if v]
            self.url = url.set(**credentials)
            connect_args = {"connect_timeout": int(options.get("connect_timeout", 10))} \
                if url.get_backend_name() == "postgresql" else {}
        try:
            self.engine = sa.create_engine(self.url, connect_args=connect_args, poolclass=sa.pool.NullPool)
        except (sa.exc.NoSuchModuleError, ModuleNotFoundError) as exc:
            raise InputError([Problem("sql-driver", f"no driver for {self.url.drivername}: {exc}", file=label,
                                      hint=INSTALL_HINT + "; other databases need their own SQLAlchemy driver")])

    def reason(self, exc: Exception) -> str:
        """The database's own message, first line, with any credential blanked out."""
        text = str(getattr(exc, "orig", None) or exc).strip()
        text = text.splitlines()[0] if text else type(exc).__name__
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def problem(self, code: str, message: str, hint: str) -> InputError:
        return InputError([Problem(code, message, file=self.label, hint=hint)])


def _statement(sa, conn, connection: _Connection, options: dict[str, Any], source_name: str):
    if "query" in options:
        return sa.text(str(options["query"]))
    table, schema = str(options["table"]), options.get("schema")
    inspector = sa.inspect(conn)
    if not (inspector.has_table(table, schema=schema) or table in inspector.get_view_names(schema=schema)):
        names = sorted(inspector.get_table_names(schema=schema) + inspector.get_view_names(schema=schema))
        raise connection.problem(
            "sql-table-missing", f"there is no table or view {table!r}" + (f" in schema {schema!r}" if schema else ""),
            f"set options.table of source {source_name!r} to one of: {', '.join(names[:20]) or '(none found)'}")
    return sa.select(sa.text("*")).select_from(sa.table(table, schema=schema))


@register
class SqlAdapter:
    """One table or one query's rows from a database."""

    name = "sql"
    description = ("A database table or query through SQLAlchemy: a SQLite file (path), or PostgreSQL "
                   "(options.url) with credentials from environment variables. Needs datapack[sql].")
    extensions = (".sqlite", ".sqlite3")
    options = OPTIONS
    check = staticmethod(check_options)
    #: The cache key and provenance hash come from the result, not a file's bytes (see datapack.ingest).
    hashes_result = True

    def read(self, path: Path | None, source: Any) -> list[RawTable]:
        """The rows as a raw table; ``meta['sha256']`` is the result's fingerprint."""
        options = source.options
        label = describe(path, options)
        sa = _sqlalchemy(label)
        connection = _Connection(sa, path, options, label)
        try:
            try:
                conn = connection.engine.connect()
            except sa.exc.SQLAlchemyError as exc:
                raise connection.problem(
                    "sql-connect", f"cannot connect: {connection.reason(exc)}",
                    "check the database is running and reachable from here, the URL or path, and the user and "
                    "password in the environment variables the source names")
            with conn:
                try:
                    if conn.dialect.name == "postgresql":
                        conn.execute(sa.text("SET TRANSACTION READ ONLY"))
                    result = conn.execute(_statement(sa, conn, connection, options, source.name))
                    if not result.returns_rows:
                        raise connection.problem("sql-query", "the query returns no rows",
                                                 "write a SELECT statement in options.query")
                    columns = [str(c) for c in result.keys()]
                    rows = [[_cell(v) for v in row] for row in result]
                except sa.exc.SQLAlchemyError as exc:
                    raise connection.problem(
                        "sql-query", f"the {'query' if 'query' in options else 'table'} cannot be read: "
                        f"{connection.reason(exc)}",
                        f"try options.query of source {source.name!r} in a database client and correct it"
                        if "query" in options else "check the user may read this table")
        finally:
            connection.engine.dispose()
        frame = grid_to_frame([columns, *rows], header=0, first_row_number=0)
        problems = [] if rows else [Problem("sql-empty", "the database returned no rows", file=label,
                                            severity="warning", hint="check the table or the query's conditions")]
        return [RawTable(frame, file=label, problems=problems,
                         meta={"sha256": result_sha256(columns, rows), "database": label})]
