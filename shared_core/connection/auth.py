"""Credentials: what authenticates a request, and one token cache for every token-based kind.

Kinds
-----
``ApiKeyCredential``
    ``api-key: KEY``. With ``style="bearer"`` it sends ``Authorization: Bearer KEY`` instead (OpenAI
    proper, and the v1 API, which accepts both). ``resolve_credential(key_style="bearer")`` picks it.
``BearerTokenCredential``
    ``Authorization: Bearer TOKEN`` from a *source*: a static Entra ID token, token provider
    callables (sync and/or async), an azure-core ``TokenCredential`` / ``AsyncTokenCredential``
    passed directly, or a named mode built on azure-identity (``identity.py``).
``NoCredential``
    Sends nothing (``azure_auth_mode="none"``): gateways that authenticate on their own.

The token cache (one per ``BearerTokenCredential``)
---------------------------------------------------
* A token is reused until its refresh time: ``refresh_on`` when the source gives one, else 5
  minutes before ``expires_on`` (half-life for tokens that live less than 10 minutes). Past that
  time one caller refreshes while the others keep using the still-valid token; a failed refresh
  keeps the old token (with a warning) until it really expires.
* At most one fetch is in flight, across threads *and* event loops: the flight is a
  ``concurrent.futures.Future`` that waiters block on (threads) or await through
  ``asyncio.wrap_future`` (tasks), so no asyncio lock is bound to a loop.
* A sync source used from async code runs in the loop's default executor, never on the loop. An
  async-only source used from sync code runs on a private event loop in a daemon thread. Named
  modes use the *sync* azure-identity class on both sides (in the executor for async code): no
  aiohttp session tied to one event loop, and one object whose cache both sides share.
* Bare string tokens have no known expiry: the JWT ``exp`` claim is used when the string is a
  JWT; otherwise the token is not cached and the provider is called for every request.
* ``invalidate()`` (after a 401) drops the cached token, and for named modes the azure-identity
  object and so its internal cache too, so the next ``headers()`` really fetches a new token.
  Extensions beyond the contract: ``invalidate(claims=...)`` passes a CAE claims challenge to the
  next azure-identity request (which bypasses its cache), and ``invalidate(rejected_token=...)``
  is a no-op when the cache already holds a different token (so 20 concurrent 401s cause one
  refetch, not 20). A user-supplied azure-identity object or provider keeps its own cache: it
  may hand back the refused token. The fetch after a 401 then asks again (``reset()`` first) after
  growing waits (``refused_wait``: up to 10 s while that token expires within them, else 0.35 s);
  if it still hands that token back, every caller gets one ``AuthenticationError`` (code
  ``RefusedTokenReturned``) saying so, and callers within the time it was asked get it at once.
* ``clock`` (epoch seconds, default ``time.time``), ``sleep`` and ``asleep`` (those waits) are
  public attributes so tests can move time.

Named modes (``azure_auth_mode``): ``key``; ``token``; ``entra`` / ``service_principal``
(``ClientSecretCredential``: tenant_id/AZURE_TENANT_ID, client_id/AZURE_CLIENT_ID,
client_secret/AZURE_CLIENT_SECRET); ``managed`` (``ManagedIdentityCredential``; client_id= or
AZURE_CLIENT_ID selects a user-assigned identity, as DefaultAzureCredential does); ``workload``
(``WorkloadIdentityCredential`` from AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE
and AZURE_AUTHORITY_HOST in ``env``); ``default`` (``DefaultAzureCredential``); ``cli``
(``AzureCliCredential``); ``none``. Aliases such as ``managed_identity`` are accepted. Entra
authorities follow the scope's cloud unless AZURE_AUTHORITY_HOST is set (see ``identity.py``).

Where each part lives (this module re-exports the public names)
-----------------------------------------------------------------
``credentials.py`` the protocol and the three kinds; ``token_sources.py`` where tokens come from;
``token_cache.py`` the cache above; ``credential_resolution.py`` which credential a configuration
gets (and the precedence); ``secret_values.py`` cleaning pasted secrets and reading JWT claims.

Pickling: keys and static tokens travel (a pickle is for another process, which needs them);
cached tokens, locks, threads and live azure-identity objects are dropped and rebuilt lazily. A
user-supplied provider or credential object that cannot be pickled raises
``pickle.PicklingError`` naming it and what to use instead (a module-level function, or an
``azure_auth_mode``) rather than being silently dropped. ``copy``/``deepcopy`` return the same
credential (it is immutable configuration plus a shared cache).
"""

from __future__ import annotations

from shared_core.connection.credential_resolution import AUTH_MODES, resolve_credential
from shared_core.connection.credentials import (
    ApiKeyCredential,
    BearerTokenCredential,
    Credential,
    CredentialKind,
    KeyStyle,
    NoCredential,
)
from shared_core.connection.secret_values import decode_jwt_claims
from shared_core.connection.token_cache import EXPIRY_SKEW, REFRESH_MARGIN, RETRY_DELAY
from shared_core.connection.token_sources import (
    AsyncTokenProvider,
    NamedSource,
    ObjectSource,
    ProviderSource,
    StaticTokenSource,
    TokenProvider,
    TokenSource,
)
from shared_core.errors import TokenAcquisitionError

__all__ = [
    "AUTH_MODES",
    "ApiKeyCredential",
    "AsyncTokenProvider",
    "BearerTokenCredential",
    "Credential",
    "CredentialKind",
    "EXPIRY_SKEW",
    "KeyStyle",
    "NamedSource",
    "NoCredential",
    "ObjectSource",
    "ProviderSource",
    "REFRESH_MARGIN",
    "RETRY_DELAY",
    "StaticTokenSource",
    "TokenAcquisitionError",
    "TokenProvider",
    "TokenSource",
    "decode_jwt_claims",
    "resolve_credential",
]
