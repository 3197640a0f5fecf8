"""The local Azure OpenAI emulator."""
