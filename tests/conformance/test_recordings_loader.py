"""The recordings loader: every format read, every file accounted for, bodies decoded right.

The per-file interaction counts and status codes are checked against ``PROVENANCE.tsv``, which
was written when the recordings were collected, independently of this loader.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from ._cases import missing_reason, recordings_present
from .recordings import (
    Interaction,
    default_root,
    iter_kind,
    kind_of,
    load_file,
    load_interactions,
    parse_sse,
    summarize,
)

pytestmark = pytest.mark.conformance


@pytest.fixture(scope="module")
def root() -> Path:
    if not recordings_present():
        pytest.skip(missing_reason())
    return default_root()


@pytest.fixture(scope="module")
def interactions(root: Path) -> list[Interaction]:
    return load_interactions(root)


def _provenance(root: Path) -> dict[str, list[tuple[int | None, bool]]]:
    """file -> [(status, is_sse)] as PROVENANCE.tsv's ``contents`` column describes it."""
    out: dict[str, list[tuple[int | None, bool]]] = {}
    lines = (root / "PROVENANCE.tsv").read_text(encoding="utf-8").splitlines()
    for line in lines[1:]:
        cols = line.split("\t")
        local, contents = cols[0], cols[5]
        if contents.startswith("captured 400 error BODY only"):
            out[local] = [(400, False)]
            continue
        m = re.match(r"(\d+) interactions:", contents)
        assert m, f"unexpected PROVENANCE contents: {contents[:80]}"
        seq: list[tuple[int | None, bool]] = []
        for st, sse, times in re.findall(r"-> (\d+|None)( SSE)?(?: x(\d+))?", contents):
            seq += [(None if st == "None" else int(st), bool(sse))] * int(times or 1)
        assert len(seq) == int(m.group(1)), local
        out[local] = seq
    return out


def test_every_provenance_file_is_loaded_with_its_interactions(root: Path, interactions: list[Interaction]) -> None:
    expected = _provenance(root)
    got: dict[str, list[tuple[int | None, bool]]] = {}
    for ix in interactions:
        got.setdefault(ix.source, []).append((ix.status or None, ix.stream))
    assert set(got) == set(expected)
    for source, seq in expected.items():
        assert got[source] == seq, source


def test_decompressed_copy_beside_a_gz_is_counted_once(root: Path, interactions: list[Interaction]) -> None:
    gz = sorted(root.rglob("*.yaml.gz"))
    assert gz, "the folder holds one gzip'd cassette"
    for g in gz:
        plain = Path(str(g)[: -len(".gz")])
        assert plain.exists()
        assert gzip.decompress(g.read_bytes()) == plain.read_bytes()
        sources = {ix.source for ix in interactions}
        assert g.relative_to(root).as_posix() in sources
        assert plain.relative_to(root).as_posix() not in sources
        # the two copies load to the same exchanges
        a, b = load_file(g, root), load_file(plain, root)
        assert [(x.method, x.uri, x.status, x.body) for x in a] == [(x.method, x.uri, x.status, x.body) for x in b]
        assert {x.format for x in a} == {"vcrpy-gz"} and {x.format for x in b} == {"vcrpy"}


def test_counts_per_format_and_kind(interactions: list[Interaction]) -> None:
    s = summarize(interactions)
    assert s["format"] == {
        "vcrpy": 533,
        "vcrpy-gz": 1,
        "ruby-vcr": 64,
        "test-proxy": 4,
        "bare-json": 1,
        "ws-frames": 979,
    }
    assert s["kind"] == {
        "chat": 302,
        "chat-stream": 154,
        "embeddings": 7,
        "error": 30,
        "responses": 93,
        "realtime": 4,
        "ws-frame": 979,
        "other": 13,
    }
    assert s["route"] == {"v1": 289, "deployments": 172, "openai": 79, "models": 48, "none": 15}
    assert s["status"] == {"200": 569, "201": 2, "400": 26, "401": 1, "404": 4, "429": 1}


def test_every_host_kind_and_route_is_present_among_chat(interactions: list[Interaction]) -> None:
    chat = list(iter_kind(interactions, "chat", "chat-stream"))
    routes = Counter((ix.route, ix.host_kind) for ix in chat)
    # dated deployments path, the v1 path, Foundry's /models path, and a redacted URI
    assert routes == {
        ("v1", "openai.azure.com"): 249,
        ("deployments", "openai.azure.com"): 160,
        ("models", "services.ai.azure.com"): 46,
        ("none", "redacted"): 1,
    }
    foundry = [ix for ix in chat if ix.route == "models"]
    assert all(ix.path == "/models/chat/completions" for ix in foundry)
    assert any(ix.stream for ix in foundry) and any(not ix.stream for ix in foundry)


