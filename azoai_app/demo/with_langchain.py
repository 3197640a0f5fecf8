"""The four steps through ``langchain_azoai`` (LangChain is imported only when they run)."""

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
    with runner.step(
        fw, 1, "index", "RAG: chunk, embed and index the corpus (AzureOpenAIEmbeddings + InMemoryVectorStore)"
    ) as st:
        st.tokens_note = EMBEDDINGS_TOKENS_NOTE
        con.write(f"  embedding {len(chunks)} chunks:")
        for i in range(0, len(chunks), EMBED_BATCH):
            batch = chunks[i : i + EMBED_BATCH]
            store.add_documents(
                [
                    Document(page_content=c.text, metadata={"source": c.source, "title": c.title, "body": c.body})
                    for c in batch
                ]
            )
            con.write(f" {min(i + EMBED_BATCH, len(chunks))}")
        con.line(" done")

    def retrieve(query: str, k: int = TOP_K) -> list[Chunk]:
        return [
            Chunk(d.metadata["source"], d.metadata["title"], d.metadata["body"])
            for d in store.similarity_search(query, k=k)
        ]

    with runner.step(
        fw, 2, "rag", "RAG: three questions answered from the corpus, with citations (last one streamed)"
    ) as st:
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
        return format_passages(retrieve(query))

    tools = [
        StructuredTool.from_function(search_docs, name="search_docs", description=SEARCH_DESCRIPTION, args_schema=SearchArgs),
        StructuredTool.from_function(calculate, name="calculator", description=CALCULATOR_DESCRIPTION, args_schema=CalculatorArgs),
        StructuredTool.from_function(convert_units, name="convert_units", description=CONVERT_DESCRIPTION, args_schema=ConvertArgs),
    ]  # fmt: skip
    by_name = {t.name: t for t in tools}
    with runner.step(
        fw, 3, "agent", "Agent: tool-calling loop (bind_tools) over search_docs, calculator, convert_units"
    ) as st:
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
                con.line(f"  tool result {shorten(output)}")
                history.append(ToolMessage(output, tool_call_id=call["id"] or ""))
        else:
            con.line(f"  (stopped after {MAX_AGENT_TURNS} model turns)")
        con.wrapped("  A: ", history[-1].text if isinstance(history[-1], AIMessage) else "(no answer)")

    with runner.step(
        fw, 4, "structured", "Structured output: with_structured_output(Order) -> validated Pydantic object"
    ) as st:
        con.wrapped("  email: ", STRUCTURED_EMAIL)
        structured = llm.with_structured_output(Order, include_raw=True)
        out: Any = structured.invoke([SystemMessage(STRUCTURED_SYSTEM), HumanMessage(STRUCTURED_EMAIL)])
        if isinstance(out.get("raw"), BaseMessage):
            record(st, out["raw"])
        if out.get("parsing_error") is not None:
            raise out["parsing_error"]
        show_order(con, out["parsed"])


__all__ = ["run_langchain"]
