"""``fallbacks`` / ``load_balancing`` on the LlamaIndex classes, against two emulators over loopback.

Which region served a call is read two ways: the emulators' own counters (``app.state()``) and
the response's ``additional_kwargs`` (``region`` from ``x-ms-region``, ``azure_target`` the
configured name).
"""

from __future__ import annotations

import json
import pickle
import random
import socket
from collections.abc import Iterator
from typing import Any

import pytest
from llama_index.core.llms import ChatMessage

from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding
from shared_core.emulator.config import FaultSpec
from shared_core.errors import ConfigurationError
from tests._deployments import with_legacy

pytestmark = pytest.mark.emulator

WEST_KEY = "west-only-key"
EAST_KEY = "azoai-emulator-key"
HELLO = [ChatMessage(role="user", content="hello")]


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


def llm(primary_url: str, west: Any, **kw: Any) -> AzureOpenAI:
    return AzureOpenAI(
        engine="gpt-5.2",
        model="gpt-5.2",
        azure_endpoint=primary_url,
        api_key=EAST_KEY,
        api_version="2024-10-21",
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY, "name": "westeurope"}],
        **kw,
    )


def test_healthy_primary_serves_every_call(east: Any, west: Any) -> None:
    model = llm(east.url, west)
    for _ in range(3):
        kw = model.chat(HELLO).additional_kwargs
        assert (kw["region"], kw["azure_target"]) == ("East US", f"127.0.0.1:{east.port}")
    assert (served(east), served(west)) == (3, 0)


def test_primary_down_503_fails_over(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="503"))
    resp = llm(east.url, west).chat(HELLO)
    assert resp.message.content
    kw = resp.additional_kwargs
    assert (kw["region"], kw["azure_target"], kw["attempts"]) == ("West Europe", "westeurope", 2)
    assert east.app.state()["faults"]["injected"] == {"region_down_503": 1}
    assert (served(east), served(west)) == (0, 1)


def test_primary_refusing_connections_fails_over(refused_url: str, west: Any) -> None:
    resp = llm(refused_url, west).complete("hello")
    assert (resp.additional_kwargs["region"], resp.additional_kwargs["azure_target"]) == ("West Europe", "westeurope")
    assert served(west) == 1


def test_429_burst_spills_to_secondary_and_stays_there_while_throttled(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(burst_429=50, retry_after=30))
    model = llm(east.url, west)
    seen = [model.chat([ChatMessage(role="user", content=f"call {i}")]).additional_kwargs["region"] for i in range(4)]
    assert seen == ["West Europe"] * 4
    assert east.app.state()["faults"]["injected"] == {"429": 1}
    assert (served(east), served(west)) == (0, 4)


def test_stream_fails_over_before_the_first_token(east: Any, west: Any) -> None:
    # the primary sends its preamble (prompt filter results, role) then drops the connection
    east.app.faults.set(None, FaultSpec(stream_cut_after=0))
    chunks = list(llm(east.url, west).stream_chat(HELLO))
    reference = AzureOpenAI(
        engine="gpt-5.2", model="gpt-5.2", azure_endpoint=west.url, api_key=WEST_KEY, api_version="2024-10-21"
    ).chat(HELLO)
    assert chunks[-1].message.content == reference.message.content
    first = next(c.additional_kwargs for c in chunks if c.additional_kwargs.get("region"))
    assert (first["region"], first["azure_target"]) == ("West Europe", "westeurope")
    assert requests(east) == 1


async def test_async_chat_and_stream_fail_over(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="close"))
    model = llm(east.url, west)
    resp = await model.achat(HELLO)
    assert resp.additional_kwargs["azure_target"] == "westeurope"
    last = None
    async for last in await model.astream_chat(HELLO):  # noqa: B007 (the last chunk is the answer)
        pass
    assert last is not None and last.message.content == resp.message.content
    assert requests(west) == 2


