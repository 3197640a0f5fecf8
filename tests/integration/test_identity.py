"""azure-identity's real code paths against token endpoints served on 127.0.0.1.

Managed identity goes through App Service's local endpoint (``IDENTITY_ENDPOINT`` +
``IDENTITY_HEADER``, plain http like the real one); the service principal and workload identity
go to a local Entra authority over TLS (azure-identity refuses non-https authorities), with a
throwaway CA trusted through ``REQUESTS_CA_BUNDLE``. The server counts token requests, so the
tests see what azoai's cache really sends. Tokens live 200 s unless a test says otherwise: under
5 minutes MSAL does not cache them, so every request the server counts came from our cache's
decisions.
"""

from __future__ import annotations

import asyncio
import base64
import datetime
import ipaddress
import json
import pickle
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from shared_core.connection.auth import (
    BearerTokenCredential,
    TokenAcquisitionError,
    resolve_credential,
)

PUBLIC = "https://cognitiveservices.azure.com/.default"
USGOV = "https://cognitiveservices.azure.us/.default"
CHINA = "https://cognitiveservices.azure.cn/.default"
TENANT = "tenant-1"
WAIT = 10.0  # upper bound for every cross-thread wait; never reached when things work


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


class TokenServer:
    """A threaded token endpoint on 127.0.0.1: App Service MSI + an Entra authority (OIDC + token)."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.lifetime = 200
        self.requests: list[dict[str, Any]] = []
        self.lock = threading.Lock()
        self.gate: threading.Event | None = None  # when set, token requests wait for it
        self.first_arrived = threading.Event()
        self.error: tuple[int, dict[str, Any]] | None = None
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path.endswith("/.well-known/openid-configuration"):
                    tenant = url.path.split("/")[1]
                    base = f"{server.base}/{tenant}"
                    self._send(
                        200,
                        {
                            "token_endpoint": f"{base}/oauth2/v2.0/token",
                            "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                            "issuer": f"{base}/v2.0",
                        },
                    )
                    return
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                record = {
                    "kind": "msi",
                    "path": url.path,
                    "query": query,
                    "identity_header": self.headers.get("X-IDENTITY-HEADER"),
                }
                self._token(record, audience=query.get("resource", ""), style="msi")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
                record = {"kind": "entra", "path": urlparse(self.path).path, "form": form}
                self._token(record, audience=form.get("scope", "").removesuffix("/.default"), style="oauth")

            def _token(self, record: dict[str, Any], *, audience: str, style: str) -> None:
                with server.lock:
                    server.requests.append(record)
                    serial = len(server.requests)
                server.first_arrived.set()
                if server.gate is not None:
                    server.gate.wait(WAIT)
                if server.error is not None:
                    self._send(*server.error)
                    return
                exp = int(time.time()) + server.lifetime
                token = ".".join(
                    (
                        _b64({"alg": "none"}),
                        _b64(
                            {
                                "aud": audience,
                                "tid": TENANT,
                                "oid": "object-1",
                                "appid": "app-1",
                                "exp": exp,
                                "n": serial,
                                "upn": "someone@example.com",
                            }
                        ),
                        "sig",
                    )
                )
                if style == "msi":
                    self._send(
                        200,
                        {"access_token": token, "expires_on": str(exp), "resource": audience, "token_type": "Bearer"},
                    )
                else:
                    self._send(200, {"access_token": token, "expires_in": server.lifetime, "token_type": "Bearer"})

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.base = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    def token_requests(self) -> list[dict[str, Any]]:
        with self.lock:
            return list(self.requests)

    def close(self) -> None:
        if self.gate is not None:
            self.gate.set()
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """A throwaway CA and a leaf certificate for 127.0.0.1 signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "azoai test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    ca_file, cert_file, key_file = folder / "ca.pem", folder / "leaf.pem", folder / "leaf.key"
    ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return ca_file, cert_file, key_file


_IDENTITY_ENV = (
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_CLIENT_ID",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "http_proxy",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
)


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tls_files: tuple[Path, Path, Path]) -> pytest.MonkeyPatch:
    for var in _IDENTITY_ENV:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_files[0]))
    return monkeypatch


