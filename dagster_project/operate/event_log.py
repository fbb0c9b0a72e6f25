"""Dagster's SQLite event log, with each database's connection kept open between events.

A build stores ~2,400 Dagster events (a step's start and end, each asset's planned and done
materialization, each dbt test's planned and done check). Dagster's `SqliteEventLogStorage`
opens a new SQLAlchemy engine and SQLite connection for every read and write of an event and
closes it after, and each write commits with a full sync of the write-ahead log: 15-20 ms an
event here, half a minute of a nightly build. This storage is the same storage (same files,
tables and queries: `$DAGSTER_HOME/history/runs/<run id>.db` and `index.db`, readable by any
Dagster process) except that:

* the connection to each database file is kept open (the most recently used few: a UI that
  looks at many runs does not hold every run's file open) and reused under the storage's lock;
* the write-ahead log is synced at checkpoints, not at every commit (`synchronous=NORMAL`): a
  power cut can lose the last events of a run, never corrupt the file. The warehouse does not
  depend on the event log: a build's outcome is in its summary, its log and `audit` tables.

Configured in the Dagster home's `dagster.yaml` (dagster_home.py), so the UI, the daemon and the
build all use it.
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as db
from dagster import Field, StringSource
from dagster._core.storage.event_log import SqliteEventLogStorage
from dagster._core.storage.sqlite import SQLITE_BUSY_TIMEOUT_SECONDS
from dagster._serdes import ConfigurableClassData
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

# Open database files kept at once: a build writes to its run's file and the index.
KEEP_OPEN = 8


def default_base_dir() -> str:
    """Where Dagster's default SQLite storage keeps event logs: `$DAGSTER_HOME/history/runs`."""
    return os.path.join(os.environ["DAGSTER_HOME"], "history", "runs")


class KeptConnectionEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that reuses each database file's connection (see the module)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        super().__init__(base_dir, inst_data)

    @classmethod
    def config_type(cls) -> Mapping[str, Any]:
        return {"base_dir": Field(StringSource, is_required=False)}

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: Mapping[str, Any]
    ) -> KeptConnectionEventLogStorage:
        return cls(config_value.get("base_dir") or default_base_dir(), inst_data)

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = db.create_engine(
                self.conn_string_for_shard(shard),
                poolclass=StaticPool,  # one connection, kept; used under the storage's lock
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
            db.event.listen(engine, "connect", _sync_at_checkpoints)
        self._engines[shard] = engine  # most recently used last
        while len(self._engines) > KEEP_OPEN:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:  # type: ignore[override]
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # the run files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        super().dispose()
        self._close_all()


def _sync_at_checkpoints(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
