"""The CDS Hooks service verifies the EHR's signed JWT, and reads only the FHIR servers it may.

Keys are generated here (RSA for RS256, P-384 for ES384, as the specification recommends);
a key set comes from a JWKS file or from a real HTTP server on 127.0.0.1. Every refusal is
a 401 whose problem says what is wrong, and never an answer that reached the engine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from fastapi import FastAPI
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from rlsiron.io.cdshooks.router import create_app
from rlsiron.io.cdshooks.services import ORDER_SIGN, PATIENT_VIEW, SERVICES
from rlsiron.io.cdshooks.trust import (
    JWKS_REFETCH_SECONDS,
    ClientTrust,
    JwksFile,
    JwksUrl,
    key_source,
)
from tests.io.fhir_stand_in import SMART_PATIENT, FhirStandIn, smart_patient
from tests.io.test_cdshooks import (
    AMOXICILLIN,
    TODAY,
    call,
    draft_orders,
    hook_request,
    medication_order,
)
from tests.servers import free_port, wait_until_serving

PUBLIC_URL = "https://rlsiron.example.org/cds-services"
EHR = "https://ehr.example.org/"
OTHER_EHR = "https://other-ehr.example.org/"
NOT_IRON = draft_orders(medication_order("amox-1", AMOXICILLIN))


@dataclass
class Signer:
    """One CDS client's key pair and how it signs."""

    issuer: str
    algorithm: str
    kid: str
    private: Any
    public_jwk: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        kind = RSAAlgorithm if self.algorithm.startswith("RS") else ECAlgorithm
        self.public_jwk = {
            **kind.to_jwk(self.private.public_key(), as_dict=True),
            "kid": self.kid,
            "use": "sig",
            "alg": self.algorithm,
        }

    def token(
        self, endpoint: str = "", *, headers: dict[str, Any] | None = None, **claims: Any
    ) -> str:
        """A fresh token for the endpoint ("" is discovery), with claims changed as asked
        (None removes one)."""
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.issuer,
            "aud": PUBLIC_URL + endpoint,
            "exp": now + 240,
            "iat": now,
            "jti": str(uuid.uuid4()),
            "tenant": "sleep-clinic",
        }
        payload.update(claims)
        payload = {key: value for key, value in payload.items() if value is not None}
        header = {"kid": self.kid, **(headers or {})}
        return jwt.encode(payload, self.private, algorithm=self.algorithm, headers=header)


def rsa_signer(issuer: str = EHR, kid: str = "ehr-rsa-1") -> Signer:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return Signer(issuer, "RS256", kid, private)


def ec_signer(issuer: str = EHR, kid: str = "ehr-ec-1") -> Signer:
    return Signer(issuer, "ES384", kid, ec.generate_private_key(ec.SECP384R1()))


def jwks(*signers: Signer) -> dict[str, Any]:
    return {"keys": [signer.public_jwk for signer in signers]}


def jwks_file(directory: Path, *signers: Signer) -> Path:
    path = directory / "ehr-jwks.json"
    path.write_text(json.dumps(jwks(*signers)), encoding="utf-8")
    return path


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def sign_call(token: str) -> tuple[str, str, dict[str, Any], dict[str, str]]:
    """An order-sign call for a medicine that is not iron: no record is read, no card."""
    body = hook_request("order-sign", draftOrders=NOT_IRON)
    return "POST", f"/cds-services/{ORDER_SIGN}", body, bearer(token)


def trusting(issuers: dict[str, str], **kwargs: Any) -> FastAPI:
    trust = ClientTrust.configured(issuers, PUBLIC_URL)
    return create_app(today=lambda: TODAY, trust=trust, **kwargs)


@dataclass
class JwksServer:
    """A client's JWK Set served over real HTTP (Python's http.server, in its own process)."""

    url: str
    path: Path
    log: Path

    def publish(self, document: dict[str, Any]) -> None:
        self.path.write_text(json.dumps(document), encoding="utf-8")

    @property
    def reads(self) -> int:
        """How often the key set was fetched (the server logs each request)."""
        return self.log.read_text(encoding="utf-8").count('"GET /jwks.json')