@pytest.fixture
def msi(clean_env: pytest.MonkeyPatch) -> Iterator[TokenServer]:
    """An App Service managed identity endpoint (plain http on loopback, as App Service has it)."""
    server = TokenServer()
    clean_env.setenv("IDENTITY_ENDPOINT", f"{server.base}/msi/token")
    clean_env.setenv("IDENTITY_HEADER", "header-secret")
    yield server
    server.close()


@pytest.fixture
def authority(clean_env: pytest.MonkeyPatch, tls_files: tuple[Path, Path, Path]) -> Iterator[TokenServer]:
    """A local Entra authority over TLS."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(str(tls_files[1]), str(tls_files[2]))
    server = TokenServer(tls=ctx)
    yield server
    server.close()


class Clock:
    """Real time plus an offset the test moves (azure-identity keeps using real time)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


def _managed(scope: str = PUBLIC, **kw: Any) -> BearerTokenCredential:
    cred = resolve_credential(azure_auth_mode="managed", scope=scope, env={}, **kw)
    assert isinstance(cred, BearerTokenCredential)
    return cred


def _claims_of(headers: dict[str, str]) -> dict[str, Any]:
    payload = headers["Authorization"].removeprefix("Bearer ").split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


# ---------------------------------------------------------------------------------------------
# managed identity (App Service endpoint)


def test_managed_identity_requests_the_resource_and_caches(msi: TokenServer) -> None:
    cred = _managed()
    first = cred.headers()
    for _ in range(50):
        assert cred.headers() == first
    reqs = msi.token_requests()
    assert len(reqs) == 1
    assert reqs[0]["query"]["resource"] == "https://cognitiveservices.azure.com"
    assert reqs[0]["query"]["api-version"] == "2019-08-01"
    assert reqs[0]["identity_header"] == "header-secret"
    assert cred.describe() == "an Entra ID token from ManagedIdentityCredential (system-assigned)"
    claims = cred.last_token_claims()
    assert claims is not None
    assert claims["aud"] == "https://cognitiveservices.azure.com" and claims["tid"] == TENANT
    assert "upn" not in claims  # diagnosis keeps identifiers of the app, not of people


def test_managed_identity_user_assigned_sends_client_id(msi: TokenServer) -> None:
    cred = _managed(client_id="mi-client-7")
    cred.headers()
    assert msi.token_requests()[0]["query"]["client_id"] == "mi-client-7"
    assert "client id mi-client-7" in cred.describe()


@pytest.mark.parametrize(
    ("scope", "resource"),
    [
        (USGOV, "https://cognitiveservices.azure.us"),
        (CHINA, "https://cognitiveservices.azure.cn"),
    ],
)
def test_managed_identity_asks_for_the_clouds_scope(msi: TokenServer, scope: str, resource: str) -> None:
    headers = _managed(scope).headers()
    assert msi.token_requests()[0]["query"]["resource"] == resource
    assert _claims_of(headers)["aud"] == resource


def test_refresh_ahead_of_expiry_at_half_life_for_short_tokens(msi: TokenServer) -> None:
    cred = _managed()
    cred.clock = clock = Clock()
    first = cred.headers()
    clock.offset = 90  # 200 s token: refresh from 100 s on
    assert cred.headers() == first
    assert len(msi.token_requests()) == 1
    clock.offset = 110
    second = cred.headers()
    assert second != first
    assert len(msi.token_requests()) == 2
    assert cred.headers() == second


def test_invalidate_refetches_even_though_msal_caches_long_tokens(msi: TokenServer) -> None:
    msi.lifetime = 3600  # long enough for MSAL's own cache to keep it
    cred = _managed()
    first = cred.headers()
    assert cred.headers() == first
    assert len(msi.token_requests()) == 1
    cred.invalidate()
    second = cred.headers()
    assert len(msi.token_requests()) == 2
    assert second != first
    # a 401 for the old token arriving late changes nothing
    cred.invalidate(rejected_token=first["Authorization"])
    assert cred.headers() == second
    assert len(msi.token_requests()) == 2


