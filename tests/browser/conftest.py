"""The app in a real browser: Debian's Chromium, headless, driven by Playwright, against
`python -m rlsiron serve` running as a real process on SQLite in a temporary directory.

The browser is Debian's (`scripts/browser-deps.sh` installs it once per session when it is
missing; Playwright's own browser download is never used). Every page a test opens in an
ordinary context is watched: its console messages and uncaught errors are collected, and
the test's teardown fails if any of them reports a Content-Security-Policy violation, so
the app's strict CSP is exercised by every browser test. axe-core is injected only into
contexts made with `bypass_csp=True` (see `axe_violations`): injecting a script is exactly
what the CSP forbids, so those contexts are never used to judge the CSP.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Playwright,
    StorageState,
    sync_playwright,
)

from rlsiron.store import Database
from rlsiron.web.settings import Settings
from tests.servers import serving

REPO: Final = Path(__file__).resolve().parents[2]
BROWSER_DEPS: Final = REPO / "scripts" / "browser-deps.sh"
CHROMIUM: Final = Path("/usr/bin/chromium")
AXE: Final = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
ARTEFACTS: Final = REPO / "tests" / "web" / "artefacts"
# As root in a container, with no GPU and a closed network (see the machine notes): without
# the background-networking flags Chromium keeps trying to reach Google's hosts.
CHROMIUM_ARGS: Final = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PASSWORD: Final = "correct horse battery staple"
TIMEOUT_MS: Final = 15_000
# axe's impact levels that fail a page; "minor" and "moderate" are reported by axe only.
FAILING_IMPACTS: Final = frozenset({"serious", "critical"})


@pytest.fixture(scope="package")
def chromium() -> Path:
    """Debian's Chromium, installed by the project's script when missing; never skipped."""
    done = subprocess.run(
        ["bash", str(BROWSER_DEPS)], capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0 or not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Debian's Chromium at {CHROMIUM}; "
            f"`bash scripts/browser-deps.sh` exited {done.returncode}:\n"
            f"{done.stdout[-2000:]}\n{done.stderr[-2000:]}",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="package")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app as `rlsiron serve` on a fresh SQLite database in a temporary directory."""
    data = tmp_path_factory.mktemp("browser-app")
    with serving(["serve", "--data-dir", str(data)], "/sign-in") as base:
        yield base


# Package scope, not session: the sync API keeps an event loop running in this thread until
# it stops, and the tests that follow (tests/web drive the app with anyio) need the thread free.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright, chromium: Path) -> Iterator[Browser]:
    launched = playwright.chromium.launch(
        executable_path=str(chromium), headless=True, args=list(CHROMIUM_ARGS)
    )
    yield launched
    launched.close()


@dataclass
class Watched:
    """What the pages of one context said: console messages and uncaught errors."""

    messages: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        page.on("console", self._console)
        page.on("pageerror", self._error)

    def _console(self, message: ConsoleMessage) -> None:
        self.messages.append(f"console.{message.type}: {message.text} ({message.location})")

    def _error(self, error: Error) -> None:
        self.messages.append(f"pageerror: {error.message}")

    def csp_violations(self) -> list[str]:
        return [m for m in self.messages if "content security policy" in m.lower()]


def new_context(browser: Browser, base_url: str, **options: Any) -> BrowserContext:
    context = browser.new_context(base_url=base_url, accept_downloads=True, **options)
    context.set_default_timeout(TIMEOUT_MS)
    return context


@pytest.fixture
def watched() -> Watched:
    return Watched()


@pytest.fixture
def context(browser: Browser, base_url: str, watched: Watched) -> Iterator[BrowserContext]:
    """An ordinary context (the app's CSP in force), nobody signed in; every page watched,
    and no page may report a CSP violation."""
    made = new_context(browser, base_url)
    made.on("page", watched.watch)
    yield made
    made.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


# What a person does through the forms; the tests and the fixtures share them.


def new_email() -> str:
    return f"{uuid.uuid4().hex[:12]}@example.org"


def sign_up_through_the_form(page: Page, email: str) -> None:
    """Fill and send `#sign-up-form`, waiting for the page the app answers with."""
    page.goto("/sign-up")
    form = page.locator("#sign-up-form")
    form.get_by_label("Email").fill(email)
    form.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        form.get_by_role("button", name="Create account").click()


