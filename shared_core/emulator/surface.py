"""The REST surface the emulator serves: Azure OpenAI's api-versions, its operations (deployment-scoped
and resource-level), how a request path maps to one, and the claims of a bearer token.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

JSON = dict[str, Any]

#: Dated api-versions Azure OpenAI serves (inference and authoring), oldest first.
API_VERSIONS = frozenset(
    """
2022-12-01 2023-03-15-preview 2023-05-15 2023-06-01-preview 2023-07-01-preview 2023-08-01-preview 2023-09-01-preview
2023-10-01-preview 2023-12-01-preview 2024-02-01 2024-02-15-preview 2024-03-01-preview 2024-04-01-preview
2024-05-01-preview 2024-06-01 2024-07-01-preview 2024-08-01-preview 2024-09-01-preview 2024-10-01-preview 2024-10-21
2024-12-01-preview 2025-01-01-preview 2025-02-01-preview 2025-03-01-preview 2025-04-01-preview
""".split()
)
V1_VERSIONS = (None, "", "v1", "preview", "latest")

#: operation path -> (Azure operation name for errors, deployment kinds that serve it, rate-limit op id)
SCOPED_OPS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "chat/completions": ("chatCompletion", ("chat", "reasoning"), "ChatCompletions_Create"),
    "completions": ("completion", ("completions",), "Completions_Create"),
    "embeddings": ("embeddings", ("embeddings",), "Embeddings_Create"),
    "images/generations": ("imageGeneration", ("images",), "ImageGenerations_Create"),
    "images/edits": ("imageEdit", ("images",), "ImageEdits_Create"),
    "audio/speech": ("audioSpeech", ("speech",), "AudioSpeech_Create"),
    "audio/transcriptions": ("audioTranscription", ("transcription",), "AudioTranscriptions_Create"),
    "audio/translations": ("audioTranslation", ("transcription",), "AudioTranslations_Create"),
}
UNSCOPED = ("files", "batches", "fine_tuning", "models", "responses")
MULTIPART_OPS = ("images/edits", "audio/transcriptions", "audio/translations")


def parse_path(path: str) -> tuple[str, str | None, str, list[str]] | None:
    """(style, deployment, op, rest) for an Azure OpenAI path, or None."""
    m = re.fullmatch(r"/openai/deployments/([^/]+)/(.+)", path)
    if m:
        op = m.group(2)
        return ("dated", m.group(1), op, []) if op in SCOPED_OPS else None
    style = "dated"
    rest_path = path[len("/openai/") :] if path.startswith("/openai/") else None
    if rest_path is None:
        return None
    if rest_path.startswith("v1/"):
        style, rest_path = "v1", rest_path[3:]
        if rest_path in SCOPED_OPS:
            return style, None, rest_path, []
    parts = rest_path.split("/")
    if parts[0] in UNSCOPED:
        return style, None, parts[0], parts[1:]
    return None


def jwt_claims(token: str) -> JSON | None:
    """The payload of a JWT, decoded WITHOUT verifying its signature (the emulator trusts any signer)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        raw = base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4))
        claims = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    return claims if isinstance(claims, dict) else None
