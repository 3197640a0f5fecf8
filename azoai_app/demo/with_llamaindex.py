"""The four steps through ``llamaindex_azoai`` (LlamaIndex is imported only when they run)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azoai_app.demo.content import (
    AGENT_QUESTION,
    AGENT_SYSTEM,
    CALCULATOR_DESCRIPTION,
    CONVERT_DESCRIPTION,
    EMBED_BATCH,
    EMBEDDINGS_TOKENS_NOTE,
    MAX_AGENT_TURNS,
    RAG_QUESTIONS,
    RAG_SYSTEM,
    SEARCH_DESCRIPTION,
    STRUCTURED_EMAIL,
    STRUCTURED_SYSTEM,
    TOP_K,
    CalculatorArgs,
    ConvertArgs,
    Order,
    SearchArgs,
)  # fmt: skip
from azoai_app.demo.corpus import Chunk, format_context, format_passages, unique_sources
from azoai_app.demo.report import shorten, show_order
from azoai_app.demo.settings import DemoSettings
from azoai_app.demo.steps import Runner, Step
from azoai_app.demo.tools import calculate, convert_units


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
    with runner.step(
        fw, 1, "index", "RAG: chunk, embed and index the corpus (AzureOpenAIEmbedding + VectorStoreIndex)"
    ) as st:
        st.tokens_note = EMBEDDINGS_TOKENS_NOTE
        con.write(f"  embedding {len(nodes)} chunks:")
        for i in range(0, len(nodes), EMBED_BATCH):
            batch = nodes[i : i + EMBED_BATCH]
            for node, vector in zip(batch, embed_model.get_text_embedding_batch([n.text for n in batch]), strict=False):
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
        return format_passages(retrieve(query))

    tools = [
        FunctionTool.from_defaults(fn=search_docs, name="search_docs", description=SEARCH_DESCRIPTION, fn_schema=SearchArgs),
        FunctionTool.from_defaults(fn=calculate, name="calculator", description=CALCULATOR_DESCRIPTION, fn_schema=CalculatorArgs),
        FunctionTool.from_defaults(fn=convert_units, name="convert_units", description=CONVERT_DESCRIPTION, fn_schema=ConvertArgs),
    ]  # fmt: skip
    by_name = {t.metadata.name: t for t in tools}
    with runner.step(
        fw, 3, "agent", "Agent: tool-calling loop (chat_with_tools) over search_docs, calculator, convert_units"
    ):
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
                con.line(f"  tool result {shorten(output)}")
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


__all__ = ["run_llamaindex"]
