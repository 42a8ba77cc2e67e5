"""Persisting the store to --state-file, so a restarted kubesim keeps its objects."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from .store import Store


def load_state(store: Store, path: Path) -> bool:
    """Restore the store from a state file; return False when there is none yet."""
    if not path.exists():
        return False
    with path.open(encoding="utf-8") as stream:
        store.restore(json.load(stream))
    return True


def save_state(store: Store, path: Path) -> None:
    """Write the store atomically (temporary file, then rename)."""
    snapshot = store.snapshot()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".kubesim-state-", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(snapshot, stream)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        os.unlink(temporary)
        raise