def test_ids_are_unique_and_readable(interactions: list[Interaction]) -> None:
    ids = [ix.id for ix in interactions]
    assert len(ids) == len(set(ids))
    assert all("[" not in i and "]" not in i and " " not in i for i in ids)
    assert "ruby_llm:chat_function_calling_azure_grok-4-1-fast-non-reasoning_can_use_tools#1" in ids


def test_loading_is_cached_per_root(root: Path) -> None:
    a, b = load_interactions(root), load_interactions(root)
    assert a == b and a is not b  # a fresh list over the shared records
    assert all(x is y for x, y in zip(a, b, strict=False))


def test_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="recordings folder not found"):
        load_interactions(tmp_path / "nope")


# ---- per-format decoding ---------------------------------------------------------------------


def _one(interactions: list[Interaction], id_: str) -> Interaction:
    (ix,) = [ix for ix in interactions if ix.id == id_]
    return ix


def test_ruby_binary_tag_is_base64_decoded(interactions: list[Interaction]) -> None:
    ix = _one(interactions, "ruby_llm:chat_function_calling_azure_grok-4-1-fast-non-reasoning_can_use_tools#1")
    assert ix.format == "ruby-vcr" and ix.status == 200
    data = ix.json()
    assert data["choices"][0]["message"]["content"] == "The current weather in Berlin is 15°C with winds at 10 km/h."
    assert ix.response_headers["apim-request-id"]  # headers lower-cased
    assert ix.request_json()["model"] == "grok-4-1-fast-non-reasoning"


def test_vcrpy_gzip_content_encoding_is_undone(interactions: list[Interaction]) -> None:
    gz = [ix for ix in interactions if "gzip" in ix.response_headers.get("content-encoding", "")]
    assert len(gz) == 10
    for ix in gz:
        assert ix.body[:2] != b"\x1f\x8b"
        assert isinstance(ix.json(), dict)


def test_test_proxy_sse_lines_and_json_bodies(interactions: list[Interaction]) -> None:
    stream = _one(interactions, "azure-sdk-for-net:ChatFunctionsTests__StreamingFunctionCallWorks(Azure)#0")
    assert stream.format == "test-proxy" and stream.stream and stream.status == 200
    events = stream.sse_events()
    assert events[-1] == (None, "[DONE]")
    assert len(events) == 23
    assert stream.sse_json()[0]["prompt_annotations"][0]["prompt_index"] == 0
    assert stream.response_headers["content-type"] == "text/event-stream"
    obj = _one(interactions, "azure-sdk-for-net:OpenAIInferenceTests__ChatCompletionsContentFilterCategories(Azure)#0")
    assert obj.json()["object"] == "chat.completion"
    assert obj.request_json()["messages"]


def test_bare_go_error_body_takes_status_from_the_body(interactions: list[Interaction]) -> None:
    ix = _one(interactions, "azure-sdk-for-go:content_filter_response_error#0")
    assert ix.format == "bare-json" and ix.status == 400 and kind_of(ix) == "error"
    assert ix.json()["error"]["code"] == "content_filter"


def test_redacted_uri_is_classified_by_its_bodies(interactions: list[Interaction]) -> None:
    ix = _one(interactions, "langchain:TestAzureOpenAIStandard_test_stream_time#0")
    assert ix.uri == "**REDACTED**"
    assert (ix.operation, ix.host_kind, ix.stream) == ("chat/completions", "redacted", True)


def test_java_double_slash_path_is_still_a_deployments_route(interactions: list[Interaction]) -> None:
    (ix,) = [ix for ix in interactions if ix.repo == "Azure__azure-sdk-for-java"]
    assert "//openai/" in ix.uri
    assert (ix.operation, ix.route, ix.status) == ("completions", "deployments", 404)


def test_pydantic_ai_parsed_body_and_ws_frames(interactions: list[Interaction]) -> None:
    frames = [ix for ix in interactions if ix.transport == "ws"]
    assert len(frames) == 979
    assert Counter(ix.extra["direction"] for ix in frames).keys() == {"sent", "received"}
    calls = [ix for ix in interactions if ix.path.endswith("/realtime/client_secrets")]
    assert len(calls) == 2 and all(isinstance(ix.json(), dict) for ix in calls)
    assert all(ix.request_json()["session"]["type"] == "realtime" for ix in calls)


def test_every_chat_body_is_json_or_sse_that_ends_in_done(interactions: list[Interaction]) -> None:
    for ix in iter_kind(interactions, "chat"):
        assert ix.json()["object"] == "chat.completion", ix.id
    for ix in iter_kind(interactions, "chat-stream"):
        events = ix.sse_events()
        assert events[-1][1] == "[DONE]", ix.id
        assert all(isinstance(j, dict) for j in ix.sse_json()), ix.id
    for ix in iter_kind(interactions, "embeddings"):
        assert ix.json()["object"] == "list", ix.id