@contextmanager
def serving_jwks(directory: Path, document: dict[str, Any]) -> Iterator[JwksServer]:
    port = free_port()
    served = JwksServer(
        f"http://127.0.0.1:{port}/jwks.json", directory / "jwks.json", directory / "jwks.log"
    )
    served.publish(document)
    command = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"]
    with served.log.open("wb") as log:
        server = subprocess.Popen(
            [*command, "--directory", str(directory)], stdout=subprocess.DEVNULL, stderr=log
        )
        try:
            wait_until_serving(server, port, "/")
            yield served
        finally:
            server.terminate()
            server.wait(timeout=10)


def refused(response: Any, reason: str) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert reason in response.json()["detail"]


# --- accepted ---------------------------------------------------------------------------------


def test_an_rs256_token_checked_against_a_jwks_file_is_served(tmp_path: Path) -> None:
    signer = rsa_signer()
    app = trusting({EHR: str(jwks_file(tmp_path, signer))})
    response = call(app, *sign_call(signer.token(f"/{ORDER_SIGN}")))
    assert response.status_code == 200
    assert response.json() == {"cards": []}


def test_an_es384_token_checked_against_a_jwks_url_is_served_and_the_keys_kept(
    tmp_path: Path,
) -> None:
    signer = ec_signer()
    with serving_jwks(tmp_path, jwks(signer)) as served:
        app = trusting({EHR: served.url})
        for _ in range(3):
            assert call(app, *sign_call(signer.token(f"/{ORDER_SIGN}"))).status_code == 200
        # jku naming the configured URL is accepted; the key set was read once.
        token = signer.token(f"/{ORDER_SIGN}", headers={"jku": served.url})
        assert call(app, *sign_call(token)).status_code == 200
        assert served.reads == 1


def test_a_patient_view_with_prefetch_is_assessed_for_a_trusted_client(tmp_path: Path) -> None:
    signer = ec_signer()
    app = trusting({EHR: str(jwks_file(tmp_path, signer))})
    with FhirStandIn(smart_patient(), token="t").serving() as stand_in:
        prefetch = stand_in.prefetched(SERVICES[PATIENT_VIEW].prefetch or {}, SMART_PATIENT)
    body = hook_request("patient-view", prefetch=prefetch)
    token = signer.token(f"/{PATIENT_VIEW}")
    response = call(app, "POST", f"/cds-services/{PATIENT_VIEW}", body, bearer(token))
    assert response.status_code == 200
    assert "iron therapy indicated" in response.json()["cards"][0]["summary"]


def test_feedback_and_discovery_need_a_token_for_their_own_url(tmp_path: Path) -> None:
    signer = rsa_signer()
    app = trusting({EHR: str(jwks_file(tmp_path, signer))})
    feedback = {
        "feedback": [
            {
                "card": str(uuid.uuid4()),
                "outcome": "overridden",
                "overrideReason": {"userComment": "seen"},
                "outcomeTimestamp": "2026-03-01T09:00:00Z",
            }
        ]
    }
    path = f"/cds-services/{ORDER_SIGN}/feedback"
    refused(call(app, "POST", path, feedback), "no bearer token")
    token = signer.token(f"/{ORDER_SIGN}/feedback")
    assert call(app, "POST", path, feedback, bearer(token)).status_code == 200
    refused(call(app, "GET", "/cds-services"), "no bearer token")
    discovered = call(app, "GET", "/cds-services", headers=bearer(signer.token()))
    assert discovered.status_code == 200
    trusted = "carries a JWT signed by a CDS client this deployment trusts"
    for service in discovered.json()["services"]:
        assert trusted in service["usageRequirements"]


