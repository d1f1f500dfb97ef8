"""The web app's configuration, from the environment (pydantic-settings) or from the CLI.

Every setting has an environment variable (`RLSIRON_` + its name; the database also takes
the conventional `DATABASE_URL`), so a hosted deployment is configured without files. The
numbers here are security and housekeeping limits, not clinical ones. Secrets are
`SecretStr`: the settings can be printed or logged without showing the secret key or the
database password.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

_KEY_FILE = "secret_key"
_DATABASE_FILE = "rlsiron.db"


def default_data_dir() -> Path:
    """The user's data directory (XDG): where the SQLite database and the key live."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "rlsiron"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RLSIRON_", frozen=True, extra="forbid")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: SecretStr | None = Field(
        default=None,
        validation_alias=AliasChoices("DATABASE_URL", "RLSIRON_DATABASE_URL", "database_url"),
        description="postgresql://... for a shared server; else SQLite in data_dir.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="Signs CSRF tokens. Give the same key to every process of one app; "
        "without it, one is generated once and kept in data_dir.",
    )
    tls: bool = Field(
        default=False,
        description="Served over https (directly or behind a proxy): Secure cookies, HSTS.",
    )
    session_lifetime: dt.timedelta = dt.timedelta(weeks=2)
    login_window: dt.timedelta = Field(
        default=dt.timedelta(hours=1), description="How far back failed sign-ins count."
    )
    login_failures_per_email: int = Field(default=16, ge=1)
    login_failures_per_address: int = Field(
        default=64, ge=1, description="Failures from one client address, any email."
    )
    password_min_length: int = Field(
        default=16, ge=1, description="A passphrase; NIST SP 800-63B-4 asks for 15 or more."
    )
    password_max_length: int = Field(default=1024, ge=1)
    max_upload_bytes: int = Field(default=16 * 1024 * 1024, ge=1)
    share_code_lifetime: dt.timedelta = Field(
        default=dt.timedelta(weeks=1),
        description="How long a patient's code for sharing with a clinic can be redeemed.",
    )
    invitation_lifetime: dt.timedelta = Field(
        default=dt.timedelta(hours=72),
        description="How long an administrator's staff invitation code can be used.",
    )
    cds_issuers: dict[str, str] = Field(
        default_factory=dict,
        description="EHRs trusted to call /cds-services: issuer (the JWT's iss) -> its JWK Set, "
        "an https URL or a file. Empty: calls are not verified (the laptop default).",
    )
    cds_public_url: str | None = Field(
        default=None,
        description="The public URL of /cds-services (the audience of the EHRs' tokens); "
        "needed with cds_issuers.",
    )
    cds_fhir_servers: tuple[str, ...] | None = Field(
        default=None,
        description="FHIR servers (base URLs) the CDS service may read; unset: any a request names.",
    )
    people_kept: int = Field(
        default=256,
        ge=1,
        description="People whose latest dashboard each process keeps in memory (about a "
        "megabyte each for ten years of results); more are computed again when seen.",
    )

    def database(self) -> str:
        """The database's URL, or the SQLite file in the data directory."""
        if self.database_url is not None:
            return self.database_url.get_secret_value()
        return str(self.data_dir / _DATABASE_FILE)

    def signing_key(self) -> bytes:
        """The secret key: given, or generated on the first start and kept (owner-only)."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode("utf-8")
        path = self.data_dir / _KEY_FILE
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # made on an earlier start
        else:
            with os.fdopen(descriptor, "w", encoding="ascii") as file:
                file.write(secrets.token_urlsafe(32))
        return path.read_text(encoding="ascii").strip().encode("ascii")
