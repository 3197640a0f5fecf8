"""``azoai demo``: the package doing its real job, end to end, through LangChain and LlamaIndex.

For each framework it runs four steps against one Azure OpenAI target (the local emulator started
in-process by default, or a real resource from ``AZURE_OPENAI_ENDPOINT`` + credentials):

1. index a small shipped corpus (chunk, embed with our embeddings class, store in the framework's
   in-memory vector store);
2. answer three questions from it with citations, the last one streamed token by token;
3. run a tool-calling agent (search the corpus, a calculator, a unit converter) until it answers;
4. get one answer as a validated Pydantic object.

After each step a summary line says how long it took, the tokens used, the HTTP requests made and
retried, and the region that served them. Tokens and region come from the framework's response
metadata when the adapter surfaces them; requests and retries are counted on the wire through an
``httpx.Client`` passed to the adapters (a retry is a second request carrying the same
``x-ms-client-request-id``). Failures print the diagnosis of our typed errors, not a traceback.
"""

from __future__ import annotations

import argparse
import ast
import logging
import math
import operator
import os
import sys
import textwrap
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal, TextIO

import httpx
from pydantic import BaseModel, Field

from azoai_app.data import CorpusDocument, load_corpus
from shared_core.errors import AzureOpenAIError

DEFAULT_CHAT_DEPLOYMENT = "gpt-4o"
DEFAULT_EMBEDDING_DEPLOYMENT = "text-embedding-3-small"
DEFAULT_API_VERSION = "2024-10-21"
EMBED_BATCH = 16
TOP_K = 3
MAX_AGENT_TURNS = 6
#: Why the index steps show no token count: both frameworks' embedding interfaces return bare vectors.
EMBEDDINGS_TOKENS_NOTE = "embeddings return vectors only"

RAG_QUESTIONS: tuple[str, ...] = (
    "How much does the Verdant Hub Pro cost, and what does Verdant Cloud Plus cost per year?",
    "What does a blinking amber status LED on the hub mean?",
    "Verdant Hub Pro warranty: how many years, and how is a warranty claim made?",
)
#: The documents a correct retrieval must cite for each question above.
RAG_EXPECTED_SOURCES: tuple[str, ...] = ("pricing.md", "led-codes.md", "warranty.md")
RAG_SYSTEM = "Answer from the context only, and cite sources like [pricing.md]."
AGENT_QUESTION = (
    "My greenhouse is 1200 ft2. Convert that to m2, then search the docs: which Verdant Hub model "
    "is made for a greenhouse that size?"
)
AGENT_SYSTEM = "Use the tools for facts, arithmetic and unit conversions; answer briefly."
STRUCTURED_SYSTEM = "Extract the customer's order from the email."
STRUCTURED_EMAIL = (
    "Hi, this is Dana Whitfield from Lyon, France. Please send 3 Verdant Hub Pro controllers and "
    "2 SoilSense 4-packs to our greenhouse. Express shipping, yes please."
)


class Order(BaseModel):
    """A customer order extracted from an email."""

    customer_name: str = Field(description="full name of the person writing")
    city: str
    country: str
    hub_model: Literal["Verdant Hub Pro", "Verdant Hub Mini", "Verdant Hub"]
    hub_quantity: int = Field(description="how many hubs")
    soilsense_4packs: int = Field(description="how many SoilSense 4-packs")
    express_shipping: bool


class SearchArgs(BaseModel):
    """Arguments of the ``search_docs`` tool."""

    query: str = Field(description="product name or topic to look for, e.g. 'Hub Pro price'")


class ConvertArgs(BaseModel):
    """Arguments of the ``convert_units`` tool."""

    value: float = Field(description="the number to convert")
    from_unit: str = Field(description="unit code to convert from, e.g. ft2, C, km/h")
    to_unit: str = Field(description="unit code to convert to, e.g. m2, F, mph")


class CalculatorArgs(BaseModel):
    """Arguments of the ``calculator`` tool."""

    expression: str = Field(description="arithmetic with + - * / ** and parentheses, e.g. (2 + 3) * 4")


SEARCH_DESCRIPTION = "Search the Verdant Hub documentation; returns the best passages with their document names."
CALCULATOR_DESCRIPTION = "Evaluate an arithmetic expression exactly."
CONVERT_DESCRIPTION = "Convert a value between units: C/F, m/cm/mm/ft/in, m2/ft2, l/gal, kg/g/lb, km/h/mph."


# --------------------------------------------------------------------------------------- output


