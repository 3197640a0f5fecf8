"""Render ``docs/emulator-rules.md`` from the rule table (``python -m shared_core.emulator.ruledoc > docs/emulator-rules.md``).

The document is generated, never edited by hand: a test compares it with :func:`render`.
"""

from __future__ import annotations

from .catalog import CATALOG, ModelSpec
from .config import infer_kind
from .rules import PENDING_CLIENT_FIXES, Rule, load

#: What the emulator cannot know, and so accepts (or decides by a documented stand-in rule).
LIMITATIONS: tuple[tuple[str, str], ...] = (
    (
        "Image URLs",
        "The emulator downloads nothing. An http(s) image URL is reachable only when it points at the "
        "emulator's own blob store or its host is in `image_url_hosts` (config file key or `create_app(image_url_hosts=...)`); "
        "every other URL gets the answer of rule `chat.content.image_reachable`. Real Azure may fail on a listed host "
        "(timeouts, size limits, domains it refuses) and may fetch an unlisted one.",
    ),
    (
        "Image size and count",
        "Azure limits image bytes (20 MB) and images per request (model-dependent); the emulator "
        "checks only that `data:` bytes are base64 and a PNG/JPEG/GIF/WEBP header, not their size or count.",
    ),
    (
        "Token counts",
        "Prompt and completion tokens are estimated (~4 characters per token), not counted with the "
        "model's tokenizer: context-window and per-input limits trip near, not exactly at, Azure's boundary.",
    ),
    ("Content filtering", "Only the configured trigger terms are filtered; anything else passes."),
    (
        "`n` on reasoning models, `seed`, `stop` lengths, `logit_bias` keys, `metadata`/`store`, `prediction`, `audio`, "
        "`modalities`, `service_tier`, `data_sources`",
        "Accepted without model-specific checks (no public Azure answer found to copy).",
    ),
    (
        "Strict-mode keywords",
        "Only the keywords listed in `STRICT_UNSUPPORTED` are refused; OpenAI's accepted set "
        "changes over time (e.g. `pattern`, `format`, `minimum` are accepted today).",
    ),
    (
        "Unknown models",
        "A deployment of a model missing from the catalog is served as a permissive 128k chat model "
        "(or its configured kind).",
    ),
    (
        "api-version gating",
        "Gated on dated api-versions only where Azure's refusal is on record: json_schema "
        "before 2024-08-01-preview, parallel_tool_calls on 2024-05-01-preview and older. Learn's changelog dates other "
        "fields (stream_options, max_completion_tokens: 2024-09-01-preview; embeddings dimensions/encoding_format: "
        "2024-03-01-preview), but real traffic shows stream_options accepted on 2024-08-01-preview and encoding_format on "
        "2023-05-15, so they are accepted on every dated api-version.",
    ),
    (
        "Images and audio",
        "Enum values (size per model, quality, style, voice, formats) are refused as Azure does; "
        "model-specific combinations beyond size (e.g. `style` or `response_format: url` on gpt-image-1) are accepted.",
    ),
    (
        "Responses: built-in tools",
        "The emulator reaches nothing outside. A web search, file search, code interpreter or image generation tool "
        "yields one call item of the documented shape when the question fits its domain (search / files / calculate / "
        "draw), with no results; remote MCP servers are listed with no tools; image generation returns a small PNG.",
    ),
    (
        "Responses: stored state",
        "Stored responses live in memory per emulator instance (one region), never expire (Azure keeps them 30 days) "
        "and are cleared by `POST /_emulator/reset`. Unknown ids on GET/DELETE/cancel/input_items get OpenAI's 404 "
        "(`Response with id '...' not found.`); no Azure recording of that answer exists.",
    ),
    (
        "Responses: background and resume",
        "A background response is queued for the first third of `background_seconds` (config key; default 3) of the "
        "emulator's clock, then in progress, then done; a background stream sends every event at once. Resuming "
        "(`GET .../responses/{id}?stream=true&starting_after=N`) is answered for background responses only.",
    ),
    (
        "Responses: encrypted reasoning",
        "`encrypted_content` is the emulator's own sealed blob (Fernet-like `gAAAAA` prefix): blobs issued by real Azure "
        "are refused as unverifiable (rule `responses.reasoning_item.encrypted_content`).",
    ),
    (
        "Files and batches",
        "Checks that depend on stored state (the input file exists and has purpose `batch`) stay in "
        "`jobs.py` (404 `NotFound`, 400 `invalid_value`); each batch line is answered by the chat and embeddings rules "
        "above. `batch_input` rows do not answer the request: a batch that breaks one goes `failed` once validated, "
        "with the row's code and message in `errors.data`. Token counts for the enqueued-token quota use the "
        "emulator's estimate. `expires_after` is not checked.",
    ),
)


