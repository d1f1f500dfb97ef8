"""Which CDS clients may call the service: the CDS Hooks 2.0 JWT profile, verified (PyJWT).

The specification's "Trusting CDS Clients": every call carries `Authorization: Bearer
<JWT>`, signed by the client's private key with an asymmetric algorithm (never `none`,
never HMAC, whose shared secret would let the service sign as the client). The header
names the key (`kid`, REQUIRED) and may name the client's key set (`jku`); the payload
names the issuer (`iss`), the endpoint called (`aud`: the URL of discovery, of a service or
of its feedback), expiry and issue time (`exp`, `iat`) and a nonce (`jti`). 2.0.1 has no
`sub` (it was dropped from the payload table), so it is read when sent and never required.

The service trusts a configured list of issuers, each with its key set (a JWKS URL or a
JWKS file): an issuer not on the list is refused before any key is looked at, and a `jku`
is never fetched: it must be the URL configured for its issuer (the specification's
"allowlist of iss and jku urls"). A JWKS URL is read again after five minutes, or at once
when a token names a key it lacks (a rotated key), at most once every 30 seconds, so a
stream of made-up key ids cannot make the service hammer the client's server. A `jti` is
remembered until its token expires: a token seen twice is refused (a replay). Tokens may
live five minutes at most, so that memory stays small; clocks may differ by 30 seconds.

`ClientTrust.verify` answers the calling client or raises `Refused` (HTTP 401, its message
says what is wrong in words a client's IT team can act on, and never repeats the token) or
`KeysUnavailable` (HTTP 503: the client's key set could not be read; not the client's fault).

Token ids are remembered by a `ReplayGuard`: in this process's memory by default
(`MemoryReplayGuard`, enough for the CDS service on its own); the web app gives the store's
(`store.token_ids.DatabaseReplayGuard`), shared by every worker process, so a token replayed
to another worker within its five minutes is refused too.
"""

from __future__ import annotations

import heapq
import ipaddress
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol
from urllib.parse import urlsplit

import anyio
import httpx
import jwt

from rlsiron.io.cdshooks.fhir_client import new_http_client

# RFC 7518's asymmetric signatures (and RFC 8037's EdDSA); HS* and none are refused.
ALGORITHMS: Final = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
REQUIRED_CLAIMS: Final = ("iss", "aud", "exp", "iat", "jti")
LEEWAY_SECONDS: Final = 30  # how far the client's clock may be from ours
LIFETIME_SECONDS: Final = 300  # a token may expire at most this far ahead
JWKS_MAX_AGE_SECONDS: Final = 300  # a JWKS URL is read again after this long
JWKS_REFETCH_SECONDS: Final = 30  # an unknown kid reads the URL again at most this often
_SHOWN: Final = 120  # characters of a caller's value repeated in a message

Jwk = Mapping[str, Any]


class Refused(Exception):
    """The call is not from a trusted CDS client (HTTP 401); the message says why."""


class KeysUnavailable(Exception):
    """The issuer's key set could not be read, so nothing can be verified (HTTP 503)."""


@dataclass(frozen=True, slots=True)
class CdsClient:
    """Who called: the token's issuer, and what it said of itself."""

    issuer: str
    subject: str | None
    tenant: str | None


class KeySource(Protocol):
    """An issuer's JWK Set: its keys by `kid`."""

    async def keys(self, *, refresh: bool) -> Mapping[str, Jwk]:
        """The keys; `refresh` asks for a new reading when the source can give one."""
        ...


def _by_kid(text: str, where: str) -> dict[str, Jwk]:
    """The keys of a JWK Set document that have a `kid` (a token must name its key)."""
    try:
        document = json.loads(text)
    except ValueError:
        raise KeysUnavailable(f"{where} is not JSON") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise KeysUnavailable(f"{where} is not a JWK Set (no keys list)")
    return {
        key["kid"]: key for key in keys if isinstance(key, dict) and isinstance(key.get("kid"), str)
    }


@dataclass
class JwksFile:
    """A JWK Set kept in a file (given out of band); read again when the file changes."""

    path: Path
    _seen: tuple[int, dict[str, Jwk]] | None = field(default=None, repr=False)

    async def keys(self, *, refresh: bool) -> Mapping[str, Jwk]:
        del refresh  # the file's modification time says when to read it again
        try:
            changed = self.path.stat().st_mtime_ns
            if self._seen is None or self._seen[0] != changed:
                self._seen = (changed, _by_kid(self.path.read_text("utf-8"), str(self.path)))
        except OSError as exc:
            raise KeysUnavailable(
                f"the JWKS file {self.path} cannot be read ({exc.strerror})"
            ) from None
        return self._seen[1]


