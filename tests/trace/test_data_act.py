"""Data Act grants and export bundles on both stores: the bundle holds exactly the granted
equipment's records in the granted range, its checksums are true, the same grant gives the
same bytes (on either store), a revoked or expired grant is refused, the export enters the
audit chain, trade-secret tags are withheld and listed, a grant read never leaves its scope,
and a grant token is stored hashed and dies with its grant."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest

from andon.decisions import AuditLog, ensure_schema
from andon.errors import InputError
from andon.model import Model, load_model
from andon.records import RecordKind, samples, states
from andon.store import Store
from andon.trace.data_act import (
    GRANT_TOKEN_PREFIX,
    TOKENS,
    WITHHELD_REASON,
    GrantError,
    authenticate,
    export_bundle,
    grant,
    grants,
    issue_token,
    read_records,
    revoke,
)

H = 3_600_000_000
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "discrete"


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


# trade secrets, grant reads and tokens --------------------------------------------------------

MILL = "acme/lyon/machining/m1/milling/mill1"
SECRET = f"{MILL}/coolant_pressure"
OPEN = f"{MILL}/spindle_vibration"
LATHE_TAG = "acme/brno/machining/m1/turning/lathe1/spindle_vibration"


@pytest.fixture(scope="module")
def secret_model(tmp_path_factory: pytest.TempPathFactory) -> Model:
    """examples/discrete with the mills' coolant pressure marked as a trade secret."""
    text = (EXAMPLES / "acme.yaml").read_text()
    marked = text.replace(
        "{name: coolant_pressure, ", "{name: coolant_pressure, trade_secret: true, "
    )
    assert marked != text
    folder = tmp_path_factory.mktemp("secret_model")
    (folder / "acme.yaml").write_text(marked)
    return load_model(folder / "acme.yaml")


def _fill_mill(store: Store) -> None:
    ts = [H + i * 60_000_000 for i in range(6)]
    store.write(
        RecordKind.SAMPLE,
        samples(
            ts=[*ts, *ts, 0, 4 * H, H],
            path=[*[OPEN] * 6, *[SECRET] * 6, OPEN, OPEN, LATHE_TAG],
            value=[float(i) for i in range(15)],
        ),
    )


def _mill_grant(store: Store, model: Model, **changes: object) -> str:
    options: dict[str, object] = {
        "recipient": "user-ana",
        "paths": [MILL],
        "kinds": ["sample", "state"],
        "start_us": H,
        "end_us": 3 * H,
        "expires_us": 10 * H,
        "actor": "ana",
        "now_us": H,
    }
    options.update(changes)
    return grant(store, model, **options).grant_id  # type: ignore[arg-type]


def test_trade_secret_tags_are_withheld_from_a_bundle_and_listed_in_its_manifest(
    store: Store, secret_model: Model, tmp_path: Path
) -> None:
    _fill_mill(store)
    grant_id = _mill_grant(store, secret_model)
    manifest = export_bundle(store, secret_model, grant_id, tmp_path, now_us=2 * H)
    table = pq.read_table(tmp_path / "sample.parquet")
    assert set(table.column("path").to_pylist()) == {OPEN}
    assert table.num_rows == 6
    assert "coolant_pressure" not in (tmp_path / "sample.csv").read_text()
    assert manifest["withheld"] == [
        {"kind": "sample", "tag": SECRET, "rows": 6, "reason": WITHHELD_REASON}
    ]
    assert json.loads((tmp_path / "manifest.json").read_text())["withheld"][0]["tag"] == SECRET
    tags = json.loads((tmp_path / "dictionary.json").read_text())["tags"]
    assert {t["path"]: t["trade_secret"] for t in tags}[SECRET] is True
    assert {t["path"]: t["trade_secret"] for t in tags}[OPEN] is False


def test_the_same_grant_gives_the_same_bytes_on_both_stores(
    duckdb_store: Store, postgres_store: Store, secret_model: Model, tmp_path: Path
) -> None:
    manifests = []
    for name, store in (("duckdb", duckdb_store), ("postgres", postgres_store)):
        _fill_mill(store)
        grant_id = _mill_grant(store, secret_model)
        manifests.append(
            export_bundle(store, secret_model, grant_id, tmp_path / name, now_us=2 * H)
        )
    assert manifests[0] == manifests[1]