def _cell(text: str | int | None) -> str:
    return "" if text is None else str(text).replace("|", "\\|").replace("\n", " ")


def _row(r: Rule) -> str:
    pending = (
        f" **Pending:** enforced once fixed: {PENDING_CLIENT_FIXES[r.id]}." if r.id in PENDING_CLIENT_FIXES else ""
    )
    return (
        "| "
        + " | ".join(
            (
                f"`{r.id}`",
                _cell(r.what) + pending,
                str(r.status),
                _cell(r.code and f"`{r.code}`"),
                _cell(r.param and f"`{r.param}`"),
                _cell(r.message),
                _cell(r.source),
            )
        )
        + " |"
    )


def _retired(s: ModelSpec) -> str:
    if s.retired:
        return f"**retired** {s.retired_since}".strip()
    return f"retired from {s.retired_since} (by the emulator's clock)" if s.retired_since else ""


def render() -> str:
    """The whole document."""
    rules = load()
    out = [
        "# Emulator request rules",
        "",
        "Generated from `shared_core/emulator/rules*.py` by `python -m shared_core.emulator.ruledoc`; do not edit by "
        "hand (`tests/integration/test_emulator_rules_table.py` fails when this file and the code differ).",
        "",
        "Each row is one check the emulator makes before it answers, with the status, `code`, `param` and message "
        "Azure returns for a request that breaks it, and where that answer comes from: `azure-recordings/<path>` is a "
        "real response in the shared Azure recordings, `issue owner/repo#N` a public issue quoting Azure's (or the "
        "model service's, which Azure passes through) answer, Learn/spec a Microsoft document. Placeholders in braces "
        "stand for request values. Rules run by operation, in table order; the first broken rule answers. Every row "
        "applies to both route styles (`/openai/deployments/{d}/...?api-version=` and `/openai/v1/...` with `model` "
        "in the body); api-version rows apply to dated routes only (v1 serves every feature).",
        "",
        "| id | what is checked | status | code | param | message | source |",
        "|---|---|---|---|---|---|---|",
    ]
    out += [_row(r) for r in rules]
    out += [
        "",
        "## Pending client fixes",
        "",
        "Rules kept in the table but switched off (`PENDING_CLIENT_FIXES` in `rules.py`) because our own client "
        "still sends the refused request in a test; each is enforced once the client bug is fixed:",
        "",
    ]
    out += [f"- `{k}`: {v}" for k, v in PENDING_CLIENT_FIXES.items()] or ["- none"]
    out += ["", "## What the emulator cannot know (permissive)", ""]
    out += [f"- **{what}**: {how}" for what, how in LIMITATIONS]
    out += [
        "",
        "## Models",
        "",
        "Limits and capabilities per model (`shared_core/emulator/catalog.py`; Learn `models-sold-directly-by-azure`, "
        "`model-retirements`). Retired models answer every request with rule `any.retired_model`.",
        "",
        "| model | version | context | max output | reasoning | sampling | parallel_tool_calls | vision | "
        "reasoning_effort | retired |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, s in sorted(CATALOG.items()):
        kind = infer_kind(name)
        if kind in ("images", "speech", "transcription"):
            out.append(f"| `{name}` | {s.version} | - | - | - | - | - | - | - | {_retired(s)} |")
            continue
        chat = kind in ("chat", "reasoning")
        out.append(
            f"| `{name}` | {s.version} | {s.context_window:,} | {s.max_output:,} | {'yes' if s.reasoning else 'no'} "
            f"| {s.sampling if chat else '-'} | {('yes' if s.parallel_tool_calls else 'no') if chat else '-'} | "
            f"{('yes' if s.vision else 'no') if chat else '-'} | {', '.join(s.efforts) or '-'} | "
            f"{_retired(s)} |"
        )
    return "\n".join(out) + "\n"


if __name__ == "__main__":  # pragma: no cover
    print(render(), end="")
