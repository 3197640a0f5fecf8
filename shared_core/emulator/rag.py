"""RAG prompts: the question and the retrieved passages, apart from the template around them.

Frameworks wrap passages in templates (LlamaIndex's text_qa and refine templates with their dashed
rules, LangChain's "Use the following pieces of context..." prompts); a model answers from the
passages and ignores the template's wording, and says so when the passages do not hold the answer.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .text import JSON, content_words, message_text, words

_MARKER = re.compile(
    r"^[ \t]*(?:question|query|q|user question|the original query is as follows)[ \t]*:[ \t]*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_RULE_LINE = re.compile(r"^[ \t]*[-=_*~#]{3,}[ \t]*$", re.MULTILINE)
_ANSWER_LINE = re.compile(
    r"^[ \t]*(?:helpful |refined |new |final )?answer[ \t]*:[ \t]*$", re.IGNORECASE | re.MULTILINE
)
_LABEL_PREFIX = re.compile(
    r"^[ \t]*(?:new context|context(?: information)?|retrieved context|documents?|passages?|sources?|"
    r"original answer|existing answer|we have provided an existing answer)[ \t]*:[ \t]*",
    re.IGNORECASE | re.MULTILINE,
)
_METADATA_LINE = re.compile(
    r"^[ \t]*(?:file_path|file_name|file_type|file_size|creation_date|last_modified_date|page_label|doc_id|"
    r"ref_doc_id|source|document_id)[ \t]*:.*$",
    re.IGNORECASE | re.MULTILINE,
)
#: sentences of the templates themselves: instructions to the model, never facts to quote
_TEMPLATE = re.compile(
    r"context information|information is below|prior knowledge|the (?:following|provided|given|new|above) (?:pieces of )?"
    r"(?:retrieved )?(?:context|information|passages|documents)|answer the (?:query|question)|"
    r"\byou are an?\b|if you don'?t know|just say that you don'?t know|don'?t try to make up|"
    r"never (?:directly )?reference|avoid statements|refine the (?:original )?answer|existing answer|"
    r"original (?:query|answer)|opportunity to refine|three sentences maximum|keep the answer concise|"
    r"question-answering tasks|rules to follow|trusted around the world|repeat the original|"
    r"when in doubt|rewrite\*?\*? an original|operates in two modes|cite (?:your )?sources|"
    r"answer (?:only )?from the context|use the context|context (?:isn'?t|is not) useful",
    re.IGNORECASE,
)


def is_template(sentence: str) -> bool:
    return bool(_TEMPLATE.search(sentence))


def clean_context(text: str) -> str:
    """The passages of a prompt, without rules, labels, metadata lines and answer cues."""
    text = _RULE_LINE.sub("\n", text)
    text = _ANSWER_LINE.sub("\n", text)
    text = _METADATA_LINE.sub("\n", text)
    text = _LABEL_PREFIX.sub("\n", text)
    return text


def rag_parts(messages: Sequence[JSON]) -> tuple[str, str]:
    """(context, question) of a chat request, wherever the template puts either."""
    users = [m for m in messages if m.get("role") == "user"]
    last = message_text(users[-1]) if users else ""
    systems = [message_text(m) for m in messages if m.get("role") in ("system", "developer")]
    question = ""
    source = last
    markers = list(_MARKER.finditer(last))
    if not markers:
        for s in systems:
            found = list(_MARKER.finditer(s))
            if found and found[-1].group(1).strip():
                markers, source = found, s
    body = last
    if markers:
        m = next((x for x in reversed(markers) if x.group(1).strip()), markers[-1])
        question = m.group(1).strip()
        if not question:
            rest = source[m.end() :].strip().split("\n")
            question = rest[0].strip() if rest else ""
        if source is last:
            body = last[: m.start()] + "\n" + last[m.end() :]
    else:
        lines = [ln for ln in last.strip().split("\n") if ln.strip()]
        if len(lines) > 1:
            idx = next((i for i in range(len(lines) - 1, -1, -1) if lines[i].strip().endswith("?")), len(lines) - 1)
            question = lines[idx].strip()
            body = "\n".join(lines[:idx] + lines[idx + 1 :])
        else:
            question, body = last.strip(), ""
    pieces = [p for p in systems if len(words(p)) >= 12]
    if body.strip():
        pieces.append(body)
    return clean_context("\n\n".join(pieces)), question


#: question words that say how to answer, not what about: they need not appear in the context
_GENERIC = frozenset(content_words("much many long often kind type mean happens happen exactly called name named"))
_KEY_TOKEN = re.compile(r"(?<!^)(?<![.?!]\s)\b(?:[A-Z][A-Za-z0-9-]*|[A-Za-z]*\d[\w.-]*)")


def _keys(text: str) -> set[str]:
    """Content words with possessives folded ("Contoso's" meets "Contoso")."""
    return content_words(re.sub(r"['’]s\b", "", text).replace("-", " "))


def unanswered(context: str, question: str, best: Sequence[str]) -> bool:
    """Whether the passages leave the question open: a name or number it asks about appears nowhere
    in them, the best passage shares under half of its content words, or (a short question) it misses
    a third of them while another word of the question appears nowhere in the passages."""
    q = (_keys(question) - _GENERIC) or _keys(question)  # "What is my name?": its only word is generic
    context_words = _keys(context)
    if not q or not best:
        return True
    for tok in _KEY_TOKEN.findall(question.strip()):
        stems = _keys(tok)
        if stems and not stems & context_words and not stems <= _GENERIC:
            return True
    covered = q & set().union(*(_keys(s) for s in best))
    if len(covered) * 2 < len(q):
        return True
    # a word of the question the passages never use ("wattage"), and a best passage that misses much
    return bool(q - context_words) and len(covered) * 3 < len(q) * 2 and len(q) <= 4


_QUESTION_WORDS = frozenset(
    "what who whom whose when where which why how does do did is are was were can could".split()
)


def not_in_context(question: str) -> str:
    q = question.strip().rstrip("?.! ")
    if q.split() and q.split()[0].lower() in _QUESTION_WORDS:
        q = q[:1].lower() + q[1:]
    return f"The context does not say {q}." if q else "The context does not say."
