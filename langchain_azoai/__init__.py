"""LangChain integration for Azure OpenAI, built on shared_core."""