def sign_up(page: Page) -> str:
    """A new account through the sign-up form, signed in in the page's context."""
    email = new_email()
    sign_up_through_the_form(page, email)
    return email


def give_facts(page: Page) -> None:
    """Sex and date of birth through `#facts-form` (the assessment needs both)."""
    page.goto("/settings")
    form = page.locator("#facts-form")
    form.get_by_label("Sex").select_option("female")
    form.get_by_label("Date of birth").fill("1980-05-01")
    form.get_by_role("button", name="Save").click()
    page.wait_for_load_state()


PANEL: Final = {"ferritin": ("30", "ug/L"), "tsat": ("15", "%"), "hemoglobin": ("12.5", "g/dL")}


def enter_panel(page: Page) -> None:
    """Ferritin, TSAT and haemoglobin on today's date through `#panel-form`."""
    page.goto("/labs")
    form = page.locator("#panel-form")
    for key, (value, unit) in PANEL.items():
        form.locator(f"#value-{key}").fill(value)
        form.locator(f"#unit-{key}").select_option(unit)
    form.get_by_role("button", name="Save the panel").click()
    page.wait_for_url("**/labs?saved=true")


@pytest.fixture(scope="package")
def someone(browser: Browser, base_url: str) -> StorageState:
    """A person signed up through the forms, with facts and a panel: their cookies."""
    made = new_context(browser, base_url)
    try:
        page = made.new_page()
        sign_up(page)
        give_facts(page)
        enter_panel(page)
        return made.storage_state()
    finally:
        made.close()


@pytest.fixture
def someones_page(
    browser: Browser, base_url: str, someone: StorageState, watched: Watched
) -> Iterator[Page]:
    """A page signed in as `someone`, in an ordinary (CSP-enforcing, watched) context."""
    made = new_context(browser, base_url, storage_state=someone)
    made.on("page", watched.watch)
    yield made.new_page()
    made.close()
    assert not watched.csp_violations(), "\n".join(watched.csp_violations())


@pytest.fixture(scope="package")
def axe_context(browser: Browser, base_url: str, someone: StorageState) -> Iterator[BrowserContext]:
    """Signed in as `someone`, with the page's CSP bypassed so that axe can be injected."""
    made = new_context(browser, base_url, storage_state=someone, bypass_csp=True)
    yield made
    made.close()


@pytest.fixture(scope="package")
def anonymous_axe_context(browser: Browser, base_url: str) -> Iterator[BrowserContext]:
    """Nobody signed in, CSP bypassed, for axe on the sign-in and sign-up pages."""
    made = new_context(browser, base_url, bypass_csp=True)
    yield made
    made.close()


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's serious and critical violations on the page as it is now (WCAG 2.x A and
    AA rules and axe's best practices)."""
    page.add_script_tag(path=AXE)
    results: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [v for v in results["violations"] if v["impact"] in FAILING_IMPACTS]


def describe(violations: list[dict[str, Any]]) -> str:
    """The violations' rule ids, impact, help and targets, for an assertion message."""
    lines = []
    for v in violations:
        targets = [json.dumps(node["target"]) for node in v["nodes"]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}; targets: {', '.join(targets)}")
    return "\n".join(lines)


def artefact(name: str) -> Path:
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    return ARTEFACTS / name


def pdftoppm() -> str:
    found = shutil.which("pdftoppm")
    if found is None:
        pytest.fail("pdftoppm is missing: run `bash scripts/system-deps.sh`", pytrace=False)
    return found


@dataclass(frozen=True)
class OwnServer:
    """`rlsiron serve` on its own data directory, with its database open beside it."""

    base_url: str
    data_dir: Path
    db: Database


@contextmanager
def own_server(data_dir: Path) -> Iterator[OwnServer]:
    """A server of a test module's own, for tests that set a clinic up through the CLI or the
    store (in the same database the server uses) and ask the database what happened."""
    with serving(["serve", "--data-dir", str(data_dir)], "/sign-in") as base_url:
        db = Database.open(Settings(data_dir=data_dir).database())
        try:
            yield OwnServer(base_url, data_dir, db)
        finally:
            db.close()