def test_twenty_threads_make_one_token_request(msi: TokenServer) -> None:
    cred = _managed()
    msi.gate = threading.Event()
    barrier = threading.Barrier(21)
    results: list[dict[str, str]] = []
    errors: list[BaseException] = []

    def call() -> None:
        barrier.wait(WAIT)
        try:
            results.append(cred.headers())
        except BaseException as exc:  # noqa: BLE001 - reported by the assert below
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(20)]
    for t in threads:
        t.start()
    barrier.wait(WAIT)
    assert msi.first_arrived.wait(WAIT)
    msi.gate.set()
    for t in threads:
        t.join(WAIT)
    assert not errors
    assert len(results) == 20 and all(r == results[0] for r in results)
    assert len(msi.token_requests()) == 1


async def test_twenty_tasks_make_one_token_request(msi: TokenServer) -> None:
    cred = _managed()
    msi.gate = threading.Event()
    tasks = [asyncio.ensure_future(cred.aheaders()) for _ in range(20)]
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, msi.first_arrived.wait, WAIT)
    msi.gate.set()
    results = await asyncio.wait_for(asyncio.gather(*tasks), WAIT)
    assert all(r == results[0] for r in results)
    assert len(msi.token_requests()) == 1


async def test_tasks_on_two_loops_and_threads_share_one_request(msi: TokenServer) -> None:
    cred = _managed()
    msi.gate = threading.Event()
    elsewhere: list[dict[str, str]] = []

    def other_loop() -> None:
        async def many() -> list[dict[str, str]]:
            return list(await asyncio.gather(*(cred.aheaders() for _ in range(5))))

        elsewhere.extend(asyncio.run(many()))

    def plain_thread() -> None:
        elsewhere.append(cred.headers())

    threads = [threading.Thread(target=other_loop), *(threading.Thread(target=plain_thread) for _ in range(5))]
    mine = asyncio.ensure_future(asyncio.gather(*(cred.aheaders() for _ in range(5))))
    for t in threads:
        t.start()
    loop = asyncio.get_running_loop()
    assert await loop.run_in_executor(None, msi.first_arrived.wait, WAIT)
    msi.gate.set()
    results = await asyncio.wait_for(mine, WAIT)
    for t in threads:
        await loop.run_in_executor(None, t.join, WAIT)
    assert len(elsewhere) == 10
    assert all(r == results[0] for r in [*results, *elsewhere])
    assert len(msi.token_requests()) == 1


def test_pickled_named_credential_rebuilds_and_fetches(msi: TokenServer) -> None:
    cred = _managed(client_id="mi-client-7")
    cred.headers()
    blob = pickle.dumps(cred)
    assert b"eyJ" not in blob  # no cached token travels
    clone = pickle.loads(blob)
    clone.headers()
    reqs = msi.token_requests()
    assert len(reqs) == 2 and reqs[1]["query"]["client_id"] == "mi-client-7"


def test_default_azure_credential_reaches_managed_identity(msi: TokenServer) -> None:
    cred = resolve_credential(azure_auth_mode="default", scope=PUBLIC, env={})
    cred.headers()
    cred.headers()
    assert len(msi.token_requests()) == 1
    assert cred.describe() == "an Entra ID token from DefaultAzureCredential"


def test_managed_identity_failure_is_a_typed_error(msi: TokenServer) -> None:
    msi.error = (400, {"statusCode": 400, "message": "No managed identity assigned to this app"})
    cred = _managed()
    with pytest.raises(TokenAcquisitionError) as info:
        cred.headers()
    msg = str(info.value)
    assert msg.startswith(
        f"An Entra ID token from ManagedIdentityCredential (system-assigned) could not be obtained for scope {PUBLIC}"
    )
    assert "No managed identity assigned to this app" in msg
    assert "managed identity is enabled on this host" in msg


# ---------------------------------------------------------------------------------------------
# service principal (client secret) against a local authority over TLS


def _entra_env(server: TokenServer, **extra: str) -> dict[str, str]:
    return {
        "AZURE_AUTHORITY_HOST": server.base,
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": "sp-client",
        "AZURE_CLIENT_SECRET": "sp-secret",
        **extra,
    }


