"""The embedding fast path of batch output lines equals ``json.loads`` of the whole line.

Azure's batch output line (Learn, "Getting started with Azure OpenAI batch deployments", output
format): ``id``, ``custom_id``, ``response`` {``status_code``, ``request_id``, ``body``} and
``error``. No batch output was ever recorded, so the bodies are Azure's recorded interactive
embedding answers (the elastic instrumentation cassettes: base64 and float lists, 1,536
dimensions) placed in that line, written compactly, with spaces, and in other key orders.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from shared_core.errors import BatchOutputError
from shared_core.services.batch_lines import embedding_record
from shared_core.services.batch_results import Collector
from shared_core.wire.embeddings import parse_embeddings

CASSETTES = "elastic__elastic-otel-python-instrumentations"
BASE64 = [
    "test_embeddings__test_basic[azure_provider_embeddings].yaml",
    "test_embeddings__test_async_basic[azure_provider_embeddings].yaml",
]
FLOATS = ["test_embeddings__test_all_the_client_options[azure_provider_embeddings].yaml"]
PREFIX = "instrumentation__elastic-opentelemetry-instrumentation-openai__tests__cassettes__."


def recorded(recordings_dir: Path, name: str) -> dict[str, Any]:
    doc = yaml.safe_load((recordings_dir / CASSETTES / (PREFIX + name)).read_text())
    body: dict[str, Any] = json.loads(doc["interactions"][0]["response"]["body"]["string"])
    return body


def lines_of(body: dict[str, Any], cid: str = "azoai-3") -> list[bytes]:
    """The answer as Azure's output line, in several equally valid writings."""
    rec = {
        "id": "batch_req_1",
        "custom_id": cid,
        "response": {"status_code": 200, "request_id": "r-1", "body": body},
        "error": None,
    }
    reordered = {
        "error": None,
        "response": {"body": dict(reversed(list(body.items()))), "request_id": "r-1", "status_code": 200},
        "custom_id": cid,
    }
    return [
        json.dumps(rec, separators=(",", ":")).encode(),
        json.dumps(rec).encode(),
        json.dumps(reordered).encode(),
        json.dumps(rec, separators=(" , ", " : ")).encode(),
        json.dumps(rec, ensure_ascii=False).encode() + b"  ",
    ]


@pytest.mark.parametrize("name", BASE64)
def test_recorded_base64_answers_take_the_fast_path_and_equal_json_loads(recordings_dir: Path, name: str) -> None:
    body = recorded(recordings_dir, name)
    assert isinstance(body["data"][0]["embedding"], str)
    for raw in lines_of(body):
        fast = embedding_record(raw)
        assert fast is not None, raw[:200]
        assert fast == json.loads(raw)
        assert parse_embeddings(fast["response"]["body"]) == parse_embeddings(json.loads(raw)["response"]["body"])


@pytest.mark.parametrize("name", FLOATS)
def test_recorded_float_list_answers_are_parsed_whole(recordings_dir: Path, name: str) -> None:
    body = recorded(recordings_dir, name)
    assert isinstance(body["data"][0]["embedding"], list)
    for raw in lines_of(body):
        assert embedding_record(raw) is None


ERROR_LINES = [
    # a line that failed (Azure's error object in the body), and one the batch never ran (expired)
    b'{"id":"batch_req_2","custom_id":"azoai-1","response":{"status_code":500,"request_id":"r",'
    b'"body":{"error":{"code":"server_error","message":"The server had an error."}}},"error":null}',
    b'{"id":"batch_req_3","custom_id":"azoai-2","response":null,'
    b'"error":{"code":"batch_expired","message":"This line was not executed because the batch expired."}}',
    b'{"custom_id":"azoai-0","response":{"status_code":400,"body":{"error":{"code":"content_filter",'
    b'"message":"The response was filtered: \\"embedding\\": \\"x\\""}}},"error":null}',
]


@pytest.mark.parametrize("raw", ERROR_LINES)
def test_error_lines_are_parsed_whole(raw: bytes) -> None:
    assert embedding_record(raw) is None


VECTOR = "AAAAAAAAgD8AAABA"  # 0.0, 1.0, 2.0 as little-endian float32


def line(embedding: str, extra: str = "") -> bytes:
    body = f'{{"object":"list","data":[{{"object":"embedding","index":0,"embedding":{embedding}}}]{extra}}}'
    return f'{{"custom_id":"azoai-0","response":{{"status_code":200,"body":{body}}},"error":null}}'.encode()


