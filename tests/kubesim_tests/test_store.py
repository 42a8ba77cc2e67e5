"""The object store: resourceVersion per write and the watch log."""

from __future__ import annotations

from kubesim.store import Store

KEY = ("", "configmaps")


def _config_map(name: str, value: str) -> dict:
    return {"metadata": {"name": name, "namespace": "default"}, "data": {"a": value}}


def test_every_write_gets_next_version() -> None:
    store = Store()
    first = store.put(KEY, _config_map("a", "1"), created=True)
    second = store.put(KEY, _config_map("a", "2"), created=False)
    assert int(second["metadata"]["resourceVersion"]) == int(first["metadata"]["resourceVersion"]) + 1


def test_log_keeps_each_version() -> None:
    store = Store()
    store.put(KEY, _config_map("a", "1"), created=True)
    store.put(KEY, _config_map("a", "2"), created=False)
    store.remove(KEY, "default", "a")
    events = store.events_after(0)
    assert [event.type for event in events] == ["ADDED", "MODIFIED", "DELETED"]
    for event in events:
        assert event.object["metadata"]["resourceVersion"] == str(event.resource_version)


def test_returned_copies_are_independent() -> None:
    store = Store()
    stored = store.put(KEY, _config_map("a", "1"), created=True)
    stored["data"]["a"] = "changed"
    assert store.get(KEY, "default", "a")["data"]["a"] == "1"


def test_snapshot_restores_objects() -> None:
    store = Store()
    store.put(KEY, _config_map("a", "1"), created=True)
    restored = Store()
    restored.restore(store.snapshot())
    assert restored.get(KEY, "default", "a")["data"] == {"a": "1"}
    assert restored.revision == store.revision
