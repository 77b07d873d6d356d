"""Data Act grants and export bundles on both stores: the bundle holds exactly the granted
equipment's records in the granted range, its checksums are true, the same grant gives the
same bytes, a revoked or expired grant is refused, and the export enters the audit chain."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from andon.decisions import AuditLog, ensure_schema
from andon.errors import InputError
from andon.model import Model
from andon.records import RecordKind, samples, states
from andon.store import Store
from andon.trace.data_act import GrantError, export_bundle, grant, grants, revoke

H = 3_600_000_000


def _equipment(model: Model) -> tuple[str, str]:
    with_tags = sorted({t.equipment_path for t in model.tags.values()})
    return with_tags[0], with_tags[-1]


def _fill(store: Store, model: Model) -> tuple[str, str]:
    mine, other = _equipment(model)
    tag = next(t.path for t in model.tags.values() if t.equipment_path == mine)
    elsewhere = next(t.path for t in model.tags.values() if t.equipment_path == other)
    store.write(
        RecordKind.SAMPLE,
        samples(ts=[0, H, 2 * H, 3 * H], path=[tag, tag, tag, elsewhere], value=[1.0, 2, 3, 4]),
    )
    store.write(RecordKind.STATE, states(ts=[H], path=mine, state="running"))
    return mine, other


def _grant(store: Store, model: Model, path: str, *, expires_us: int = 10 * H) -> str:
    return grant(
        store,
        model,
        recipient="user-ana",
        paths=[path],
        kinds=["sample", "state"],
        start_us=H,
        end_us=3 * H,
        expires_us=expires_us,
        actor="ana",
        now_us=H,
    ).grant_id


def test_a_bundle_holds_the_granted_records_with_true_checksums(
    store: Store, example_model: Model, tmp_path: Path
) -> None:
    mine, _other = _fill(store, example_model)
    grant_id = _grant(store, example_model, mine)
    manifest = export_bundle(store, example_model, grant_id, tmp_path / "a", now_us=2 * H)
    table = pq.read_table(tmp_path / "a" / "sample.parquet")
    assert table.column("value").to_pylist() == [2.0, 3.0]  # in range, this equipment only
    assert pacsv.read_csv(tmp_path / "a" / "sample.csv").num_rows == 2
    assert pq.read_table(tmp_path / "a" / "state.parquet").num_rows == 1
    for item in manifest["files"]:
        data = (tmp_path / "a" / item["name"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == item["sha256"]
    names = {f["name"] for f in manifest["files"]}
    assert {"metadata.json", "dictionary.json", "sample.parquet", "state.csv"} <= names
    metadata = json.loads((tmp_path / "a" / "metadata.json").read_text())
    assert metadata["kinds"]["sample"]["rows"] == 2
    dictionary = json.loads((tmp_path / "a" / "dictionary.json").read_text())
    assert dictionary["tags"]
    assert all(t["equipment"] == mine for t in dictionary["tags"])
    again = export_bundle(store, example_model, grant_id, tmp_path / "b", now_us=2 * H)
    assert again == manifest  # reproducible, byte for byte


def test_revoked_and_expired_grants_are_refused(
    store: Store, example_model: Model, tmp_path: Path
) -> None:
    mine, _other = _fill(store, example_model)
    revoked = _grant(store, example_model, mine)
    revoke(store, revoked, actor="ana", now_us=2 * H)
    assert grants(store)[revoked].revoked_at_us == 2 * H
    with pytest.raises(GrantError) as raised:
        export_bundle(store, example_model, revoked, tmp_path, now_us=3 * H)
    assert raised.value.problems[0].code == "grant.revoked"
    expired = _grant(store, example_model, mine, expires_us=2 * H)
    with pytest.raises(GrantError) as raised:
        export_bundle(store, example_model, expired, tmp_path, now_us=3 * H)
    assert raised.value.problems[0].code == "grant.expired"
    with pytest.raises(GrantError):
        export_bundle(store, example_model, "G-nothing", tmp_path, now_us=H)


def test_a_bad_grant_reports_every_problem(store: Store, example_model: Model) -> None:
    with pytest.raises(InputError) as raised:
        grant(
            store,
            example_model,
            recipient="x",
            paths=["acme/nowhere/press9"],
            kinds=["genealogy", "sample"],
            start_us=2 * H,
            end_us=H,
            expires_us=3 * H,
            actor="x",
            now_us=0,
        )
    codes = sorted(p.code for p in raised.value.problems)
    assert codes == ["grant.range", "grant.unknown_kind", "grant.unknown_path"]


def test_an_export_enters_the_audit_chain(
    store: Store, example_model: Model, tmp_path: Path
) -> None:
    ensure_schema(store)
    mine, _other = _fill(store, example_model)
    grant_id = _grant(store, example_model, mine)
    audit = AuditLog(store=store)

    def record(action: str, data: dict[str, object]) -> None:
        with store.transaction():
            audit.append(
                actor="ana", action=action, entity="data_act_grant", entity_id=grant_id, data=data
            )

    export_bundle(store, example_model, grant_id, tmp_path, now_us=2 * H, record=record)
    entries = [e for e in audit.entries() if e.action == "data_act.export"]
    assert [e.entity_id for e in entries] == [grant_id]
    assert audit.verify().ok