def test_weighted_balancing_spreads_calls(east: Any, west: Any) -> None:
    random.seed(20261122)  # the router's default RNG: the spread below is reproducible
    model = AzureOpenAI(
        engine="gpt-4o-mini",
        model="gpt-4o-mini",
        azure_endpoint=east.url,
        api_key=EAST_KEY,
        api_version="2024-10-21",
        load_balancing="weighted",
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY, "weight": 3}],
    )
    seen = [model.complete(f"q{i}").additional_kwargs["region"] for i in range(40)]
    east_n, west_n = served(east), served(west)
    assert east_n + west_n == 40
    assert (seen.count("East US"), seen.count("West Europe")) == (east_n, west_n)
    assert 4 <= east_n < west_n  # weight 1 : 3


def test_embeddings_fail_over_too(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="503"))
    emb = AzureOpenAIEmbedding(
        deployment_name="text-embedding-3-small",
        azure_endpoint=east.url,
        api_key=EAST_KEY,
        api_version="2024-10-21",
        fallbacks=[{"azure_endpoint": west.url, "api_key": WEST_KEY}],
    )
    vectors = emb.get_text_embedding_batch(["a", "b"])
    assert len(vectors) == 2 and len(vectors[0]) == 1536
    assert west.app.state()["served"] == {"text-embedding-3-small": 1}


# ------------------------------------------------------------------ secrets and configuration


def test_fallback_secrets_stay_out_of_repr_to_dict_and_pickles(east: Any, west: Any) -> None:
    model = llm(east.url, west)
    assert WEST_KEY not in repr(model)
    d = model.to_dict()
    assert WEST_KEY not in json.dumps(d, default=str) and WEST_KEY not in model.to_json()
    assert d["fallbacks"] == [{"azure_endpoint": west.url, "name": "westeurope"}]
    assert d["load_balancing"] == "priority"
    clone = pickle.loads(pickle.dumps(model))
    assert WEST_KEY not in repr(clone)
    east.app.faults.set(None, FaultSpec(region_down="503"))
    assert clone.chat(HELLO).additional_kwargs["azure_target"] == "westeurope"
    # from_dict gets the settings back; the fallback's key must be given again, as the primary's
    restored = AzureOpenAI.from_dict({**d, "fallbacks": [{**d["fallbacks"][0], "api_key": WEST_KEY}]}, api_key=EAST_KEY)
    assert restored.chat(HELLO).additional_kwargs["azure_target"] == "westeurope"
    with pytest.raises(ConfigurationError) as info:
        AzureOpenAI.from_dict(d, api_key=EAST_KEY).chat(HELLO)
    assert info.value.setting == "fallbacks[0].api_key"


def test_primary_key_is_not_sent_to_another_resource(east: Any, west: Any) -> None:
    model = AzureOpenAI(engine="gpt-5.2", azure_endpoint=east.url, api_key=EAST_KEY, fallbacks=[west.url])
    with pytest.raises(ConfigurationError) as info:
        model.chat(HELLO)
    assert info.value.setting == "fallbacks[0].api_key"
    assert f"fallbacks[0]: {west.url} is another resource than the primary ({east.url})" in str(info.value)
    assert EAST_KEY not in str(info.value)
    assert (requests(east), requests(west)) == (0, 0)


def test_llamaindex_spellings_inside_a_fallback(east: Any, west: Any) -> None:
    east.app.faults.set(None, FaultSpec(region_down="503"))
    model = AzureOpenAI(
        engine="gpt-5.2",
        azure_endpoint=east.url,
        api_key=EAST_KEY,
        fallbacks=[{"api_base": west.url + "/openai", "engine": "gpt-4o-mini", "api_key": WEST_KEY}],
    )
    assert model.chat(HELLO).additional_kwargs["region"] == "West Europe"
    assert west.app.state()["served"] == {"gpt-4o-mini": 1}


def test_bad_fallback_setting_is_named() -> None:
    model = AzureOpenAI(
        engine="gpt-5.2",
        azure_endpoint="https://r.openai.azure.com",
        api_key="k",
        fallbacks=[{"azure_endpoint": "https://w.openai.azure.com", "use_azure_ad": True}],
    )
    with pytest.raises(ConfigurationError) as info:
        model.chat(HELLO)
    assert info.value.setting == "fallbacks[0].use_azure_ad"
    assert "unknown setting 'use_azure_ad'" in str(info.value)