def test_request_stream_flag_matches_the_response_shape(interactions: list[Interaction]) -> None:
    for ix in iter_kind(interactions, "chat", "chat-stream"):
        req = ix.request_json()
        assert bool(req.get("stream")) == ix.stream, ix.id


# ---- the plain SSE reader the tests use as their reference ------------------------------------


def test_parse_sse_handles_crlf_multiline_data_comments_and_event_names() -> None:
    body = b': keep-alive\r\nevent: response.created\r\ndata: {"a":\r\ndata: 1}\r\n\r\ndata: [DONE]'
    assert parse_sse(body) == [("response.created", '{"a":\n1}'), (None, "[DONE]")]
    assert json.loads(parse_sse(body)[0][1]) == {"a": 1}


# ---- format corners the current folder does not hold (synthetic files) -----------------------


def test_unknown_yaml_tags_keep_their_plain_data(tmp_path: Path) -> None:
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "c.yml").write_text(
        "--- !ruby/hash-with-ivars:VCR::Cassette\n"
        "http_interactions:\n"
        "- request: !ruby/object:VCR::Request\n"
        "    method: post\n"
        "    uri: https://x.openai.azure.com/openai/deployments/d/embeddings?api-version=2024-10-21\n"
        '    body: {encoding: UTF-8, string: \'{"input":["a"]}\'}\n'
        "    headers: {Api-Key: ['<KEY>']}\n"
        "  response:\n"
        "    status: {code: 200, message: OK}\n"
        "    headers: {Content-Type: [application/json], X-Ms-Region: [East US]}\n"
        "    body: {encoding: ASCII-8BIT, base64_string: eyJvYmplY3QiOiJsaXN0In0=}\n",
        encoding="utf-8",
    )
    (ix,) = load_file(tmp_path / "r" / "c.yml", tmp_path)
    assert (ix.format, ix.method, ix.operation, ix.route, ix.status) == (
        "ruby-vcr",
        "POST",
        "embeddings",
        "deployments",
        200,
    )
    assert ix.json() == {"object": "list"}
    assert ix.request_json() == {"input": ["a"]}
    assert ix.response_headers == {"content-type": "application/json", "x-ms-region": "East US"}
    assert ix.request_headers == {"api-key": "<KEY>"}
    assert ix.id == "r:c#0"


def test_vcrpy_gzip_body_and_binary_tag(tmp_path: Path) -> None:
    import base64 as b64

    body = gzip.compress(b'{"object":"chat.completion","choices":[]}')
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / "c.yaml").write_text(
        "interactions:\n"
        "- request:\n"
        "    body: null\n"
        "    headers: {}\n"
        "    method: POST\n"
        "    uri: https://x.cognitiveservices.azure.com/openai/v1/chat/completions\n"
        "  response:\n"
        "    body:\n"
        f"      string: !!binary |\n        {b64.b64encode(body).decode()}\n"
        "    headers: {Content-Encoding: [gzip], Content-Type: [application/json]}\n"
        "    status: {code: 200, message: OK}\n"
        "version: 1\n",
        encoding="utf-8",
    )
    (ix,) = load_file(tmp_path / "r" / "c.yaml", tmp_path)
    assert ix.json()["object"] == "chat.completion"
    assert (ix.host_kind, ix.route, ix.operation, ix.stream) == ("cognitiveservices", "v1", "chat/completions", False)
    assert ix.request_body is None and ix.request_json() is None


def test_test_proxy_base64_and_text_sse_bodies(tmp_path: Path) -> None:
    import base64 as b64

    (tmp_path / "r").mkdir()
    entries = {
        "Entries": [
            {
                "RequestUri": "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
                "RequestMethod": "POST",
                "RequestHeaders": {},
                "RequestBody": None,
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "application/octet-stream"},
                "ResponseBody": b64.b64encode(b"\x00\x01binary").decode(),
            },
            {
                "RequestUri": "https://x.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21",
                "RequestMethod": "POST",
                "RequestHeaders": {},
                "RequestBody": '{"stream":true}',
                "StatusCode": 200,
                "ResponseHeaders": {"Content-Type": "text/event-stream"},
                "ResponseBody": 'data: {"choices":[]}\n\ndata: [DONE]\n\n',
            },
        ]
    }
    (tmp_path / "r" / "p.json").write_text(json.dumps(entries), encoding="utf-8")
    binary, sse = load_file(tmp_path / "r" / "p.json", tmp_path)
    assert binary.body == b"\x00\x01binary" and not binary.stream
    assert sse.stream and sse.sse_json() == [{"choices": []}]
    assert sse.request_json() == {"stream": True}
