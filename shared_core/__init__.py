"""azoai core: everything about Azure OpenAI on the wire. Public API is declared here."""