def test_read_records_pages_exactly_the_grant_with_secrets_withheld(
    store: Store, secret_model: Model
) -> None:
    _fill_mill(store)
    grant_id = _mill_grant(store, secret_model)
    g = grants(store)[grant_id]
    seen: list[float] = []
    after = None
    for _ in range(10):
        page = read_records(store, secret_model, g, RecordKind.SAMPLE, limit=4, after=after)
        assert page.withheld == (SECRET,)
        assert set(page.table.column("path").to_pylist()) <= {OPEN}
        seen.extend(page.table.column("value").to_pylist())
        after = page.next_after
        if after is None:
            break
    assert seen == [0.0, 1.0, 2.0, 3.0, 4.0, 5.0]  # in range, this mill, no secret
    narrow = read_records(
        store, secret_model, g, RecordKind.SAMPLE, path=OPEN, start_us=H + 120_000_000
    )
    assert narrow.table.column("value").to_pylist() == [2.0, 3.0, 4.0, 5.0]
    refused: list[dict[str, Any]] = [
        {"kind": RecordKind.SAMPLE, "path": LATHE_TAG},
        {"kind": RecordKind.SAMPLE, "path": "acme/lyon/machining"},
        {"kind": RecordKind.COUNT},
        {"kind": RecordKind.SAMPLE, "start_us": 0},
        {"kind": RecordKind.SAMPLE, "end_us": 4 * H},
    ]
    for ask in refused:
        kind = ask.pop("kind")
        with pytest.raises(GrantError) as raised:
            read_records(store, secret_model, g, kind, **ask)
        assert raised.value.problems[0].code == "grant.out_of_scope", ask


def test_a_grant_token_is_stored_hashed_and_dies_with_its_grant(
    store: Store, example_model: Model
) -> None:
    grant_id = _mill_grant(store, example_model)
    issued = issue_token(store, grant_id, actor="ana", now_us=H)
    assert issued.secret.startswith(GRANT_TOKEN_PREFIX)
    assert authenticate(store, issued.secret, now_us=2 * H).grant_id == grant_id
    stored = store.read_table(TOKENS.name).to_pylist()
    secret_part = issued.secret.rsplit("_", 1)[1]
    assert [r["token_id"] for r in stored] == [issued.token_id]
    assert all(secret_part not in str(v) for r in stored for v in r.values())
    for bad in (
        issued.secret[:-2] + "xx",
        "andon_grant_nothing",
        issued.secret.replace("grant_", ""),
    ):
        with pytest.raises(GrantError) as raised:
            authenticate(store, bad, now_us=2 * H)
        assert raised.value.problems[0].code == "grant.unknown_token"
    with pytest.raises(GrantError) as raised:
        authenticate(store, issued.secret, now_us=10 * H)
    assert raised.value.problems[0].code == "grant.expired"
    revoke(store, grant_id, actor="ana", now_us=2 * H)
    with pytest.raises(GrantError) as raised:
        authenticate(store, issued.secret, now_us=2 * H)
    assert raised.value.problems[0].code == "grant.revoked"
    with pytest.raises(GrantError):
        issue_token(store, grant_id, actor="ana", now_us=3 * H)


def test_grants_revocations_and_tokens_are_reported_for_the_audit_chain(
    store: Store, example_model: Model
) -> None:
    seen: list[tuple[str, object]] = []

    def record(action: str, data: dict[str, object]) -> None:
        seen.append((action, data["grant_id"]))

    grant_id = _mill_grant(store, example_model, record=record)
    issue_token(store, grant_id, actor="ana", now_us=H, record=record)
    revoke(store, grant_id, actor="ana", now_us=2 * H, record=record)
    assert seen == [
        ("data_act.granted", grant_id),
        ("data_act.token_issued", grant_id),
        ("data_act.revoked", grant_id),
    ]


def test_the_same_grant_twice_at_once_is_refused(store: Store, example_model: Model) -> None:
    _mill_grant(store, example_model)
    with pytest.raises(GrantError) as raised:
        _mill_grant(store, example_model)
    assert raised.value.problems[0].code == "grant.duplicate"
    assert len(grants(store)) == 1