@pytest.mark.parametrize(
    "raw",
    [
        line('"AAAAAAAAgD8A\\/AABA"'),  # an escaped slash: the string is not the bytes between the quotes
        line('"AAAAAAAAgD8AAABA"', ',"x":{"\\u0065mbedding":"AAAA"}'),  # a key written with an escape
        line('"AAAAAAAAgD8AAABA"', ',"x":{"embedding":"AAAA"}'),  # a second embedding key
        line('"AAAAAAAAgD8AAABA"', ',"embedding" : "AAAA"'),
        line('"AAAA\u00e9AAA"'),  # not ASCII
        line("[0.0,1.0]"),
        line('"AAAAAAAAgD8AAABA"').replace(b'"data":[{', b'"data":{"0":{').replace(b"}]", b"}}"),
        b"\xef\xbb\xbf" + line(f'"{VECTOR}"'),  # a byte order mark: json.loads decides
        b' [{"embedding":"AAAA"}]',
    ],
)
def test_lines_not_of_the_plain_shape_are_parsed_whole(raw: bytes) -> None:
    assert embedding_record(raw) is None


def test_the_plain_shape_equals_json_loads() -> None:
    good = line(f'"{VECTOR}"', ',"model":"text-embedding-3-small","usage":{"prompt_tokens":2,"total_tokens":2}')
    assert embedding_record(good) == json.loads(good)
    assert parse_embeddings(json.loads(good)["response"]["body"])[0] == [[0.0, 1.0, 2.0]]


@pytest.mark.parametrize("raw", [line(f'"{VECTOR}"') + b"x", line(f'"{VECTOR}"')[:-1]])
def test_an_invalid_line_with_its_custom_id_fails_that_request(raw: bytes) -> None:
    assert embedding_record(raw) is None
    col = Collector("k", 2)
    col.begin("file-out")
    col.feed(line(f'"{VECTOR}"').replace(b"azoai-0", b"azoai-1"), "batch_1")
    col.feed(raw, "batch_1")
    got = col.finish(["batch_1"], [])
    assert got.failed == [0] and got.answered == 1 and col.retryable(0, 2) == [0]
    item = got.items[0]
    assert item is not None and item.status_code is None and item.error is not None
    assert len(raw) < 200
    excerpt = raw.decode()
    assert item.error == {
        "code": "invalid_output_line",
        "message": f"line 2 of file file-out (batch batch_1) is not a JSON object: {excerpt!r}",
    }


@pytest.mark.parametrize(
    "raw",
    [
        b'{"custom_id":"azoai-0","response":{"status_code":200,"body":{"data":[]}}',  # cut before its end
        b'{"custom_id":"azoai-7","response":',  # an index this job never wrote
        b'{"custom_id":"other-0","response":',
        b"\xff\xfe not UTF-8",
        b"[1, 2]",
        b'"azoai-0"',
        b"42",
    ],
)
def test_a_line_naming_no_request_of_the_job_is_a_typed_error(raw: bytes) -> None:
    col = Collector("k", 1)
    col.begin("file-err")
    col.feed(b'{"custom_id":"azoai-0","response":{"status_code":200,"body":{"object":"list"}}}', "batch_9")
    if raw.startswith(b'{"custom_id":"azoai-0"'):  # its request is answered already: nothing lost
        col.feed(raw, "batch_9")
        assert col.finish([], []).complete
        return
    with pytest.raises(BatchOutputError) as caught:
        col.feed(raw, "batch_9")
    excerpt = raw.decode("utf-8", "replace")
    assert (caught.value.batch_id, caught.value.file_id, caught.value.line, caught.value.excerpt) == (
        "batch_9",
        "file-err",
        2,
        excerpt,
    )
    assert str(caught.value).startswith(
        f"line 2 of file file-err (batch batch_9) is not a JSON object naming a request of this job: {excerpt!r}."
    )


def test_the_excerpt_of_a_long_bad_line_is_cut() -> None:
    col = Collector("k", 1)
    with pytest.raises(BatchOutputError) as caught:
        col.feed(b"x" * 10_000, "batch_1")
    assert caught.value.excerpt == "x" * 200 + "..." and caught.value.line == 1 and caught.value.file_id == ""
    assert "line 1 of file ? (batch batch_1)" in str(caught.value) and len(str(caught.value)) < 500


def test_collector_items_are_equal_either_way(recordings_dir: Path) -> None:
    body = recorded(recordings_dir, BASE64[0])
    raws = [lines_of(body, f"azoai-{i}")[i % 5] for i in range(5)] + [ERROR_LINES[0].replace(b"azoai-1", b"azoai-5")]
    fast = Collector("k", 6)
    for raw in raws:
        fast.feed(raw, "batch_1")
    got = fast.finish(["batch_1"], [])
    assert [(it.index, it.status_code, it.ok) for it in got.items if it] == [(i, 200, True) for i in range(5)] + [
        (5, 500, False)
    ]
    for i, item in enumerate(got.items):
        assert item is not None
        assert item.body == json.loads(raws[i])["response"]["body"]
    assert got.usage.prompt_tokens == 5 * body["usage"]["prompt_tokens"]
