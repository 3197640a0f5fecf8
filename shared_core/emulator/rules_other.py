"""Rules of the route (deployment kind, retired models), legacy completions and embeddings."""

from __future__ import annotations

from typing import Any

from . import azure
from . import behaviour as bh
from .rules import Ctx, rule

JSON = dict[str, Any]

COMPLETION_PARAMS = frozenset(
    "prompt model max_tokens temperature top_p n stream stream_options logprobs suffix echo stop presence_penalty "
    "frequency_penalty best_of logit_bias user seed".split()
)
EMBEDDING_PARAMS = frozenset("input model user input_type encoding_format dimensions".split())
MAX_EMBEDDING_INPUTS = 2048
#: Operation path -> (Azure operation name, deployment kinds that serve it).
OPERATIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "chat/completions": ("chatCompletion", ("chat", "reasoning")),
    "completions": ("completion", ("completions",)),
    "embeddings": ("embeddings", ("embeddings",)),
    "images/generations": ("imageGeneration", ("images",)),
    "images/edits": ("imageEdit", ("images",)),
    "audio/speech": ("audioSpeech", ("speech",)),
    "audio/transcriptions": ("audioTranscription", ("transcription",)),
    "audio/translations": ("audioTranslation", ("transcription",)),
    "responses": ("responses", ("chat", "reasoning")),
}
EMBED_INVALID = "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference."


# --- route ---------------------------------------------------------------------------------


@rule(
    "any.operation_kind",
    "route",
    what="the operation matches the deployment's kind (chat to an embeddings "
    "deployment, embeddings to a chat deployment, ...)",
    code="OperationNotSupported",
    param=None,
    message="The {operation} operation does not work with the specified model, {model}. Please choose different model "
    "and try again. You can learn more about which models can be used with each operation here: "
    "https://go.microsoft.com/fwlink/?linkid=2197993.",
    source="research/azure-rest-surface.md §4 (observed wire text); "
    "issue BerriAI/litellm#11505 (Azure's answer quoted)",
)
def _kind(ctx: Ctx) -> None:
    op_name, kinds = OPERATIONS[ctx.scratch["path"]]
    if ctx.dep.kind not in kinds:
        raise azure.operation_not_supported(op_name, ctx.dep.model)


@rule(
    "any.retired_model",
    "route",
    what="a deployment of a retired model (gpt-35-turbo 0301/0613, gpt-4 0613, o1-mini, dall-e-2, ...)",
    code="OperationNotSupported",
    param=None,
    message="The {operation} operation does not work with "
    "the specified model, {model}. Please choose different model and try again. ...",
    source='Learn concepts/model-retirements ("deployments of a retired model always return error responses"); '
    "issue BerriAI/litellm#11505 (the answer for a retired gpt-35-turbo quoted)",
)
def _retired(ctx: Ctx) -> None:
    if ctx.spec.retired:
        raise azure.operation_not_supported(OPERATIONS[ctx.scratch["path"]][0], ctx.dep.model)


# --- legacy completions ----------------------------------------------------------------------


@rule(
    "completions.unknown_parameter",
    "completions",
    stage=10,
    what="a field the completions schema does not define",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: {name}",
    source="issue Azure/azure-rest-api-specs#29545 (message shape)",
)
def _completion_unknown(ctx: Ctx) -> None:
    for key in ctx.body:
        if key not in COMPLETION_PARAMS:
            raise azure.unrecognized_argument(key)


@rule(
    "completions.prompt",
    "completions",
    stage=20,
    what="`prompt` present, a string or an array of strings",
    code="missing_required_parameter",
    param="prompt",
    message="Missing required parameter: 'prompt'.",
    source="Azure inference spec 2024-10-21 (createCompletionRequest: prompt required)",
)
def _prompt(ctx: Ctx) -> None:
    prompt = ctx.body.get("prompt")
    if prompt is None:
        raise azure.missing_parameter("prompt")
    prompts = [prompt] if isinstance(prompt, str) else prompt
    if not isinstance(prompts, list) or not all(isinstance(p, str) for p in prompts):
        raise azure.invalid_type("prompt", "a string or an array of strings")