@pytest.mark.parametrize("mode", ["entra", "service_principal"])
def test_service_principal_posts_client_credentials(authority: TokenServer, mode: str) -> None:
    cred = resolve_credential(azure_auth_mode=mode, scope=PUBLIC, env=_entra_env(authority))
    first = cred.headers()
    assert cred.headers() == first
    reqs = authority.token_requests()
    assert len(reqs) == 1
    assert reqs[0]["path"] == f"/{TENANT}/oauth2/v2.0/token"
    form = reqs[0]["form"]
    assert form["grant_type"] == "client_credentials"
    assert form["client_id"] == "sp-client" and form["client_secret"] == "sp-secret"
    assert form["scope"] == PUBLIC
    assert "sp-secret" not in repr(cred) and "sp-secret" not in cred.describe()


def test_service_principal_arguments_win_and_scope_follows_cloud(authority: TokenServer) -> None:
    cred = resolve_credential(
        azure_auth_mode="entra",
        tenant_id="tenant-2",
        client_id="arg-client",
        client_secret="arg-secret",
        scope=CHINA,
        env=_entra_env(authority),
    )
    cred.headers()
    req = authority.token_requests()[0]
    assert req["path"] == "/tenant-2/oauth2/v2.0/token"
    assert req["form"]["scope"] == CHINA
    assert req["form"]["client_id"] == "arg-client" and req["form"]["client_secret"] == "arg-secret"


def test_service_principal_refused_secret_is_a_typed_error(authority: TokenServer) -> None:
    authority.error = (
        401,
        {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."},
    )
    cred = resolve_credential(azure_auth_mode="entra", scope=PUBLIC, env=_entra_env(authority))
    with pytest.raises(TokenAcquisitionError) as info:
        cred.headers()
    msg = str(info.value)
    assert "ClientSecretCredential (tenant tenant-1, client id sp-client" in msg
    assert "AADSTS7000215" in msg and "AZURE_CLIENT_SECRET" in msg
    assert "sp-secret" not in msg


async def test_service_principal_async_one_request_and_invalidate(authority: TokenServer) -> None:
    cred = resolve_credential(azure_auth_mode="entra", scope=USGOV, env=_entra_env(authority))
    results = await asyncio.gather(*(cred.aheaders() for _ in range(20)))
    assert all(r == results[0] for r in results)
    assert len(authority.token_requests()) == 1
    cred.invalidate()
    fresh = await cred.aheaders()
    assert fresh != results[0]
    reqs = authority.token_requests()
    assert len(reqs) == 2 and all(r["form"]["scope"] == USGOV for r in reqs)


# ---------------------------------------------------------------------------------------------
# workload identity (federated token file)


def _workload_env(server: TokenServer, token_file: Path) -> dict[str, str]:
    return {
        "AZURE_AUTHORITY_HOST": server.base,
        "AZURE_TENANT_ID": TENANT,
        "AZURE_CLIENT_ID": "wi-client",
        "AZURE_FEDERATED_TOKEN_FILE": str(token_file),
    }


def test_workload_identity_exchanges_the_federated_token(authority: TokenServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("federated-1")
    cred = resolve_credential(azure_auth_mode="workload", scope=PUBLIC, env=_workload_env(authority, token_file))
    cred.headers()
    cred.headers()
    reqs = authority.token_requests()
    assert len(reqs) == 1
    form = reqs[0]["form"]
    assert reqs[0]["path"] == f"/{TENANT}/oauth2/v2.0/token"
    assert form["client_assertion"] == "federated-1"
    assert form["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    assert form["client_id"] == "wi-client" and form["scope"] == PUBLIC
    # Kubernetes rotates the file: the next exchange reads it again.
    token_file.write_text("federated-2")
    cred.invalidate()
    cred.headers()
    assert authority.token_requests()[1]["form"]["client_assertion"] == "federated-2"


def test_workload_identity_is_detected_when_nothing_else_is_given(authority: TokenServer, tmp_path: Path) -> None:
    token_file = tmp_path / "token"
    token_file.write_text("federated-1")
    cred = resolve_credential(scope=USGOV, env=_workload_env(authority, token_file))
    assert cred.describe().startswith(
        "an Entra ID token from WorkloadIdentityCredential (tenant tenant-1, client id wi-client"
    )
    cred.headers()
    assert authority.token_requests()[0]["form"]["scope"] == USGOV
