"""MQTT over TLS with a user name and password, against a Mosquitto of the test's own.

The test makes a CA and a server certificate for 127.0.0.1 (``cryptography``), a password
file (``mosquitto_passwd``) and starts ``mosquitto`` on a free loopback port that accepts
only TLS clients with a password. andon's MQTT source must verify the broker against the CA,
log in and deliver records; a wrong password and an unknown CA must not get through. Skipped
with the reason when the ``mosquitto`` binaries are absent; failed instead under
``ANDON_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as paho
import pytest
from connect_helpers import wait_for
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from paho.mqtt.enums import CallbackAPIVersion

from andon.connect.decoded import Batch
from andon.connect.metrics import Metrics
from andon.connect.mqtt import MqttSettings, MqttSource
from andon.connect.uns import UnsDecoder
from andon.records import RecordKind

pytestmark = [pytest.mark.services]

TOPIC = "tls/acme/lyon/machining/m1/milling/mill1/sample/spindle_temperature"
USER = "edge-lyon"
PASSWORD = "s3cret-for-tests"


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _write_pem(path: Path, item: x509.Certificate | ec.EllipticCurvePrivateKey) -> Path:
    if isinstance(item, x509.Certificate):
        path.write_bytes(item.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            item.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    return path


def _ca(
    folder: Path, common_name: str
) -> tuple[Path, x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _write_pem(folder / f"{common_name}.pem", cert), cert, key


@dataclass(frozen=True)
class Broker:
    """A running private broker: its TLS URL and the CA that signed its certificate."""

    url: str
    ca_file: Path
    folder: Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _binaries() -> tuple[str, str]:
    found = shutil.which("mosquitto"), shutil.which("mosquitto_passwd")
    if found[0] is None or found[1] is None:
        reason = "needs the mosquitto and mosquitto_passwd binaries to run a TLS broker"
        if os.environ.get("ANDON_REQUIRE_SERVICES") == "1":
            pytest.fail(f"ANDON_REQUIRE_SERVICES=1 but the test {reason}")
        pytest.skip(reason)
    return found[0], found[1]


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[Broker]:
    mosquitto, mosquitto_passwd = _binaries()
    ca_file, ca_cert, ca_key = _ca(tmp_path, "andon-test-ca")
    server_key = _key()
    now = dt.datetime.now(dt.UTC)
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    cert_file = _write_pem(tmp_path / "server.pem", server_cert)
    key_file = _write_pem(tmp_path / "server.key", server_key)
    passwords = tmp_path / "passwords"
    subprocess.run(
        [mosquitto_passwd, "-c", "-b", str(passwords), USER, PASSWORD],
        check=True,
        capture_output=True,
    )
    port = _free_port()
    conf = tmp_path / "mosquitto.conf"
    # "user root": as root Mosquitto would switch to its own user, which cannot read the
    # test's files; as any other user the line is ignored.
    conf.write_text(
        f"user root\nlistener {port} 127.0.0.1\ncafile {ca_file}\ncertfile {cert_file}\n"
        f"keyfile {key_file}\ntls_version tlsv1.2\nallow_anonymous false\n"
        f"password_file {passwords}\npersistence false\n"
    )
    log = (tmp_path / "mosquitto.log").open("wb")
    process = subprocess.Popen([mosquitto, "-c", str(conf)], stdout=log, stderr=log)
    try:
        assert wait_for(lambda: _answers(port), 10), (tmp_path / "mosquitto.log").read_text()
        yield Broker(f"mqtts://127.0.0.1:{port}", ca_file, tmp_path)
    finally:
        process.terminate()
        process.wait(10)
        log.close()


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def _source(broker: Broker, *, password: str, ca_file: Path) -> tuple[MqttSource, list[Batch]]:
    kept: list[Batch] = []
    source = MqttSource(
        settings=MqttSettings(
            url=broker.url,
            client_id=f"tls-{time.monotonic_ns()}",
            username=USER,
            password=password,
            ca_file=str(ca_file),
            reconnect_max_s=2,
        ),
        topics=["tls/#"],
        decode=UnsDecoder(source="tls", prefix="tls/").decode,
        handler=kept.append,
        metrics=Metrics(),
    )
    return source, kept


def _publish(broker: Broker, payloads: list[bytes]) -> None:
    port = int(broker.url.rsplit(":", 1)[1])
    client = paho.Client(callback_api_version=CallbackAPIVersion.VERSION2)
    client.tls_set(ca_certs=str(broker.ca_file), cert_reqs=ssl.CERT_REQUIRED)
    client.username_pw_set(USER, PASSWORD)
    client.connect("127.0.0.1", port)
    client.loop_start()
    try:
        for payload in payloads:
            client.publish(TOPIC, payload, qos=1).wait_for_publish(10)
    finally:
        client.loop_stop()
        client.disconnect()


def test_tls_with_password_delivers_records(tls_broker: Broker) -> None:
    source, kept = _source(tls_broker, password=PASSWORD, ca_file=tls_broker.ca_file)
    source.start(wait_s=None)
    try:
        assert source.wait_connected(15), (tls_broker.folder / "mosquitto.log").read_text()
        now_ms = int(time.time() * 1000)
        _publish(
            tls_broker,
            [f'{{"ts": [{now_ms + i}], "value": [{40 + i}.5]}}'.encode() for i in range(5)],
        )

        def rows() -> int:
            return sum(b.tables[RecordKind.SAMPLE].num_rows for b in kept if b.tables)

        assert wait_for(lambda: rows() == 5, 20)
    finally:
        source.stop()
    values = [v for b in kept for v in b.tables[RecordKind.SAMPLE].column("value").to_pylist()]
    assert sorted(values) == [40.5, 41.5, 42.5, 43.5, 44.5]
    assert source.metrics.snapshot().get("connects", 0) >= 1


def test_a_wrong_password_is_refused(tls_broker: Broker) -> None:
    source, kept = _source(tls_broker, password="not-the-password", ca_file=tls_broker.ca_file)
    source.start(wait_s=None)
    try:
        assert wait_for(lambda: source.metrics.snapshot().get("connect_refused", 0) >= 1, 15)
        assert not source.wait_connected(0.5)
    finally:
        source.stop()
    assert not kept


def test_a_broker_signed_by_an_unknown_ca_is_not_trusted(tls_broker: Broker) -> None:
    other_ca, _, _ = _ca(tls_broker.folder, "some-other-ca")
    source, kept = _source(tls_broker, password=PASSWORD, ca_file=other_ca)
    source.start(wait_s=None)
    try:
        assert not source.wait_connected(4)  # the TLS handshake fails: verification is on
    finally:
        source.stop()
    assert not kept
    assert source.metrics.snapshot().get("connects", 0) == 0
