"""Rule cases for the other operations: completions, images, speech, transcription, files, batches, embeddings.

Expected answers come from the same sources as in emulator_rule_cases_chat.py (docs/emulator-rules.md).
"""

from __future__ import annotations

from .emulator_rules_support import Case, err

#: A batch over Blob storage (Learn batch-blob-storage): input_file_id null, input_blob and output_folder.url.
_BLOB_BATCH = {
    "input_file_id": None,
    "endpoint": "/chat/completions",
    "completion_window": "24h",
    "input_blob": "http://127.0.0.1/_blob/acct/in/none.jsonl",
    "output_folder": {"url": "http://127.0.0.1/_blob/acct/out"},
}

OPERATION_CASES: dict[str, Case] = {
    "completions.unknown_parameter": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "completions.prompt": (
        "completions",
        "gpt-35-turbo-instruct",
        {},
        err("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'."),
        None,
    ),
    "completions.ranges": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "n": 0},
        err("invalid_value", "n", "Invalid 'n': integer 0 is out of range (minimum 1) (maximum 128)."),
        None,
    ),
    "completions.stream_options.without_stream": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "stream_options": {"include_usage": True}},
        err(None, "stream_options", "The 'stream_options' parameter is only allowed when 'stream' is enabled."),
        None,
    ),
    "completions.context_window": (
        "completions",
        "gpt-35-turbo-instruct",
        {"prompt": "Hi", "max_tokens": 5000},
        {"code": "context_length_exceeded", "param": None},
        None,
    ),
    "images.unknown_parameter": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "images.prompt": (
        "images/generations",
        "dall-e-3",
        {"n": 1},
        err("missing_required_parameter", "prompt", "Missing required parameter: 'prompt'."),
        None,
    ),
    "images.n": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "n": 2},
        err("invalid_value", "n", "You must provide n=1 for this model."),
        None,
    ),
    "images.size": (
        "images/generations",
        "gpt-image-1",
        {"prompt": "a cat", "size": "1792x1024"},
        err(
            "invalid_value",
            "size",
            "The size is not supported by this model. Supported values are: 1024x1024, 1536x1024, 1024x1536, auto.",
        ),
        None,
    ),
    "images.enums": (
        "images/generations",
        "dall-e-3",
        {"prompt": "a cat", "style": "baroque"},
        err("invalid_value", "style", "Invalid value: 'baroque'. Supported values are: 'vivid' and 'natural'."),
        None,
    ),
    "speech.unknown_parameter": (
        "audio/speech",
        "tts",
        {"input": "hi", "voice": "alloy", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "speech.input": (
        "audio/speech",
        "gpt-4o-mini-tts",
        {"voice": "alloy"},
        err("missing_required_parameter", "input", "Missing required parameter: 'input'."),
        None,
    ),
    "speech.voice_format_speed": (
        "audio/speech",
        "tts",
        {"input": "hi", "voice": "alloy", "speed": 5},
        err("invalid_value", "speed", "Invalid 'speed': 5 is out of range (0.25 to 4.0)."),
        None,
    ),
    "transcription.file": (
        "audio/transcriptions",
        "whisper",
        {"__file__": ("notes.txt", b"hello")},
        err(
            None,
            "file",
            "Invalid file format. Supported formats: ['flac', 'm4a', 'mp3', 'mp4', "
            "'mpeg', 'mpga', 'oga', 'ogg', 'wav', 'webm']",
        ),
        None,
    ),
    "transcription.file_size": (
        "audio/transcriptions",
        "gpt-4o-transcribe",
        {"__file__": ("big.wav", b"\0" * (25 * 1024 * 1024 + 1))},
        {
            "code": "RequestEntityTooLarge",
            "message": "Maximum content size limit (26214400) exceeded (26214401 bytes read)",
        },
        None,
    ),
    "transcription.response_format": (
        "audio/transcriptions",
        "whisper",
        {"__file__": ("a.wav", b"RIFF"), "response_format": "docx"},
        err(
            "invalid_value",
            "response_format",
            "Invalid value: 'docx'. Supported values are: 'json', 'text', 'srt', 'verbose_json', and 'vtt'.",
        ),
        None,
    ),
    "files.purpose": (
        "files",
        "",
        {"__file__": ("in.jsonl", b"{}"), "purpose": "training"},
        err(
            "invalid_value",
            "purpose",
            "Invalid value for 'purpose': 'training'. Supported values are: "
            "fine-tune, batch, assistants, evals, vision, user_data.",
        ),
        None,
    ),
    "files.jsonl": (
        "files",
        "",
        {"__file__": ("in.txt", b"{}"), "purpose": "batch"},
        err("invalid_value", "file", "Invalid file format for batch. Only .jsonl files are supported."),
        None,
    ),
    "batches.fields": (
        "batches",
        "",
        {"input_file_id": "file-x", "endpoint": "/completions", "completion_window": "24h"},
        err(
            "invalid_value",
            "endpoint",
            "Invalid value for 'endpoint': '/completions'. Supported values "
            "are: '/chat/completions' and '/embeddings'.",
        ),
        None,
    ),
    "batches.blob_metadata": (
        "batches",
        "",
        _BLOB_BATCH | {"metadata": {"job": "a"}},
        err("invalid_value", "metadata", "'metadata' is not supported when the batch input is a blob ('input_blob')."),
        None,
    ),
    "batches.blob_output_folder": (
        "batches",
        "",
        {k: v for k, v in _BLOB_BATCH.items() if k != "output_folder"},
        err("missing_required_parameter", "output_folder", "Missing required parameter: 'output_folder'."),
        None,
    ),
    "batches.blob_readable": (
        "batches",
        "",
        _BLOB_BATCH,
        err(
            "invalid_value",
            "input_blob",
            "The blob 'http://127.0.0.1/_blob/acct/in/none.jsonl' could not be read with the resource's "
            "managed identity.",
        ),
        None,
    ),
    "embeddings.unknown_parameter": (
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "foo": 1},
        err(None, None, "Unrecognized request argument supplied: foo"),
        None,
    ),
    "embeddings.input": (
        "embeddings",
        "text-embedding-3-small",
        {},
        err("missing_required_parameter", "input", "Missing required parameter: 'input'."),
        None,
    ),
    "embeddings.input_count": (
        "embeddings",
        "text-embedding-3-small",
        {"input": ["a"] * 2049},
        err(
            None,
            None,
            "Too many inputs. The max number of inputs is 2048.  We hope to increase the "
            "number of inputs per request soon. Please contact us through an Azure support request "
            "at: https://go.microsoft.com/fwlink/?linkid=2213926 for further questions.",
        ),
        None,
    ),
    "embeddings.input_tokens": (
        "embeddings",
        "text-embedding-3-small",
        {"input": ["word " * 9000]},
        {"code": "context_length_exceeded", "param": "input"},
        None,
    ),
    "embeddings.dimensions": (
        "embeddings",
        "ada",
        {"input": "hi", "dimensions": 256},
        err(None, "dimensions", "This model does not support specifying dimensions."),
        None,
    ),
    "embeddings.encoding_format": (
        "embeddings",
        "text-embedding-3-small",
        {"input": "hi", "encoding_format": "hex"},
        err("invalid_value", "encoding_format", "Invalid value: 'hex'. Supported values are: 'float' and 'base64'."),
        None,
    ),
}
