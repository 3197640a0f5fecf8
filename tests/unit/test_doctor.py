"""``azoai doctor``: what it prints (never a secret), exit codes, the ping and its diagnosis."""

from __future__ import annotations

import io
import re

import httpx
import pytest

from azoai_app.doctor import _parser, cli_spelling, main

ENV = {
    "AZURE_OPENAI_ENDPOINT": "https://res.openai.azure.com",
    "AZURE_OPENAI_API_KEY": "sekrit-key",
    "AZURE_OPENAI_DEPLOYMENT": "chat",
}


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in ("AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "AZURE_OPENAI_AD_TOKEN"):
        monkeypatch.delenv(k, raising=False)
    for k, v in ENV.items():
        monkeypatch.setenv(k, v)


def run(*argv: str, http: httpx.Client | None = None) -> tuple[int, str]:
    out = io.StringIO()
    return main(list(argv), out=out, http_client=http), out.getvalue()


def test_prints_resolution_without_secrets(env: None) -> None:
    code, text = run()
    assert code == 0
    assert (
        "chat call     : POST https://res.openai.azure.com/openai/deployments/chat/chat/completions?api-version=2024-10-21"
        in text
    )
    assert "endpoint kind : dated" in text and "auth          : api_key" in text
    assert "sekrit-key" not in text


def test_configuration_error_exit_2(env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text = run("--api-version", "2024-13-99")
    # CLI users are told the flag, not the keyword argument (issue 9 §3)
    assert code == 2 and "setting: --api-version" in text
    assert "configuration problem: --api-version 2024-13-99 is not an Azure OpenAI api-version" in text


def test_ping_ok_and_failure_diagnosis(env: None) -> None:
    ok = {
        "id": "c",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o-2024-08-06",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}, "finish_reason": "length"}],
    }
    http = httpx.Client(
        transport=httpx.MockTransport(
            lambda r: httpx.Response(
                200,
                json=ok,
                headers={"x-ms-region": "East US", "apim-request-id": "a1", "x-ratelimit-remaining-tokens": "99"},
            )
        )
    )
    code, text = run("--ping", http=http)
    assert code == 0 and "ping          : OK" in text and "East US" in text and "remaining-tokens=99" in text
    body = {"error": {"code": "DeploymentNotFound", "message": "The API deployment for this resource does not exist."}}
    http = httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(404, json=body)))
    code, text = run("--ping", http=http)
    assert code == 1 and "FAILED (DeploymentNotFoundError)" in text and "not model name" in text
    assert "sekrit-key" not in text


CLEAN = ("AZURE_OPENAI_ENDPOINT", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_DEPLOYMENT",
         "AZURE_OPENAI_API_VERSION", "OPENAI_API_VERSION", "OPENAI_API_KEY", "AZURE_TENANT_ID", "AZURE_CLIENT_ID",
         "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE")  # fmt: skip
OK = {
    "id": "c",
    "object": "chat.completion",
    "created": 1,
    "model": "gpt-4o-2024-08-06",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "p"}, "finish_reason": "length"}],
}


@pytest.fixture
def no_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for k in CLEAN:
        monkeypatch.delenv(k, raising=False)


def _recording() -> tuple[httpx.Client, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, json=OK, headers={"x-ms-region": "East US"})

    return httpx.Client(transport=httpx.MockTransport(answer)), sent


def test_every_setting_is_a_flag_and_the_ping_uses_them(no_env: None) -> None:
    http, sent = _recording()
    code, text = run("--endpoint", "https://res.openai.azure.com", "--deployment", "prod-4o",
                     "--api-version", "2025-04-01-preview", "--api-key", "flag-key-123", "--ping", http=http)  # fmt: skip
    assert code == 0, text
    assert ("chat call     : POST https://res.openai.azure.com/openai/deployments/prod-4o/chat/completions"
            "?api-version=2025-04-01-preview") in text  # fmt: skip
    assert [str(r.url) for r in sent] == [
        "https://res.openai.azure.com/openai/deployments/prod-4o/chat/completions?api-version=2025-04-01-preview"
    ]
    assert sent[0].headers["api-key"] == "flag-key-123" and "authorization" not in sent[0].headers
    assert "flag-key-123" not in text


def test_azure_ad_token_flag_is_sent_as_bearer_and_never_printed(no_env: None) -> None:
    http, sent = _recording()
    code, text = run("--endpoint", "https://res.openai.azure.com", "--deployment", "chat",
                     "--azure-ad-token", "tok-abc.def", "--ping", http=http)  # fmt: skip
    assert code == 0, text
    assert "auth          : token: a static Entra ID token" in text
    assert sent[0].headers["authorization"] == "Bearer tok-abc.def" and "api-key" not in sent[0].headers
    assert "tok-abc.def" not in text


