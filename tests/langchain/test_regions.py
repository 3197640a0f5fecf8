"""``fallbacks`` / ``load_balancing`` on the LangChain classes, against two emulators over loopback.

Which region served a call is read two ways: the emulators' own counters (``app.state()``) and
the message's ``response_metadata`` (``region`` from ``x-ms-region``, ``azure_target`` the
configured name).
"""

from __future__ import annotations

import pickle
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from langchain_core.load import dumpd, dumps, load

from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings
from shared_core.emulator.config import FaultSpec
from shared_core.errors import ConfigurationError
from tests._deployments import with_legacy

pytestmark = pytest.mark.emulator

WEST_KEY = "west-only-key"


@pytest.fixture(scope="module")
def regions() -> Iterator[tuple[Any, Any]]:
    from pydantic import SecretStr

    from shared_core.emulator.server import start_in_thread

    east = start_in_thread(deployments=with_legacy(), region="East US")
    # West Europe is another resource: it accepts only its own key
    west = start_in_thread(deployments=with_legacy(), region="West Europe", api_keys=(SecretStr(WEST_KEY),))
    yield east, west
    east.stop()
    west.stop()


def _fresh(handle: Any) -> Iterator[Any]:
    handle.app.reset()  # counters and faults; the request sequence runs on, so note where it is
    handle.app.faults.clear()
    handle.requests_before = handle.app.state()["requests"]
    yield handle
    handle.app.faults.clear()


@pytest.fixture
def east(regions: tuple[Any, Any]) -> Iterator[Any]:
    yield from _fresh(regions[0])


@pytest.fixture
def west(regions: tuple[Any, Any]) -> Iterator[Any]:
    yield from _fresh(regions[1])


