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

Modules: ``command`` (the ``azoai demo`` command), ``settings`` (the target: emulator or resource),
``content`` (questions, prompts and schemas), ``corpus`` (chunks and citations), ``tools`` (the
agent's calculator and unit converter), ``steps`` (the wire meter and the step runner), ``report``
(what is printed), ``with_langchain`` / ``with_llamaindex`` (the four steps through each framework,
imported only when that framework runs).
"""

from __future__ import annotations

from azoai_app.demo.command import main
from azoai_app.demo.content import EMBED_BATCH, RAG_EXPECTED_SOURCES, RAG_QUESTIONS, Order
from azoai_app.demo.corpus import chunk_corpus
from azoai_app.demo.tools import calculate, convert_units

__all__ = [
    "EMBED_BATCH",
    "RAG_EXPECTED_SOURCES",
    "RAG_QUESTIONS",
    "Order",
    "calculate",
    "chunk_corpus",
    "convert_units",
    "main",
]