@dataclass
class JwksUrl:
    """A JWK Set at the client's URL, kept for `JWKS_MAX_AGE_SECONDS`."""

    url: str
    new_client: Callable[[], httpx.AsyncClient] = new_http_client
    clock: Callable[[], float] = time.monotonic
    _keys: dict[str, Jwk] = field(default_factory=dict, repr=False)
    _read_at: float | None = field(default=None, repr=False)
    _lock: anyio.Lock = field(default_factory=anyio.Lock, repr=False)

    async def keys(self, *, refresh: bool) -> Mapping[str, Jwk]:
        async with self._lock:  # concurrent calls wait for one reading
            if self._stale(refresh):
                self._keys = await self._read()
                self._read_at = self.clock()
        return self._keys

    def _stale(self, refresh: bool) -> bool:
        if self._read_at is None:
            return True
        age = self.clock() - self._read_at
        return age >= JWKS_MAX_AGE_SECONDS or (refresh and age >= JWKS_REFETCH_SECONDS)

    async def _read(self) -> dict[str, Jwk]:
        try:
            async with self.new_client() as client:
                response = await client.get(self.url, headers={"Accept": "application/json"})
        except httpx.HTTPError as exc:
            raise KeysUnavailable(
                f"the JWKS URL {self.url} could not be read ({type(exc).__name__})"
            ) from None
        if response.status_code != httpx.codes.OK:
            raise KeysUnavailable(f"the JWKS URL {self.url} answered HTTP {response.status_code}")
        return _by_kid(response.text, f"the answer of {self.url}")


def _loopback(host: str | None) -> bool:
    if host == "localhost":
        return True
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(url: str, what: str) -> str:
    """An https URL (plain http only on this machine, for tests and development), without
    a trailing slash."""
    parts = urlsplit(url)
    if parts.scheme == "https" or (parts.scheme == "http" and _loopback(parts.hostname)):
        return url.rstrip("/")
    raise ValueError(f"{what} must be an https URL (http only for localhost): {url!r}")


def key_source(
    location: str, new_client: Callable[[], httpx.AsyncClient] = new_http_client
) -> KeySource:
    """A JWKS source from configuration: an http(s) URL, or the path of a JWKS file."""
    if urlsplit(location).scheme in ("http", "https"):
        return JwksUrl(checked_url(location, "a JWKS URL"), new_client)
    path = Path(location).expanduser()
    if not path.is_file():
        raise ValueError(f"no JWKS file at {path}")
    return JwksFile(path)


class ReplayGuard(Protocol):
    async def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        """Whether this issuer's `jti` is new, remembering it until `expires` (epoch s)."""
        ...