@pytest.fixture
def refused_url() -> Iterator[str]:
    """A loopback port that is bound but not listening: connecting is refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def served(handle: Any) -> int:
    """Successful non-streamed answers since the test began."""
    return sum(handle.app.state()["served"].values())


def requests(handle: Any) -> int:
    """Requests of any outcome since the test began."""
    return int(handle.app.state()["requests"]) - int(handle.requests_before)


def chat(primary_url: str, west: Any, **kw: Any) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=primary_url,
        api_key="azoai-emulator-key",
        azure_deployment="gpt-5.2",
        api_version="2024-10-21",
        max_retries=2,
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY, "name": "westeurope"}],
        **kw,
    )


def test_healthy_primary_serves_every_call(east: Any, west: Any) -> None:
    llm = chat(east.url, west)
    for _ in range(3):
        msg = llm.invoke("hello")
        assert msg.response_metadata["region"] == "East US"
        assert msg.response_metadata["azure_target"] == f"127.0.0.1:{east.port}"
    assert (served(east), served(west)) == (3, 0)


def test_primary_down_503_fails_over(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="503"))
    msg = chat(east.url, west).invoke("hello")
    assert msg.content
    meta = msg.response_metadata
    assert (meta["region"], meta["azure_target"], meta["attempts"]) == ("West Europe", "westeurope", 2)
    assert east.app.state()["faults"]["injected"] == {"region_down_503": 1}
    assert (served(east), served(west)) == (0, 1)


def test_primary_refusing_connections_fails_over(refused_url: str, west: Any) -> None:
    msg = chat(refused_url, west).invoke("hello")
    assert (msg.response_metadata["region"], msg.response_metadata["azure_target"]) == ("West Europe", "westeurope")
    assert served(west) == 1


def test_429_burst_spills_to_secondary_and_stays_there_while_throttled(east: Any, west: Any) -> None:
    # the primary asks for 30 s: every later call goes straight to West Europe meanwhile
    east.app.faults.set(None, FaultSpec(burst_429=50, retry_after=30))
    llm = chat(east.url, west)
    regions_seen = [llm.invoke(f"call {i}").response_metadata["region"] for i in range(4)]
    assert regions_seen == ["West Europe"] * 4
    assert east.app.state()["faults"]["injected"] == {"429": 1}
    assert (served(east), served(west)) == (0, 4)


def test_stream_fails_over_before_the_first_token(east: Any, west: Any) -> None:
    # the primary sends its preamble (prompt filter results, role) then drops the connection
    east.app.faults.set(None, FaultSpec(stream_cut_after=0))
    chunks = list(chat(east.url, west).stream("hello"))
    text = "".join(str(c.content) for c in chunks)
    reference = AzureChatOpenAI(
        azure_endpoint=west.url, api_key=WEST_KEY, azure_deployment="gpt-5.2", api_version="2024-10-21"
    ).invoke("hello")  # same answer, unstreamed
    assert text == reference.content
    first_meta = next(c.response_metadata for c in chunks if c.response_metadata.get("region"))
    assert (first_meta["region"], first_meta["azure_target"]) == ("West Europe", "westeurope")
    assert requests(east) == 1


async def test_async_invoke_and_stream_fail_over(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="close"))
    llm = chat(east.url, west)
    msg = await llm.ainvoke("hello")
    assert msg.response_metadata["azure_target"] == "westeurope"
    chunks = [c async for c in llm.astream("hello")]
    assert "".join(str(c.content) for c in chunks) == msg.content
    assert requests(west) == 2


def test_weighted_balancing_spreads_calls(east: Any, west: Any) -> None:
    random.seed(20261122)  # the router's default RNG: the spread below is reproducible
    llm = AzureChatOpenAI(
        azure_endpoint=east.url,
        api_key="azoai-emulator-key",
        azure_deployment="gpt-4o-mini",
        api_version="2024-10-21",
        load_balancing="weighted",
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY, "weight": 3}],
    )
    targets = [llm.invoke(f"q{i}").response_metadata["region"] for i in range(40)]
    east_n, west_n = served(east), served(west)
    assert east_n + west_n == 40 == len(targets)
    assert (targets.count("East US"), targets.count("West Europe")) == (east_n, west_n)
    assert 4 <= east_n < west_n  # weight 1 : 3


def test_embeddings_fail_over_too(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="503"))
    emb = AzureOpenAIEmbeddings(
        azure_endpoint=east.url,
        api_key="azoai-emulator-key",
        azure_deployment="text-embedding-3-small",
        api_version="2024-10-21",
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY}],
    )
    vectors = emb.embed_documents(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 1536
    assert west.app.state()["served"] == {"text-embedding-3-small": 1}


# ------------------------------------------------------------------ secrets and configuration


@pytest.mark.filterwarnings("ignore::langchain_core._api.beta_decorator.LangChainBetaWarning")
def test_fallback_secrets_stay_out_of_repr_dumps_and_pickles(
    east: Any, west: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = chat(east.url, west, temperature=0)
    assert WEST_KEY not in repr(llm) and WEST_KEY not in str(llm.fallbacks)
    assert WEST_KEY not in dumps(llm)
    clone = pickle.loads(pickle.dumps(llm))
    assert WEST_KEY not in repr(clone)
    data = dumpd(llm)
    assert data["kwargs"]["fallbacks"] == [
        {
            "azure_endpoint": west.url,
            "name": "westeurope",
            "api_key": {"lc": 1, "type": "secret", "id": ["AZURE_OPENAI_FALLBACK_0_API_KEY"]},
        }
    ]
    back = load(
        data,
        valid_namespaces=["langchain_azoai"],
        allowed_objects=[AzureChatOpenAI],
        secrets_map={"AZURE_OPENAI_API_KEY": "azoai-emulator-key", "AZURE_OPENAI_FALLBACK_0_API_KEY": WEST_KEY},
    )
    assert back.model_dump() == llm.model_dump()
    east.app.faults.set(None, FaultSpec(region_down="503"))
    assert back.invoke("hi").response_metadata["azure_target"] == "westeurope"
    assert clone.invoke("hi").response_metadata["azure_target"] == "westeurope"


def test_dumpd_without_fallbacks_is_unchanged() -> None:
    data = dumpd(AzureChatOpenAI(azure_endpoint="https://r.openai.azure.com", api_key="k", azure_deployment="gpt-5.2"))
    assert "fallbacks" not in data["kwargs"] and "load_balancing" not in data["kwargs"]


def test_primary_key_is_not_sent_to_another_resource(east: Any, west: Any) -> None:
    llm = AzureChatOpenAI(
        azure_endpoint=east.url, api_key="azoai-emulator-key", azure_deployment="gpt-5.2", fallbacks=[west.url]
    )
    with pytest.raises(ConfigurationError) as info:
        llm.invoke("hello")
    assert info.value.setting == "fallbacks[0].api_key"
    assert f"fallbacks[0]: {west.url} is another resource than the primary ({east.url})" in str(info.value)
    assert "azoai-emulator-key" not in str(info.value)
    assert (served(east), served(west)) == (0, 0)


def test_unknown_fallback_setting_is_named() -> None:
    llm = AzureChatOpenAI(
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        azure_deployment="gpt-5.2",
        fallbacks=[{"azure_endpoint": "https://w.openai.azure.com", "apikey": "x"}],
    )
    with pytest.raises(ConfigurationError) as info:
        llm.invoke("hello")
    assert info.value.setting == "fallbacks[0].apikey"
    assert "unknown setting 'apikey': did you mean 'api_key'?" in str(info.value)


def test_load_balancing_is_validated_at_construction() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="load_balancing"):
        AzureChatOpenAI(
            azure_endpoint="https://r.openai.azure.com",
            api_key="k",
            azure_deployment="gpt-5.2",
            load_balancing="round-robin",
        )  # type: ignore[arg-type]