class Console:
    """Plain-text output: no colour, no terminal tricks, readable in a log file."""

    def __init__(self, out: TextIO) -> None:
        self.out = out

    def line(self, text: str = "") -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    def wrapped(self, prefix: str, text: str, width: int = 100) -> None:
        """Print ``text`` after ``prefix``, wrapping continuation lines under the text."""
        indent = " " * len(prefix)
        paragraphs = [p for p in text.strip().splitlines() if p.strip()] or [""]
        first = True
        for para in paragraphs:
            wrapped = textwrap.wrap(para, width=width - len(prefix), break_long_words=False, break_on_hyphens=False)
            for ln in wrapped or [""]:
                self.line((prefix if first else indent) + ln)
                first = False

    def stream(self, prefix: str, width: int = 100) -> Callable[[str], None]:
        """A writer for streamed tokens that wraps at word boundaries like :meth:`wrapped`."""
        indent = " " * len(prefix)
        self.write(prefix)
        col = len(prefix)

        def write(token: str) -> None:
            nonlocal col
            for i, piece in enumerate(token.split("\n")):
                if i:
                    self.write("\n" + indent)
                    col = len(indent)
                if piece.startswith(" ") and col + len(piece) > width and col > len(indent):
                    self.write("\n" + indent)
                    col = len(indent)
                    piece = piece.lstrip(" ")
                self.write(piece)
                col += len(piece)

        return write

    def section(self, title: str) -> None:
        self.line()
        self.line(f"== {title} " + "=" * max(3, 96 - len(title)))


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _short(value: object, limit: int = 110) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ---------------------------------------------------------------------------------- wire meter


@dataclass
class WireCounts:
    """What the HTTP client saw: requests sent, distinct calls, regions that answered."""

    requests: int = 0
    call_ids: list[str] = field(default_factory=list)
    regions: list[str] = field(default_factory=list)

    @property
    def retries(self) -> int:
        # Every attempt of one call carries the same x-ms-client-request-id.
        return self.requests - len(set(self.call_ids)) if self.call_ids else 0


class WireMeter:
    """An ``httpx.Client`` whose event hooks count requests, retries and answering regions."""

    def __init__(self) -> None:
        self.counts = WireCounts()
        self.client = httpx.Client(
            event_hooks={"request": [self._on_request], "response": [self._on_response]},
            timeout=httpx.Timeout(60.0, connect=10.0),
        )

    def _on_request(self, request: httpx.Request) -> None:
        self.counts.requests += 1
        call_id = request.headers.get("x-ms-client-request-id")
        if call_id:
            self.counts.call_ids.append(call_id)

    def _on_response(self, response: httpx.Response) -> None:
        region = response.headers.get("x-ms-region")
        if region:
            self.counts.regions.append(region)

    def take(self) -> WireCounts:
        """Counts since the last call, and reset."""
        counts, self.counts = self.counts, WireCounts()
        return counts

    def close(self) -> None:
        self.client.close()


# --------------------------------------------------------------------------------------- steps


@dataclass
class StepResult:
    framework: str
    name: str
    seconds: float
    prompt_tokens: int | None
    completion_tokens: int | None
    requests: int
    retries: int
    regions: tuple[str, ...]
    region_source: str
    ok: bool = True
    tokens_note: str = "not in the response metadata"

    def summary(self) -> str:
        if self.prompt_tokens is None and self.completion_tokens is None:
            tokens = f"tokens n/a ({self.tokens_note})"
        else:
            p, c = self.prompt_tokens or 0, self.completion_tokens or 0
            tokens = f"tokens {p + c:,} ({p:,} in + {c:,} out)"
        region = ", ".join(sorted(set(self.regions))) if self.regions else "n/a"
        if self.regions and self.region_source != "metadata":
            region += f" ({self.region_source})"
        return (
            f"{self.seconds:5.2f} s | {tokens} | {_plural(self.requests, 'request')}, {_plural(self.retries, 'retry', 'retries')}"
            f" | region {region}"
        )


class Step:
    """Collects what one step used: token usage and regions from response metadata."""

    def __init__(self) -> None:
        self.prompt_tokens: int | None = None
        self.completion_tokens: int | None = None
        self.regions: list[str] = []
        self.tokens_note = "not in the response metadata"

    def add_usage(self, prompt: int | None, completion: int | None) -> None:
        if prompt is None and completion is None:
            return
        self.prompt_tokens = (self.prompt_tokens or 0) + (prompt or 0)
        self.completion_tokens = (self.completion_tokens or 0) + (completion or 0)

    def add_region(self, region: object) -> None:
        if isinstance(region, str) and region:
            self.regions.append(region)


