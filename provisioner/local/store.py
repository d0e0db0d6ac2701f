"""The workspace's data: JSON documents in one SQLite file, shared safely by every server on it.

WAL lets a `local serve` process and an embedded server use the same folder; write
transactions are `BEGIN IMMEDIATE` so a read-modify-write (check a name, then create it)
is atomic across threads and processes. Documents are keyed by (kind, key); `ref` is a
secondary value a kind is looked up by (an endpoint id, a parent folder).
"""

from __future__ import annotations

import fcntl
import json
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SCHEMA_VERSION = 1

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS documents (
        kind TEXT NOT NULL,
        key  TEXT NOT NULL,
        ref  TEXT,
        body TEXT NOT NULL,
        data BLOB,
        PRIMARY KEY (kind, key)
    ) WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS documents_by_ref ON documents (kind, ref)",
)


class Tx:
    """Operations inside one transaction."""

    def __init__(self, conn: sqlite3.Connection):
        self._conn = conn

    def get(self, kind: str, key: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT body FROM documents WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def data(self, kind: str, key: str) -> bytes | None:
        row = self._conn.execute(
            "SELECT data FROM documents WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return row[0] if row else None

    def put(self, kind: str, key: str, doc: dict[str, Any], *, ref: str | None = None,
            data: bytes | None = None) -> None:
        self._conn.execute(
            "INSERT OR REPLACE INTO documents (kind, key, ref, body, data) VALUES (?, ?, ?, ?, ?)",
            (kind, key, ref, json.dumps(doc, separators=(",", ":")), data),
        )

    def delete(self, kind: str, key: str) -> bool:
        cursor = self._conn.execute("DELETE FROM documents WHERE kind = ? AND key = ?", (kind, key))
        return cursor.rowcount > 0

    def list(self, kind: str, *, ref: str | None = None, prefix: str = "", after: str = "",
             limit: int | None = None) -> list[dict[str, Any]]:
        """Documents in key order, optionally those with `ref`, under `prefix`, after a key."""
        where, args = self._where(kind, ref, prefix)
        rows = self._conn.execute(
            f"SELECT body FROM documents WHERE {where} AND key > ? ORDER BY key LIMIT ?",
            (*args, after, -1 if limit is None else limit),
        )
        return [json.loads(body) for (body,) in rows]

    def count(self, kind: str, *, ref: str | None = None, prefix: str = "") -> int:
        where, args = self._where(kind, ref, prefix)
        row = self._conn.execute(f"SELECT count(*) FROM documents WHERE {where}", args).fetchone()
        return row[0]

    def delete_all(self, kind: str, *, ref: str | None = None, prefix: str = "") -> int:
        where, args = self._where(kind, ref, prefix)
        return self._conn.execute(f"DELETE FROM documents WHERE {where}", args).rowcount

    @staticmethod
    def _where(kind: str, ref: str | None, prefix: str) -> tuple[str, tuple[str, ...]]:
        clauses, args = ["kind = ?"], [kind]
        if ref is not None:
            clauses.append("ref = ?")
            args.append(ref)
        if prefix:
            clauses.append("substr(key, 1, ?) = ?")
            args += [len(prefix), prefix]
        return " AND ".join(clauses), tuple(args)


class Store:
    """One connection per store, serialised by a lock: every transaction lasts microseconds."""

    def __init__(self, path: Path, seed: Callable[[Tx], None]):
        path.parent.mkdir(parents=True, exist_ok=True)
        self._seed = seed
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                                     timeout=10.0)
        with _taking_turns(path):
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
            with self.write() as tx:
                version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                if version not in (0, SCHEMA_VERSION):
                    raise RuntimeError(
                        f"{path} was written by another version of the local workspace "
                        f"(schema {version}); delete the folder to start afresh"
                    )
                for statement in _SCHEMA:
                    self._conn.execute(statement)
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
                seed(tx)

    @contextmanager
    def read(self) -> Iterator[Tx]:
        with self._transaction("BEGIN") as tx:
            yield tx

    @contextmanager
    def write(self) -> Iterator[Tx]:
        with self._transaction("BEGIN IMMEDIATE") as tx:
            yield tx

    def reset(self) -> None:
        """Wipe every document, then seed again what a new workspace has."""
        with self.write() as tx:
            self._conn.execute("DELETE FROM documents")
            self._seed(tx)

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[Tx]:
        with self._lock:
            self._conn.execute(begin)
            try:
                yield Tx(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")


@contextmanager
def _taking_turns(path: Path) -> Iterator[None]:
    """Processes opening one file take turns: SQLite switches a new file to WAL under an
    exclusive lock it does not wait for, so a second opener at that moment would fail with
    "database is locked" instead of waiting."""
    with open(path.with_name(f".{path.name}.lock"), "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield  # closing the file releases the lock