class MemoryReplayGuard:
    """The `jti`s of unexpired tokens seen by this process."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._seen: set[tuple[str, str]] = set()
        self._expiries: list[tuple[float, tuple[str, str]]] = []  # a heap, soonest first

    async def first_use(self, issuer: str, jti: str, expires: float) -> bool:
        now = self._clock()
        while self._expiries and self._expiries[0][0] + LEEWAY_SECONDS < now:
            self._seen.discard(heapq.heappop(self._expiries)[1])
        key = (issuer, jti)
        if key in self._seen:
            return False
        self._seen.add(key)
        heapq.heappush(self._expiries, (expires, key))
        return True


def _shown(value: object) -> str:
    text = repr(value)
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "..."


_CLAIM_PROBLEMS: Final[tuple[tuple[type[jwt.InvalidTokenError], str], ...]] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is issued in the future (iat): check the clocks"),
    (jwt.InvalidSignatureError, "the token's signature does not verify with its key"),
    (jwt.InvalidAudienceError, "the token's audience (aud) is not this endpoint"),
)


class ClientTrust:
    """The issuers this service trusts, each with its keys, and where the service is."""

    def __init__(
        self,
        issuers: Mapping[str, KeySource],
        public_url: str,
        replay: ReplayGuard | None = None,
    ) -> None:
        if not issuers:
            raise ValueError("a ClientTrust needs at least one issuer")
        self.issuers = dict(issuers)
        self.public_url = checked_url(public_url, "the CDS service's public URL")
        self.replay = replay or MemoryReplayGuard()

    @classmethod
    def configured(
        cls,
        issuers: Mapping[str, str],
        public_url: str | None,
        new_client: Callable[[], httpx.AsyncClient] = new_http_client,
        replay: ReplayGuard | None = None,
    ) -> ClientTrust | None:
        """From settings: issuer -> JWKS URL or file. No issuers: None (nothing verified).
        `replay` remembers token ids (in this process's memory when not given)."""
        if not issuers:
            return None
        if public_url is None:
            raise ValueError(
                "trusted CDS issuers need the service's public URL (the tokens' audience), "
                "for example https://rlsiron.example.org/cds-services"
            )
        sources = {issuer: key_source(where, new_client) for issuer, where in issuers.items()}
        return cls(sources, public_url, replay)

    def audience(self, endpoint: str) -> str:
        """The `aud` a call to `endpoint` ("", "/service-id", "/service-id/feedback") carries."""
        return self.public_url + endpoint

    async def verify(self, authorization: str | None, endpoint: str) -> CdsClient:
        """The client, if the request's bearer JWT is one of a trusted client, for `endpoint`,
        and not seen before; else `Refused` (or `KeysUnavailable`)."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Refused(
                "no bearer token: a CDS client sends a signed JWT (Authorization: Bearer <JWT>)"
            )
        token = token.strip()
        try:
            header = jwt.get_unverified_header(token)
            unverified = jwt.decode(token, options={"verify_signature": False})
        except jwt.InvalidTokenError:
            raise Refused("the bearer token is not a JWT") from None
        algorithm, kid, issuer = header.get("alg"), header.get("kid"), unverified.get("iss")
        if algorithm not in ALGORITHMS:
            raise Refused(
                f"the token is signed with {_shown(algorithm)}; accepted: "
                f"{', '.join(sorted(ALGORITHMS))} (asymmetric, as CDS Hooks requires)"
            )
        if not isinstance(kid, str) or not kid:
            raise Refused("the token's header names no key (kid)")
        if str(header.get("typ", "JWT")).upper() != "JWT":
            raise Refused(f"the token's type (typ) is {_shown(header.get('typ'))}, not JWT")
        if not isinstance(issuer, str) or issuer not in self.issuers:
            raise Refused(f"the token's issuer (iss) {_shown(issuer)} is not trusted here")
        source = self.issuers[issuer]
        jku = header.get("jku")
        if jku is not None and isinstance(source, JwksUrl) and str(jku).rstrip("/") != source.url:
            raise Refused("the token's jku is not the JWKS URL configured for its issuer")
        key = await self._key(source, kid, algorithm)
        claims = self._claims(token, key, algorithm, issuer, endpoint)
        if not await self.replay.first_use(issuer, claims["jti"], float(claims["exp"])):
            raise Refused("the token was used before (jti): a client signs a new one per call")
        subject, tenant = claims.get("sub"), claims.get("tenant")
        return CdsClient(
            issuer,
            subject if isinstance(subject, str) else None,
            tenant if isinstance(tenant, str) else None,
        )

    async def _key(self, source: KeySource, kid: str, algorithm: str) -> jwt.PyJWK:
        jwk = (await source.keys(refresh=False)).get(kid)
        if jwk is None:  # perhaps a key rotated in since the last reading
            jwk = (await source.keys(refresh=True)).get(kid)
        if jwk is None:
            raise Refused(f"the issuer's key set has no key {_shown(kid)} (kid)")
        if jwk.get("use", "sig") != "sig":
            raise Refused(f"key {_shown(kid)} is not a signing key (use)")
        if jwk.get("alg", algorithm) != algorithm:
            raise Refused(f"key {_shown(kid)} is for {_shown(jwk['alg'])}, not {algorithm}")
        try:
            return jwt.PyJWK(dict(jwk), algorithm)
        except jwt.PyJWTError:
            raise Refused(f"key {_shown(kid)} cannot verify {algorithm}") from None

    def _claims(
        self, token: str, key: jwt.PyJWK, algorithm: str, issuer: str, endpoint: str
    ) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[algorithm],
                audience=self.audience(endpoint),
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.MissingRequiredClaimError as exc:
            raise Refused(f"the token lacks the {exc.claim} claim") from None
        except jwt.InvalidTokenError as exc:
            known = (text for kind, text in _CLAIM_PROBLEMS if isinstance(exc, kind))
            raise Refused(next(known, f"the token is not valid ({exc})")) from None
        if float(claims["exp"]) > time.time() + LIFETIME_SECONDS + LEEWAY_SECONDS:
            raise Refused("the token expires more than 5 minutes ahead (exp)")
        if not claims["jti"]:
            raise Refused("the token's jti is empty")
        return claims