def test_without_trusted_issuers_nothing_is_verified_and_discovery_says_so() -> None:
    app = create_app(today=lambda: TODAY)
    body = hook_request("order-sign", draftOrders=NOT_IRON)
    assert call(app, "POST", f"/cds-services/{ORDER_SIGN}", body).status_code == 200
    for service in call(app, "GET", "/cds-services").json()["services"]:
        assert "does not verify the CDS client's JWT" in service["usageRequirements"]


# --- refused ----------------------------------------------------------------------------------


def _tampered(token: str) -> str:
    """The token with its payload changed (another tenant) and the signature kept."""
    header, payload, signature = token.split(".")
    claims = json.loads(jwt.utils.base64url_decode(payload))
    claims["tenant"] = "another-clinic"
    changed = jwt.utils.base64url_encode(json.dumps(claims).encode()).decode()
    return f"{header}.{changed}.{signature}"


def test_refusals_say_what_is_wrong(tmp_path: Path) -> None:
    signer, stranger = rsa_signer(), rsa_signer(OTHER_EHR, "other-1")
    unlisted = rsa_signer(kid="not-in-the-set")
    app = trusting({EHR: str(jwks_file(tmp_path, signer))})
    endpoint = f"/{ORDER_SIGN}"
    hmac = jwt.encode(
        {"iss": EHR, "aud": PUBLIC_URL + endpoint, "exp": int(time.time()) + 60, "jti": "x"},
        "a shared secret long enough for HMAC-SHA256 tokens",
        algorithm="HS256",
        headers={"kid": signer.kid},
    )
    unsigned = jwt.encode({"iss": EHR}, None, algorithm="none", headers={"kid": signer.kid})
    cases = {
        "no bearer token": "",
        "is not a JWT": "not-a-jwt",
        "signature does not verify": _tampered(signer.token(endpoint)),
        "has expired": signer.token(endpoint, exp=int(time.time()) - 120, iat=0),
        "more than 5 minutes ahead": signer.token(endpoint, exp=int(time.time()) + 3600),
        "issued in the future": signer.token(endpoint, iat=int(time.time()) + 600),
        "audience (aud) is not this endpoint": signer.token(f"/{PATIENT_VIEW}"),
        "'https://other-ehr.example.org/' is not trusted here": stranger.token(endpoint),
        "has no key 'not-in-the-set'": unlisted.token(endpoint),
        "lacks the jti claim": signer.token(endpoint, jti=None),
        "lacks the iat claim": signer.token(endpoint, iat=None),
        "signed with 'HS256'": hmac,
        "signed with 'none'": unsigned,
        "names no key (kid)": jwt.encode(
            {"iss": EHR}, signer.private, algorithm="RS256", headers={"kid": ""}
        ),
    }
    for reason, token in cases.items():
        method, path, body, headers = sign_call(token)
        refused(call(app, method, path, body, headers if token else None), reason)


def test_a_token_used_twice_is_refused_the_second_time(tmp_path: Path) -> None:
    signer = ec_signer()
    app = trusting({EHR: str(jwks_file(tmp_path, signer))})
    token = signer.token(f"/{ORDER_SIGN}")
    assert call(app, *sign_call(token)).status_code == 200
    refused(call(app, *sign_call(token)), "the token was used before (jti)")


def test_a_key_of_the_wrong_kind_or_a_foreign_jku_is_refused(tmp_path: Path) -> None:
    signer = ec_signer()
    impostor = rsa_signer(kid=signer.kid)  # signs RS256 under the EC key's id
    with serving_jwks(tmp_path, jwks(signer)) as served:
        app = trusting({EHR: served.url})
        refused(call(app, *sign_call(impostor.token(f"/{ORDER_SIGN}"))), "is for 'ES384'")
        foreign = signer.token(f"/{ORDER_SIGN}", headers={"jku": "https://evil.example/jwks"})
        refused(call(app, *sign_call(foreign)), "jku is not the JWKS URL configured")
        assert served.reads == 1  # the foreign jku was never fetched


