"""SSE decoder: the whole event-stream format, and chunk boundaries anywhere."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from hypothesis import given, settings
from hypothesis import strategies as st

from shared_core.wire.sse import SSEDecoder, SSEEvent, aiter_sse, iter_sse


def decode(*chunks: bytes) -> list[SSEEvent]:
    d = SSEDecoder()
    out: list[SSEEvent] = []
    for c in chunks:
        out += d.feed(c)
    return out + d.flush()


def test_azure_stream_shape() -> None:
    body = (
        b'data: {"choices":[],"prompt_filter_results":[]}\n\n'
        b'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    assert [e.data for e in decode(body)] == [
        '{"choices":[],"prompt_filter_results":[]}',
        '{"choices":[{"delta":{"content":"Hi"}}]}',
        "[DONE]",
    ]


def test_multiline_data_comments_and_fields() -> None:
    body = b": keep-alive comment\nevent: response.created\nid: 7\nretry: 1500\ndata: line one\ndata:line two\ndata\n\n"
    assert decode(body) == [SSEEvent(data="line one\nline two\n", event="response.created", id="7", retry=1500)]


def test_event_type_resets_but_id_persists() -> None:
    events = decode(b"event: a\nid: 1\ndata: x\n\ndata: y\n\n")
    assert events == [SSEEvent("x", "a", "1"), SSEEvent("y", None, "1")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode(b"\n\n: ping\n\nevent: x\n\ndata: z\n\n") == [SSEEvent("z")]


def test_invalid_retry_and_id_with_nul_ignored_unknown_field_ignored() -> None:
    d = SSEDecoder()
    events = d.feed(b"retry: 1a\nid: a\x00b\nfoo: bar\ndata: v\n\n")
    assert events == [SSEEvent("v")]
    assert d.retry is None and d.last_event_id is None


def test_only_one_leading_space_is_stripped() -> None:
    assert decode(b"data:  two spaces\n\n") == [SSEEvent(" two spaces")]


def test_cr_and_crlf_line_endings() -> None:
    assert decode(b"data: a\r\rdata: b\r\n\r\ndata: c\n\n") == [
        SSEEvent("a"),
        SSEEvent("b"),
        SSEEvent("c"),
    ]


def test_crlf_split_between_chunks_is_one_line_ending() -> None:
    # "data: a\r" + "\n\r\n": the LF after a chunk-final CR must not count as an empty line twice
    assert decode(b"data: a\r", b"\n", b"data: b\r", b"\n\r\n") == [SSEEvent("a\nb")]
    assert decode(b"data: a\r", b"\r", b"\ndata: b\n\n") == [SSEEvent("a"), SSEEvent("b")]


def test_bom_at_start_even_split() -> None:
    assert decode(b"\xef\xbb\xbfdata: x\n\n") == [SSEEvent("x")]
    assert decode(b"\xef", b"\xbb", b"\xbfdata: x\n\n") == [SSEEvent("x")]
    # a BOM later in the stream is data, not stripped
    assert decode(b"data: x\n\n\xef\xbb\xbfdata: y\n\n") == [SSEEvent("x")]


def test_multibyte_utf8_split_inside_character() -> None:
    raw = 'data: {"content":"héllo 日本"}\n\n'.encode()
    cut = raw.index("日".encode()) + 1
    assert decode(raw[:cut], raw[cut:]) == [SSEEvent('{"content":"héllo 日本"}')]


def test_flush_dispatches_unterminated_final_event() -> None:
    assert decode(b"data: a\n\ndata: [DONE]") == [SSEEvent("a"), SSEEvent("[DONE]")]
    assert decode(b"data: a\n\ndata: [DONE]\n") == [SSEEvent("a"), SSEEvent("[DONE]")]


def test_empty_feed_and_empty_stream() -> None:
    d = SSEDecoder()
    assert d.feed(b"") == []
    assert d.flush() == []


def test_iter_and_aiter_helpers() -> None:
    chunks = [b"data: 1\n", b"\ndata: 2", b"\n\n"]
    assert [e.data for e in iter_sse(chunks)] == ["1", "2"]

    async def gen() -> AsyncIterator[bytes]:
        for c in chunks:
            yield c

    async def collect() -> list[str]:
        return [e.data async for e in aiter_sse(gen())]

    assert asyncio.run(collect()) == ["1", "2"]


# ---- property: any split of any well-formed stream decodes the same ---------------------------

_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    max_size=20,
)
_event = st.fixed_dictionaries(
    {
        "data": st.lists(_text, min_size=1, max_size=3),
        "event": st.one_of(st.none(), _text.filter(lambda s: s and ":" not in s)),
        "id": st.one_of(st.none(), _text),
        "comment": st.booleans(),
    }
)


def _encode(events: list[dict[str, object]], eol: str, bom: bool) -> bytes:
    out = "\ufeff" if bom else ""
    for ev in events:
        if ev["comment"]:
            out += ": ping" + eol
        if ev["event"] is not None:
            out += f"event: {ev['event']}{eol}"
        if ev["id"] is not None:
            out += f"id: {ev['id']}{eol}"
        for line in ev["data"]:  # type: ignore[attr-defined]
            out += f"data: {line}{eol}"
        out += eol
    return out.encode()


def _expected(events: list[dict[str, object]]) -> list[SSEEvent]:
    last_id = None
    out = []
    for ev in events:
        if ev["id"] is not None:
            last_id = ev["id"]
        out.append(SSEEvent("\n".join(ev["data"]), ev["event"] or None, last_id))  # type: ignore[arg-type]
    return out


@settings(max_examples=150, deadline=None)
@given(
    events=st.lists(_event, max_size=6),
    eol=st.sampled_from(["\n", "\r", "\r\n"]),
    bom=st.booleans(),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=12),
)
def test_random_splits_decode_identically(
    events: list[dict[str, object]], eol: str, bom: bool, cuts: list[int]
) -> None:
    raw = _encode(events, eol, bom)
    points = sorted({c % (len(raw) + 1) for c in cuts})
    chunks = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert decode(*chunks) == _expected(events)
    assert decode(raw) == _expected(events)
    # the fast path gives the same data, as plain strings for default-type events
    d = SSEDecoder()
    fast: list[str | SSEEvent] = []
    for c in chunks:
        fast += d.feed_data(c)
    fast += d.flush_data()
    assert fast == [e.data if e.event is None else e for e in _expected(events)]
