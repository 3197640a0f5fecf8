"""Azure's content filter results, as recorded, shared by the chat response and chunk parsing tests."""

from __future__ import annotations

#: a well-formed choice, for tests about other fields (an answer without choices is an error)
OK_CHOICE = [{"index": 0, "message": {"role": "assistant", "content": "ok"}}]


CFR_SAFE = {
    "hate": {"filtered": False, "severity": "safe"},
    "self_harm": {"filtered": False, "severity": "safe"},
    "sexual": {"filtered": False, "severity": "safe"},
    "violence": {"filtered": False, "severity": "safe"},
}
PFR = [{"prompt_index": 0, "content_filter_results": {**CFR_SAFE, "jailbreak": {"filtered": False, "detected": False}}}]