def test_service_principal_flags(no_env: None) -> None:
    code, text = run("--endpoint", "https://res.openai.azure.com", "--deployment", "chat", "--auth-mode", "entra",
                     "--tenant-id", "t-1", "--client-id", "c-2", "--client-secret", "s3cr3t-value")  # fmt: skip
    assert code == 0, text
    assert "auth          : token: an Entra ID token from ClientSecretCredential (tenant t-1, client id c-2)" in text
    assert "s3cr3t-value" not in text


def test_hints_name_the_flags_not_python_keywords(no_env: None) -> None:
    code, text = run("--deployment", "chat")
    assert code == 2
    assert (
        "configuration problem: no Azure OpenAI endpoint: pass --endpoint https://<resource>.openai.azure.com/"
        " (or --resource-name or --base-url for a gateway) or set AZURE_OPENAI_ENDPOINT" in text
    )
    assert "setting: --endpoint" in text
    code, text = run("--endpoint", "https://res.openai.azure.com", "--deployment", "chat", "--auth-mode", "entra")
    assert code == 2
    assert "pass --tenant-id;" in text and "pass --client-id;" in text and "pass --client-secret" in text
    assert "setting: --tenant-id" in text
    assert not re.search(r"\b(azure_endpoint|tenant_id|client_id|client_secret|azure_auth_mode|api_version)=", text)


def test_a_secret_is_not_echoed_even_when_a_message_would_quote_it(no_env: None) -> None:
    code, text = run("--endpoint", "http://sekrit-host.example.com", "--deployment", "chat",
                     "--api-key", "sekrit-host")  # fmt: skip
    assert code == 2 and "plain http" in text
    assert "sekrit-host" not in text and "http://***.example.com" in text


def test_a_secret_given_as_dash_is_read_from_stdin(no_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("key-from-stdin\n"))
    http, sent = _recording()
    code, text = run("--endpoint", "https://res.openai.azure.com", "--deployment", "chat", "--api-key", "-",
                     "--ping", http=http)  # fmt: skip
    assert code == 0, text
    assert sent[0].headers["api-key"] == "key-from-stdin" and "key-from-stdin" not in text


def test_help_lists_the_credential_flags(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    for flag in ("--endpoint", "--deployment", "--api-version", "--api-key", "--azure-ad-token", "--auth-mode",
                 "--tenant-id", "--client-id", "--client-secret", "--base-url", "--resource-name"):  # fmt: skip
        assert flag in text, flag


@pytest.mark.parametrize(
    ("argv", "unset", "setting", "fix"),
    [
        (
            (),
            "AZURE_OPENAI_DEPLOYMENT",
            "--deployment",
            "pass --deployment <deployment name> or set AZURE_OPENAI_DEPLOYMENT",
        ),
        (
            (),
            "AZURE_OPENAI_ENDPOINT",
            "--endpoint",
            "pass --endpoint https://<resource>.openai.azure.com/ (or --resource-name or --base-url for a gateway) "
            "or set AZURE_OPENAI_ENDPOINT",
        ),
        ((), "AZURE_OPENAI_API_KEY", None, "no credential for Azure OpenAI: set AZURE_OPENAI_API_KEY"),
        (
            ("--endpoint", "https://x.openai.azure.com:443:444"),
            None,
            "--endpoint",
            "--endpoint https://x.openai.azure.com:443:444 is not a valid endpoint URL",
        ),
    ],
)
def test_configuration_errors_name_flags(
    env: None, monkeypatch: pytest.MonkeyPatch, argv: tuple[str, ...], unset: str | None, setting: str | None, fix: str
) -> None:
    if unset:
        monkeypatch.delenv(unset)
    code, text = run(*argv)
    assert code == 2 and fix in text
    if setting:
        assert f"setting: {setting}\n" in text
    assert "deployment=" not in text and "azure_endpoint=" not in text and "api_key=" not in text
    # every flag a message names is one this command has
    flags = {s for a in _parser()._actions for s in a.option_strings}
    assert set(re.findall(r"--[a-z][a-z-]*", text)) <= flags


def test_cli_spelling_maps_each_flag_to_its_setting() -> None:
    names = dict(cli_spelling(_parser()).names)
    assert {k: names[k] for k in ("azure_endpoint", "base_url", "deployment", "api_version", "azure_auth_mode")} == {
        "azure_endpoint": "--endpoint",
        "base_url": "--base-url",
        "deployment": "--deployment",
        "api_version": "--api-version",
        "azure_auth_mode": "--auth-mode",
    }
    assert "model" not in names and "timeout" not in names  # doctor's own flags, not target settings