@rule(
    "completions.ranges",
    "completions",
    stage=30,
    what="temperature 0..2, max_tokens >= 0, n 1..128, logprobs 0..5",
    code="invalid_value",
    param="{name}",
    message="Invalid '{name}': integer {value} is out of range ...",
    source="Azure inference spec 2024-10-21 (createCompletionRequest bounds)",
)
def _completion_ranges(ctx: Ctx) -> None:
    v = ctx.body.get("temperature")
    if v is not None:
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            raise azure.invalid_type("temperature", "a number")
        if not 0 <= v <= 2:
            raise azure.invalid_value("temperature", f"Invalid 'temperature': {v} is out of range (0 to 2).")
    for name, lo, hi in (("max_tokens", 0, None), ("n", 1, 128), ("logprobs", 0, 5)):
        x = ctx.body.get(name)
        if x is None:
            continue
        if isinstance(x, bool) or not isinstance(x, int):
            raise azure.invalid_type(name, "an integer")
        if x < lo or (hi is not None and x > hi):
            raise azure.invalid_value(
                name,
                f"Invalid '{name}': integer {x} is out of range (minimum {lo})"
                f"{f' (maximum {hi})' if hi is not None else ''}.",
            )


@rule(
    "completions.stream_options.without_stream",
    "completions",
    stage=30,
    what="`stream_options` without `stream: true`",
    code=None,
    param="stream_options",
    message="The 'stream_options' parameter is only allowed when 'stream' is enabled.",
    source="issue BerriAI/litellm#5803 (answer quoted)",
)
def _completion_stream_options(ctx: Ctx) -> None:
    if ctx.body.get("stream_options") is not None and ctx.body.get("stream") is not True:
        raise azure.bad_request(
            "The 'stream_options' parameter is only allowed when 'stream' is enabled.", param="stream_options"
        )


@rule(
    "completions.context_window",
    "completions",
    stage=70,
    what="prompt tokens + max_tokens within the model's context (gpt-35-turbo-instruct: 4,097)",
    code="context_length_exceeded",
    param=None,
    message="This model's maximum "
    "context length is {limit} tokens, however you requested {n} tokens ({p} in your prompt; {m} for the completion). "
    "Please reduce your prompt; or completion length.",
    source="OpenAI completions answer, passed through by Azure",
)
def _completion_context(ctx: Ctx) -> None:
    prompt = ctx.body["prompt"]
    prompts = [prompt] if isinstance(prompt, str) else prompt
    tokens = sum(bh.count_tokens(p) for p in prompts)
    m = ctx.body.get("max_tokens")
    m = 16 if m is None else m
    limit = ctx.spec.context_window
    if tokens + m > limit:
        raise azure.bad_request(
            f"This model's maximum context length is {limit} tokens, however you requested "
            f"{tokens + m} tokens ({tokens} in your prompt; {m} for the completion). Please reduce your "
            "prompt; or completion length.",
            code="context_length_exceeded",
        )


# --- embeddings ------------------------------------------------------------------------------


@rule(
    "embeddings.unknown_parameter",
    "embeddings",
    stage=10,
    what="a field the embeddings schema does not define",
    code=None,
    param=None,
    message="Unrecognized request argument supplied: {name}",
    source="issue Azure/azure-rest-api-specs#29545 (message shape)",
)
def _embedding_unknown(ctx: Ctx) -> None:
    for key in ctx.body:
        if key not in EMBEDDING_PARAMS:
            raise azure.unrecognized_argument(key)


def embedding_inputs(raw: Any) -> list[str]:
    """The texts of ``input``; token-id arrays become their ids joined by spaces."""
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
        return [" ".join(map(str, raw))]
    out = []
    for i, item in enumerate(raw):
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, list) and all(isinstance(t, int) for t in item):
            out.append(" ".join(map(str, item)))
        else:
            raise azure.invalid_type(f"input[{i}]", "a string or an array of integers")
    return out