class Runner:
    """Runs steps, prints a summary line after each, and keeps them for the final table."""

    def __init__(self, console: Console, meter: WireMeter) -> None:
        self.console = console
        self.meter = meter
        self.results: list[StepResult] = []
        self.current: Step | None = None

    @contextmanager
    def step(self, framework: str, index: int, name: str, title: str) -> Iterator[Step]:
        self.console.line()
        self.console.line(f"[{index}/4] {title}")
        step = self.current = Step()
        self.meter.take()
        start = time.perf_counter()
        ok = False
        try:
            yield step
            ok = True
        finally:
            seconds = time.perf_counter() - start
            self.current = None
            wire = self.meter.take()
            regions, source = (
                (tuple(step.regions), "metadata") if step.regions else (tuple(wire.regions), "header")
            )
            result = StepResult(
                framework, name, seconds, step.prompt_tokens, step.completion_tokens,
                wire.requests, wire.retries, regions, source, ok, step.tokens_note,
            )  # fmt: skip
            self.results.append(result)
            if ok:
                self.console.line(f"  -> {result.summary()}")


# ---------------------------------------------------------------------------------- corpus work


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of one document: its file name (the citation), the document title and some lines."""

    source: str
    title: str
    body: str

    @property
    def text(self) -> str:
        """What gets embedded: the title keeps every chunk saying what it is about."""
        return f"{self.title}\n{self.body}"


def chunk_corpus(docs: Sequence[CorpusDocument], max_chars: int = 360) -> list[Chunk]:
    """Split each document on line boundaries into bodies of at most ``max_chars``."""
    chunks: list[Chunk] = []
    for doc in docs:
        lines = [ln.strip() for ln in doc.text.splitlines() if ln.strip()]
        body_lines = lines[1:] if lines and lines[0].startswith("#") else lines
        current: list[str] = []
        for ln in body_lines:
            if current and sum(len(x) + 1 for x in current) + len(ln) > max_chars:
                chunks.append(Chunk(doc.name, doc.title, "\n".join(current)))
                current = []
            current.append(ln)
        if current:
            chunks.append(Chunk(doc.name, doc.title, "\n".join(current)))
    return chunks


def format_context(hits: Sequence[Chunk]) -> str:
    """Passages for a prompt, each under a ``[file.md] title`` line the model can cite."""
    return "\n\n".join(f"[{h.source}] {h.title}\n\n{h.body}" for h in hits)


def format_passages(hits: Sequence[Chunk]) -> str:
    """Passages as a tool result: one line each, led by the document name."""
    return "\n".join(f"[{h.source}] {' '.join(h.body.split())}" for h in hits)


def unique_sources(hits: Sequence[Chunk]) -> list[str]:
    seen: list[str] = []
    for h in hits:
        if h.source not in seen:
            seen.append(h.source)
    return seen


# ------------------------------------------------------------------------------------- tools

_BIN_OPS: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod, ast.Pow: operator.pow,
}  # fmt: skip
_UNARY_OPS: dict[type, Callable[[Any], Any]] = {ast.UAdd: operator.pos, ast.USub: operator.neg}


def calculate(expression: str) -> str:
    """Evaluate an arithmetic expression (``+ - * / // % **``, parentheses) without ``eval``."""

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
            return node.value
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN_OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and abs(right) > 100:
                raise ValueError("exponent too large")
            return float(_BIN_OPS[type(node.op)](left, right))
        if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY_OPS:
            return float(_UNARY_OPS[type(node.op)](ev(node.operand)))
        raise ValueError(f"unsupported expression element {type(node).__name__}")

    try:
        value = ev(ast.parse(expression.replace(",", "").replace("$", ""), mode="eval"))
    except (SyntaxError, ValueError, ZeroDivisionError) as exc:
        return f"error: cannot evaluate {expression!r}: {exc}"
    return f"{value:g}" if math.isfinite(value) and value != int(value) else f"{int(value)}"


_LINEAR_UNITS: dict[str, tuple[str, float]] = {
    "m": ("length", 1.0), "cm": ("length", 0.01), "mm": ("length", 0.001), "ft": ("length", 0.3048),
    "in": ("length", 0.0254), "m2": ("area", 1.0), "ft2": ("area", 0.09290304),
    "l": ("volume", 1.0), "gal": ("volume", 3.785411784), "kg": ("mass", 1.0), "g": ("mass", 0.001),
    "lb": ("mass", 0.45359237), "km/h": ("speed", 1.0), "mph": ("speed", 1.609344),
}  # fmt: skip


def convert_units(value: float, from_unit: str, to_unit: str) -> str:
    """Convert ``value`` between units (see ``CONVERT_DESCRIPTION``); an error string if unknown."""
    src, dst = from_unit.strip().lower(), to_unit.strip().lower()
    temps = {"c", "f", "celsius", "fahrenheit"}
    if src in temps and dst in temps:
        c = value if src[0] == "c" else (value - 32) * 5 / 9
        out = c if dst[0] == "c" else c * 9 / 5 + 32
        return f"{value:g} {from_unit} = {out:.4g} {to_unit}"
    if src in _LINEAR_UNITS and dst in _LINEAR_UNITS and _LINEAR_UNITS[src][0] == _LINEAR_UNITS[dst][0]:
        out = value * _LINEAR_UNITS[src][1] / _LINEAR_UNITS[dst][1]
        return f"{value:g} {from_unit} = {out:.4g} {to_unit}"
    return f"error: cannot convert {from_unit!r} to {to_unit!r}"


# ------------------------------------------------------------------------------------ settings


@dataclass
class DemoSettings:
    """Where the demo sends its requests and how it authenticates."""

    endpoint: str
    chat_deployment: str
    embedding_deployment: str
    chat_model: str
    api_version: str
    api_key: str | None
    auth_mode: str | None  # an Entra ID mode for the core to resolve (managed, workload, ...)
    emulator: bool

    def common_kwargs(self) -> dict[str, Any]:
        """Keyword arguments both frameworks' classes share (their Azure field names agree)."""
        kw: dict[str, Any] = {"azure_endpoint": self.endpoint, "api_version": self.api_version}
        if self.auth_mode is not None:
            kw["azure_auth_mode"] = self.auth_mode
        elif self.api_key is not None:
            kw["api_key"] = self.api_key
        return kw


# ------------------------------------------------------------------------------------ LangChain


def run_langchain(settings: DemoSettings, runner: Runner, chunks: Sequence[Chunk]) -> None:
    """The four steps through ``langchain_azoai``."""
    from langchain_core.documents import Document
    from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
    from langchain_core.tools import StructuredTool
    from langchain_core.vectorstores import InMemoryVectorStore

    from langchain_azoai import AzureChatOpenAI, AzureOpenAIEmbeddings

    con, fw = runner.console, "langchain"
    http = runner.meter.client
    embeddings = AzureOpenAIEmbeddings(
        azure_deployment=settings.embedding_deployment, model=settings.embedding_deployment,
        http_client=http, **settings.common_kwargs(),
    )  # fmt: skip
    llm = AzureChatOpenAI(
        azure_deployment=settings.chat_deployment, model=settings.chat_model, temperature=0,
        http_client=http, **settings.common_kwargs(),
    )  # fmt: skip

    def record(step: Step, msg: BaseMessage) -> None:
        usage = getattr(msg, "usage_metadata", None)
        if usage:
            step.add_usage(usage.get("input_tokens"), usage.get("output_tokens"))
        meta = msg.response_metadata or {}
        step.add_region(meta.get("region") or (meta.get("headers") or {}).get("x-ms-region"))

    store = InMemoryVectorStore(embedding=embeddings)
    with runner.step(fw, 1, "index", "RAG: chunk, embed and index the corpus (AzureOpenAIEmbeddings + InMemoryVectorStore)") as st:
        st.tokens_note = EMBEDDINGS_TOKENS_NOTE
        con.write(f"  embedding {len(chunks)} chunks:")
        for i in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[i : i + EMBED_BATCH]
            store.add_documents([Document(page_content=c.text, metadata={"source": c.source, "title": c.title, "body": c.body}) for c in batch])
            con.write(f" {min(i + EMBED_BATCH, len(chunks))}")
        con.line(" done")

    def retrieve(query: str, k: int = TOP_K) -> list[Chunk]:
        return [Chunk(d.metadata["source"], d.metadata["title"], d.metadata["body"]) for d in store.similarity_search(query, k=k)]

    with runner.step(fw, 2, "rag", "RAG: three questions answered from the corpus, with citations (last one streamed)") as st:
        for n, question in enumerate(RAG_QUESTIONS, 1):
            hits = retrieve(question)
            messages: list[BaseMessage] = [
                SystemMessage(RAG_SYSTEM),
                HumanMessage(f"Context:\n{format_context(hits)}\n\nQuestion: {question}"),
            ]
            con.wrapped("  Q: ", question)
            if n < len(RAG_QUESTIONS):
                answer = llm.invoke(messages)
                record(st, answer)
                con.wrapped("  A: ", answer.text)
            else:
                emit = con.stream("  A (streamed): ")
                full: Any = None
                for chunk in llm.stream(messages):
                    emit(chunk.text)
                    full = chunk if full is None else full + chunk
                con.line()
                if full is not None:
                    record(st, full)
            con.line(f"     sources: {', '.join(unique_sources(hits))}")

    def search_docs(query: str) -> str:
        return format_passages(retrieve(query, k=2))

    tools = [
        StructuredTool.from_function(search_docs, name="search_docs", description=SEARCH_DESCRIPTION, args_schema=SearchArgs),
        StructuredTool.from_function(calculate, name="calculator", description=CALCULATOR_DESCRIPTION, args_schema=CalculatorArgs),
        StructuredTool.from_function(convert_units, name="convert_units", description=CONVERT_DESCRIPTION, args_schema=ConvertArgs),
    ]  # fmt: skip
    by_name = {t.name: t for t in tools}
    with runner.step(fw, 3, "agent", "Agent: tool-calling loop (bind_tools) over search_docs, calculator, convert_units") as st:
        con.wrapped("  Q: ", AGENT_QUESTION)
        agent = llm.bind_tools(tools)
        history: list[BaseMessage] = [SystemMessage(AGENT_SYSTEM), HumanMessage(AGENT_QUESTION)]
        for _ in range(MAX_AGENT_TURNS):
            reply = agent.invoke(history)
            record(st, reply)
            history.append(reply)
            if not isinstance(reply, AIMessage) or not reply.tool_calls:
                break
            for call in reply.tool_calls:
                args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
                con.line(f"  tool call   {call['name']}({args})")
                tool = by_name.get(call["name"])
                output = str(tool.invoke(call["args"])) if tool else f"error: no tool named {call['name']!r}"
                con.line(f"  tool result {_short(output)}")
                history.append(ToolMessage(output, tool_call_id=call["id"] or ""))
        else:
            con.line(f"  (stopped after {MAX_AGENT_TURNS} model turns)")
        con.wrapped("  A: ", history[-1].text if isinstance(history[-1], AIMessage) else "(no answer)")

    with runner.step(fw, 4, "structured", "Structured output: with_structured_output(Order) -> validated Pydantic object") as st:
        con.wrapped("  email: ", STRUCTURED_EMAIL)
        structured = llm.with_structured_output(Order, include_raw=True)
        out: Any = structured.invoke([SystemMessage(STRUCTURED_SYSTEM), HumanMessage(STRUCTURED_EMAIL)])
        if isinstance(out.get("raw"), BaseMessage):
            record(st, out["raw"])
        if out.get("parsing_error") is not None:
            raise out["parsing_error"]
        show_order(con, out["parsed"])


# ------------------------------------------------------------------------------------ LlamaIndex


def run_llamaindex(settings: DemoSettings, runner: Runner, chunks: Sequence[Chunk]) -> None:
    """The four steps through ``llamaindex_azoai``.

    Token usage and region are read the LlamaIndex way: from the ``LLMChatEndEvent`` of every chat
    call (instrumentation), so calls made inside ``structured_predict`` count too.
    """
    from llama_index.core.instrumentation import get_dispatcher  # type: ignore[attr-defined]  # re-exported
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler
    from llama_index.core.instrumentation.events import BaseEvent
    from llama_index.core.instrumentation.events.llm import LLMChatEndEvent

    def record(step: Step, resp: Any) -> None:
        kw = getattr(resp, "additional_kwargs", None) or {}
        step.add_usage(kw.get("prompt_tokens"), kw.get("completion_tokens"))
        step.add_region(kw.get("region"))

    class UsageHandler(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "AzoaiDemoUsage"

        def handle(self, event: BaseEvent, **kwargs: Any) -> None:
            if isinstance(event, LLMChatEndEvent) and runner.current is not None and event.response is not None:
                record(runner.current, event.response)

    dispatcher = get_dispatcher()
    handler = UsageHandler()
    dispatcher.add_event_handler(handler)
    try:
        _llamaindex_steps(settings, runner, chunks)
    finally:
        dispatcher.event_handlers.remove(handler)


def _llamaindex_steps(settings: DemoSettings, runner: Runner, chunks: Sequence[Chunk]) -> None:
    from llama_index.core import ChatPromptTemplate, VectorStoreIndex
    from llama_index.core.base.llms.types import ChatMessage
    from llama_index.core.schema import TextNode
    from llama_index.core.tools import FunctionTool

    from llamaindex_azoai import AzureOpenAI, AzureOpenAIEmbedding

    con, fw = runner.console, "llamaindex"
    http = runner.meter.client
    embed_model = AzureOpenAIEmbedding(
        model=settings.embedding_deployment, deployment_name=settings.embedding_deployment,
        embed_batch_size=EMBED_BATCH, http_client=http, **settings.common_kwargs(),
    )  # fmt: skip
    llm = AzureOpenAI(
        engine=settings.chat_deployment, model=settings.chat_model, temperature=0.0,
        http_client=http, **settings.common_kwargs(),
    )  # fmt: skip

    nodes = [TextNode(text=c.text, metadata={"source": c.source, "title": c.title, "body": c.body}) for c in chunks]
    with runner.step(fw, 1, "index", "RAG: chunk, embed and index the corpus (AzureOpenAIEmbedding + VectorStoreIndex)") as st:
        st.tokens_note = EMBEDDINGS_TOKENS_NOTE
        con.write(f"  embedding {len(nodes)} chunks:")
        for i in range(0, len(nodes), EMBED_BATCH):
            batch = nodes[i : i + EMBED_BATCH]
            for node, vector in zip(batch, embed_model.get_text_embedding_batch([n.text for n in batch])):
                node.embedding = vector
            con.write(f" {min(i + EMBED_BATCH, len(nodes))}")
        index = VectorStoreIndex(nodes, embed_model=embed_model)  # vectors present: no re-embedding
        con.line(" done")
    retriever = index.as_retriever(similarity_top_k=TOP_K)

    def retrieve(query: str, k: int = TOP_K) -> list[Chunk]:
        found = retriever.retrieve(query) if k == TOP_K else index.as_retriever(similarity_top_k=k).retrieve(query)
        return [Chunk(*(str(n.node.metadata[k]) for k in ("source", "title", "body"))) for n in found]

    with runner.step(fw, 2, "rag", "RAG: three questions answered from the corpus, with citations (last one streamed)"):
        for n, question in enumerate(RAG_QUESTIONS, 1):
            hits = retrieve(question)
            messages = [
                ChatMessage(role="system", content=RAG_SYSTEM),
                ChatMessage(role="user", content=f"Context:\n{format_context(hits)}\n\nQuestion: {question}"),
            ]
            con.wrapped("  Q: ", question)
            if n < len(RAG_QUESTIONS):
                resp = llm.chat(messages)
                con.wrapped("  A: ", resp.message.content or "")
            else:
                emit = con.stream("  A (streamed): ")
                for part in llm.stream_chat(messages):
                    emit(part.delta or "")
                con.line()
            con.line(f"     sources: {', '.join(unique_sources(hits))}")

    def search_docs(query: str) -> str:
        return format_passages(retrieve(query, k=2))

    tools = [
        FunctionTool.from_defaults(fn=search_docs, name="search_docs", description=SEARCH_DESCRIPTION, fn_schema=SearchArgs),
        FunctionTool.from_defaults(fn=calculate, name="calculator", description=CALCULATOR_DESCRIPTION, fn_schema=CalculatorArgs),
        FunctionTool.from_defaults(fn=convert_units, name="convert_units", description=CONVERT_DESCRIPTION, fn_schema=ConvertArgs),
    ]  # fmt: skip
    by_name = {t.metadata.name: t for t in tools}
    with runner.step(fw, 3, "agent", "Agent: tool-calling loop (chat_with_tools) over search_docs, calculator, convert_units"):
        con.wrapped("  Q: ", AGENT_QUESTION)
        history = [ChatMessage(role="system", content=AGENT_SYSTEM), ChatMessage(role="user", content=AGENT_QUESTION)]
        answer = "(no answer)"
        for _ in range(MAX_AGENT_TURNS):
            resp = llm.chat_with_tools(tools, chat_history=history, allow_parallel_tool_calls=True)
            calls = llm.get_tool_calls_from_response(resp, error_on_no_tool_call=False)
            history.append(resp.message)
            if not calls:
                answer = resp.message.content or ""
                break
            for call in calls:
                args = ", ".join(f"{k}={v!r}" for k, v in call.tool_kwargs.items())
                con.line(f"  tool call   {call.tool_name}({args})")
                tool = by_name.get(call.tool_name)
                output = str(tool(**call.tool_kwargs)) if tool else f"error: no tool named {call.tool_name!r}"
                con.line(f"  tool result {_short(output)}")
                history.append(
                    ChatMessage(role="tool", content=output,
                                additional_kwargs={"tool_call_id": call.tool_id, "name": call.tool_name})
                )  # fmt: skip
        else:
            con.line(f"  (stopped after {MAX_AGENT_TURNS} model turns)")
        con.wrapped("  A: ", answer)

    with runner.step(fw, 4, "structured", "Structured output: structured_predict(Order) -> validated Pydantic object"):
        con.wrapped("  email: ", STRUCTURED_EMAIL)
        prompt = ChatPromptTemplate.from_messages([("system", STRUCTURED_SYSTEM), ("user", "{email}")])
        show_order(con, llm.structured_predict(Order, prompt, email=STRUCTURED_EMAIL))


def show_order(console: Console, order: object) -> None:
    """Print a validated order, one field a line, and check it is what we asked for."""
    if not isinstance(order, Order):
        raise TypeError(f"expected an Order, got {type(order).__name__}: {order!r}")
    console.line(f"  -> {type(order).__name__} (validated by Pydantic):")
    for name, value in order.model_dump().items():
        console.line(f"       {name:<17} = {value!r}")


# ----------------------------------------------------------------------------------------- main


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="azoai demo",
        description=(
            "RAG over a small shipped corpus, a tool-calling agent and structured output, through "
            "LangChain and LlamaIndex. Runs against a local emulator started in-process unless "
            "AZURE_OPENAI_ENDPOINT is set."
        ),
    )
    p.add_argument("--framework", choices=("langchain", "llamaindex", "both"), default="both",
                   help="which framework to run the steps through (default: both)")  # fmt: skip
    p.add_argument("--auth", choices=("key", "managed", "workload", "entra", "cli", "default"), default=None,
                   help="how to authenticate to a real resource: key (AZURE_OPENAI_API_KEY, the default), "
                        "managed identity, workload identity, entra (service principal from AZURE_TENANT_ID, "
                        "AZURE_CLIENT_ID, AZURE_CLIENT_SECRET), the Azure CLI, or DefaultAzureCredential")  # fmt: skip
    p.add_argument("--chat-deployment", default=None, help="env AZURE_OPENAI_CHAT_DEPLOYMENT")
    p.add_argument("--embedding-deployment", default=None, help="env AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    p.add_argument("--chat-model", default=None, help="model behind the chat deployment (default: its name)")
    p.add_argument("--api-version", default=None, help="env AZURE_OPENAI_API_VERSION / OPENAI_API_VERSION")
    p.add_argument("--emulator", action="store_true", help="use the local emulator even if AZURE_OPENAI_ENDPOINT is set")
    p.add_argument("--verbose", action="store_true", help="show tracebacks on failure")
    return p


def _resolve(args: argparse.Namespace, env: dict[str, str], console: Console, stack: list[Callable[[], None]]) -> DemoSettings:
    endpoint = env.get("AZURE_OPENAI_ENDPOINT", "").strip()
    api_version = args.api_version or env.get("AZURE_OPENAI_API_VERSION") or env.get("OPENAI_API_VERSION") or DEFAULT_API_VERSION
    if args.emulator or not endpoint:
        from shared_core.emulator import server

        handle = server.start_in_thread()
        stack.append(handle.stop)
        key = getattr(handle, "api_key", None) or "azoai-emulator-key"
        console.line(f"Target: the local emulator, started in-process at {handle.url}")
        console.line("        (set AZURE_OPENAI_ENDPOINT and AZURE_OPENAI_API_KEY or --auth to use a real resource)")
        return DemoSettings(
            endpoint=handle.url,
            chat_deployment=args.chat_deployment or DEFAULT_CHAT_DEPLOYMENT,
            embedding_deployment=args.embedding_deployment or DEFAULT_EMBEDDING_DEPLOYMENT,
            chat_model=args.chat_model or args.chat_deployment or DEFAULT_CHAT_DEPLOYMENT,
            api_version=api_version, api_key=str(key), auth_mode=None, emulator=True,
        )  # fmt: skip
    chat = args.chat_deployment or env.get("AZURE_OPENAI_CHAT_DEPLOYMENT") or env.get("AZURE_OPENAI_DEPLOYMENT")
    embed = args.embedding_deployment or env.get("AZURE_OPENAI_EMBEDDING_DEPLOYMENT")
    from shared_core.errors import ConfigurationError

    if not chat:
        raise ConfigurationError(
            "No chat deployment for the demo: AZURE_OPENAI_ENDPOINT is set, so the demo runs against "
            "that resource. Pass --chat-deployment NAME or set AZURE_OPENAI_CHAT_DEPLOYMENT (the "
            "deployment name from the Azure portal, not the model name), or pass --emulator.",
            setting="chat_deployment",
        )
    if not embed:
        raise ConfigurationError(
            "No embedding deployment for the demo: pass --embedding-deployment NAME or set "
            "AZURE_OPENAI_EMBEDDING_DEPLOYMENT (e.g. a text-embedding-3-small deployment), or pass --emulator.",
            setting="embedding_deployment",
        )
    auth = args.auth or "key"
    api_key = env.get("AZURE_OPENAI_API_KEY") if auth == "key" else None
    if auth == "key" and not api_key:
        raise ConfigurationError(
            "No credentials for the demo: AZURE_OPENAI_ENDPOINT is set but AZURE_OPENAI_API_KEY is not. "
            "Set the key, or pass --auth managed|workload|entra|cli to use a Microsoft Entra ID identity.",
            setting="api_key",
        )
    console.line(f"Target: {endpoint} (from AZURE_OPENAI_ENDPOINT), auth: {auth}")
    return DemoSettings(
        endpoint=endpoint, chat_deployment=chat, embedding_deployment=embed,
        chat_model=args.chat_model or chat, api_version=api_version, api_key=api_key,
        auth_mode=None if auth == "key" else auth, emulator=False,
    )  # fmt: skip


def _azure_error(exc: BaseException) -> AzureOpenAIError | None:
    """Our typed error in ``exc``'s cause/context chain (frameworks sometimes wrap it)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, AzureOpenAIError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _print_table(console: Console, results: Sequence[StepResult], total: float) -> None:
    """One row per step, then totals; ``-`` marks a number the metadata did not carry."""
    console.section("Summary")
    console.line(f"  {'framework':<11}{'step':<11}{'status':<7}{'time':>8}{'tokens':>9}{'requests':>10}{'retries':>9}  region")
    notes: list[str] = []
    for r in results:
        if r.prompt_tokens is None and r.completion_tokens is None:
            tokens = "-"
            if r.tokens_note not in notes:
                notes.append(r.tokens_note)
        else:
            tokens = f"{(r.prompt_tokens or 0) + (r.completion_tokens or 0):,}"
        region = ", ".join(sorted(set(r.regions))) or "-"
        if r.regions and r.region_source != "metadata":
            region += " (header)"
        console.line(
            f"  {r.framework:<11}{r.name:<11}{'ok' if r.ok else 'FAILED':<7}{r.seconds:>6.2f} s"
            f"{tokens:>9}{r.requests:>10}{r.retries:>9}  {region}"
        )
    tokens_total = sum((r.prompt_tokens or 0) + (r.completion_tokens or 0) for r in results)
    console.line(
        f"  {'total':<29}{total:>6.2f} s{tokens_total:>9,}{sum(r.requests for r in results):>10}"
        f"{sum(r.retries for r in results):>9}"
    )
    for note in notes:
        console.line(f"  tokens -: {note}")
    if any(r.regions and r.region_source != "metadata" for r in results):
        console.line("  region (header): read from the x-ms-region response header, not the adapter's metadata")


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None) -> int:
    """Run the demo. Returns the process exit code (0 when every step succeeded)."""
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    console = Console(out or sys.stdout)
    started = time.perf_counter()
    cleanups: list[Callable[[], None]] = []
    runner: Runner | None = None
    if not args.verbose:
        # azure-identity logs each failed credential to stderr; our error already says it, once.
        identity_log = logging.getLogger("azure.identity")
        level = identity_log.level
        identity_log.setLevel(logging.CRITICAL)
        cleanups.append(lambda: identity_log.setLevel(level))
    try:
        console.line("azoai demo: RAG, a tool-calling agent and structured output through LangChain and LlamaIndex")
        console.line()
        settings = _resolve(args, dict(os.environ), console, cleanups)
        meter = WireMeter()
        cleanups.append(meter.close)
        runner = Runner(console, meter)
        console.line(
            f"Chat deployment: {settings.chat_deployment}  |  embedding deployment: "
            f"{settings.embedding_deployment}  |  api-version: {settings.api_version}"
        )
        docs = load_corpus()
        chunks = chunk_corpus(docs)
        console.line(
            f"Corpus: {len(docs)} documents about Verdant Hub, a fictional greenhouse controller "
            f"({len(chunks)} chunks)"
        )
        frameworks = ("langchain", "llamaindex") if args.framework == "both" else (args.framework,)
        for fw in frameworks:
            console.section("LangChain (langchain_azoai)" if fw == "langchain" else "LlamaIndex (llamaindex_azoai)")
            (run_langchain if fw == "langchain" else run_llamaindex)(settings, runner, chunks)
        _print_table(console, runner.results, time.perf_counter() - started)
        return 0
    except KeyboardInterrupt:
        console.line("\ninterrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - the demo's job is to explain any failure
        console.line()
        err = _azure_error(exc)
        where = ""
        if runner is not None and runner.results and not runner.results[-1].ok:
            failed = runner.results[-1]
            where = f" in {failed.framework} step '{failed.name}'"
        if err is not None:
            headline, detail = type(err).__name__, err.message
        elif isinstance(exc, ImportError):
            headline = type(exc).__name__
            detail = (f"{exc}. The demo needs both frameworks and the emulator: "
                      'pip install "azoai[all]" (or use --framework to run one).')  # fmt: skip
        else:
            headline, detail = f"unexpected {type(exc).__name__}", str(exc)
        console.line(f"error{where}: {headline}")
        console.wrapped("  ", detail)
        if args.verbose:
            console.line()
            console.write("".join(traceback.format_exception(type(exc), exc, exc.__traceback__)))
        else:
            console.line("(run with --verbose for the traceback)")
        return 1
    finally:
        for cleanup in reversed(cleanups):
            try:
                cleanup()
            except Exception:  # noqa: BLE001 - cleanup must not hide the real outcome
                pass


__all__ = ["Order", "calculate", "chunk_corpus", "convert_units", "main"]
