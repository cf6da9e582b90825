"""On-disk cache of passage embeddings, keyed by model id + sha256 of the text (one SQLite file).

A publish changes a few passages: only those are embedded again. Safe across threads (one lock) and
processes (SQLite WAL). Vectors are stored as raw float32 bytes.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

BATCH = 64  # texts per embedder call
_SQL_CHUNK = 500  # keys per SELECT


def text_key(text: str) -> bytes:
    return hashlib.sha256(text.encode("utf-8")).digest()


class EmbeddingCache:
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (model TEXT NOT NULL, key BLOB NOT NULL, vector BLOB NOT NULL,"
                " PRIMARY KEY (model, key))"
            )
            self._db.commit()

    def get_many(self, model_id: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        with self._lock:
            for start in range(0, len(keys), _SQL_CHUNK):
                part = keys[start : start + _SQL_CHUNK]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE model = ? AND key IN ({marks})",
                    [model_id, *part],
                )
                for key, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32)
        return found

    def put_many(self, model_id: str, items: dict[bytes, np.ndarray]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO vectors (model, key, vector) VALUES (?, ?, ?)",
                [(model_id, key, np.asarray(v, dtype=np.float32).tobytes()) for key, v in items.items()],
            )
            self._db.commit()

    def embed(self, model_id: str, texts: list[str], compute: Callable[[list[str]], np.ndarray]) -> np.ndarray:
        """Vectors for ``texts``: cached ones read, the others computed in batches and stored."""
        keys = [text_key(text) for text in texts]
        found = self.get_many(model_id, list(dict.fromkeys(keys)))
        missing = list(dict.fromkeys(text for text, key in zip(texts, keys, strict=True) if key not in found))
        for start in range(0, len(missing), BATCH):
            batch = missing[start : start + BATCH]
            fresh = {text_key(t): v for t, v in zip(batch, compute(batch), strict=True)}
            self.put_many(model_id, fresh)
            found.update(fresh)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack([found[key] for key in keys]).astype(np.float32, copy=False)

    def count(self, model_id: str | None = None) -> int:
        with self._lock:
            if model_id is None:
                return int(self._db.execute("SELECT COUNT(*) FROM vectors").fetchone()[0])
            return int(self._db.execute("SELECT COUNT(*) FROM vectors WHERE model = ?", [model_id]).fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()
