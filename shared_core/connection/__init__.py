"""Connection: settings to a validated target, URLs and headers for every endpoint kind, credentials.

Decides *where* and *as whom* a request goes; never sends one (token sources call Entra ID through
azure-identity or a user's callable, nothing else).
"""