def test_a_rotated_key_is_found_by_reading_the_url_again_at_most_so_often(tmp_path: Path) -> None:
    old, new = ec_signer(kid="2025"), ec_signer(kid="2026")
    moment = [1000.0]
    with serving_jwks(tmp_path, jwks(old)) as served:
        source = JwksUrl(served.url, clock=lambda: moment[0])
        app = create_app(today=lambda: TODAY, trust=ClientTrust({EHR: source}, PUBLIC_URL))
        assert call(app, *sign_call(old.token(f"/{ORDER_SIGN}"))).status_code == 200
        served.publish(jwks(old, new))
        # Within the refetch interval an unknown kid does not make the service read again.
        refused(call(app, *sign_call(new.token(f"/{ORDER_SIGN}"))), "has no key '2026'")
        assert served.reads == 1
        moment[0] += JWKS_REFETCH_SECONDS
        assert call(app, *sign_call(new.token(f"/{ORDER_SIGN}"))).status_code == 200
        assert served.reads == 2


def test_a_jwks_file_changed_on_disk_is_read_again(tmp_path: Path) -> None:
    old, new = rsa_signer(kid="a"), rsa_signer(kid="b")
    path = jwks_file(tmp_path, old)
    app = trusting({EHR: str(path)})
    assert call(app, *sign_call(old.token(f"/{ORDER_SIGN}"))).status_code == 200
    path.write_text(json.dumps(jwks(new)), encoding="utf-8")
    future = time.time() + 5  # a modification time the first reading cannot have had
    os.utime(path, (future, future))
    assert call(app, *sign_call(new.token(f"/{ORDER_SIGN}"))).status_code == 200
    refused(call(app, *sign_call(old.token(f"/{ORDER_SIGN}"))), "has no key 'a'")


def test_an_unreadable_key_set_is_503_not_a_refusal(tmp_path: Path) -> None:
    signer = ec_signer()
    with serving_jwks(tmp_path, jwks(signer)) as served:
        url = served.url
    app = trusting({EHR: url})  # the server is gone
    response = call(app, *sign_call(signer.token(f"/{ORDER_SIGN}")))
    assert response.status_code == 503
    assert "could not be read (ConnectError)" in response.json()["detail"]


def test_configuration_mistakes_are_named_at_start(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="public URL"):
        ClientTrust.configured({EHR: str(jwks_file(tmp_path, rsa_signer()))}, None)
    with pytest.raises(ValueError, match="https URL"):
        key_source("http://ehr.example.org/jwks.json")
    with pytest.raises(ValueError, match="no JWKS file"):
        key_source(str(tmp_path / "missing.json"))
    assert isinstance(key_source(str(jwks_file(tmp_path, rsa_signer()))), JwksFile)
    assert ClientTrust.configured({}, None) is None


# --- the FHIR servers it may read -------------------------------------------------------------


def test_only_configured_fhir_servers_are_read() -> None:
    with FhirStandIn(smart_patient(), token="ehr-token").serving() as stand_in:
        body = hook_request("patient-view", server=stand_in.base_url, token="ehr-token")
        path = f"/cds-services/{PATIENT_VIEW}"
        elsewhere = create_app(today=lambda: TODAY, fhir_servers=["https://ehr.example.org/fhir"])
        (card,) = call(elsewhere, "POST", path, body).json()["cards"]
        assert card["indicator"] == "info"
        not_listed = f"the FHIR server {stand_in.base_url} is not one this service is set to read"
        assert not_listed in card["detail"]
        assert stand_in.requests == []  # the token never left
        listed = create_app(today=lambda: TODAY, fhir_servers=[stand_in.base_url + "/"])
        cards = call(listed, "POST", path, body).json()["cards"]
        assert "iron therapy indicated" in cards[0]["summary"]
        assert stand_in.requests