@rule(
    "embeddings.input",
    "embeddings",
    stage=20,
    what="`input` present: a string, an array of strings, or token-id arrays, none empty",
    code="missing_required_parameter",
    param="input",
    message="Missing required parameter: "
    "'input'. / '$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.",
    source="Azure inference spec 2024-10-21 (createEmbeddingRequest); OpenAI answer for empty input",
)
def _embedding_input(ctx: Ctx) -> None:
    raw = ctx.body.get("input")
    if raw is None:
        raise azure.missing_parameter("input")
    if not isinstance(raw, (str, list)):
        raise azure.invalid_type("input", "a string or an array")
    inputs = embedding_inputs(raw)
    if not inputs or any(s == "" for s in inputs):
        raise azure.bad_request(EMBED_INVALID)
    ctx.scratch["inputs"] = inputs


@rule(
    "embeddings.input_count",
    "embeddings",
    stage=30,
    what="at most 2,048 inputs per request",
    code=None,
    param=None,
    message="Too many inputs. The max number of inputs is 2048.  We hope to increase the number of inputs per request "
    "soon. Please contact us through an Azure support request at: https://go.microsoft.com/fwlink/?linkid=2213926 for "
    "further questions.",
    source='Learn openai/faq ("Too many inputs. The max number of inputs is 16", the older '
    "limit); Azure inference spec 2024-10-21 (input maxItems 2048)",
)
def _embedding_count(ctx: Ctx) -> None:
    if len(ctx.scratch["inputs"]) > MAX_EMBEDDING_INPUTS:
        raise azure.too_many_inputs(MAX_EMBEDDING_INPUTS)


@rule(
    "embeddings.input_tokens",
    "embeddings",
    stage=30,
    what="each input at most 8,191 tokens",
    code="context_length_exceeded",
    param="input",
    message="This model's maximum context length is 8192 tokens, however "
    "you requested {n} tokens ({n} in your prompt; 0 for the completion). Please reduce your prompt; or completion length.",
    source="Azure models page (text-embedding-3: max input 8,191 tokens); OpenAI answer passed through",
)
def _embedding_tokens(ctx: Ctx) -> None:
    for c in (bh.count_tokens(s) for s in ctx.scratch["inputs"]):
        if c > 8191:
            raise azure.bad_request(
                f"This model's maximum context length is 8192 tokens, however you requested {c} tokens "
                f"({c} in your prompt; 0 for the completion). Please reduce your prompt; or completion "
                "length.",
                param="input",
                code="context_length_exceeded",
            )


@rule(
    "embeddings.dimensions",
    "embeddings",
    stage=30,
    what="`dimensions` only on text-embedding-3 models, between 1 and the native size (1,536 small, 3,072 large)",
    code=None,
    param="dimensions",
    message="This model does not support specifying dimensions.",
    source="Learn how-to/embeddings (dimensions: text-embedding-3 and later only)",
)
def _dimensions(ctx: Ctx) -> None:
    dims = ctx.body.get("dimensions")
    if dims is None:
        return
    spec = ctx.spec
    if not (spec.dimensions_option or "text-embedding-3" in ctx.dep.model):
        raise azure.bad_request("This model does not support specifying dimensions.", param="dimensions")
    native = ctx.dep.dimensions or spec.dimensions or 1536
    if isinstance(dims, bool) or not isinstance(dims, int) or not 1 <= dims <= native:
        raise azure.invalid_value(
            "dimensions", f"Invalid value for 'dimensions': must be an integer between 1 and {native}."
        )


@rule(
    "embeddings.encoding_format",
    "embeddings",
    stage=30,
    what="`encoding_format` float or base64",
    code="invalid_value",
    param="encoding_format",
    message="Invalid value: '{value}'. Supported values are: 'float' and 'base64'.",
    source="Azure inference spec 2024-10-21 (encoding_format enum)",
)
def _encoding(ctx: Ctx) -> None:
    fmt = ctx.body.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise azure.invalid_value(
            "encoding_format", f"Invalid value: '{fmt}'. Supported values are: 'float' and 'base64'."
        )
