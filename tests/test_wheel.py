"""A wheel built from the repository serves the app from a fresh virtual environment.

Templates, static files, migrations, data tables and articles must all be inside the
package: an editable install would hide a missing one. The wheel is installed without its
dependencies into a new environment, which borrows the dependencies (never rlsiron) from
the project's environment through a path file, so the test needs no network.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.servers import free_port, wait_until_serving


def _clean_copy(root: Path) -> Path:
    """The project's sources without earlier build output: setuptools reuses a `build/`
    folder, whose leftovers could stand in for a file the package data leaves out."""
    copy = root / "source"
    shutil.copytree(
        REPO / "src", copy / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info")
    )
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, copy / name)
    return copy


def _fresh_environment(root: Path) -> Path:
    wheels = root / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(_clean_copy(root)),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("rlsiron-*.whl")
    environment = root / "env"
    venv.create(environment, with_pip=False)
    python = environment / "bin" / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # The project's dependencies, after the new environment's own packages on sys.path.
    (Path(purelib) / "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            purelib,
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return environment


def test_the_wheel_serves_the_app_with_its_templates_migrations_and_data(tmp_path: Path) -> None:
    environment = _fresh_environment(tmp_path)
    python = environment / "bin" / "python"
    where = subprocess.run(
        [str(python), "-c", "import rlsiron; print(rlsiron.__file__)"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(environment)), where  # the wheel, not the repository
    port = free_port()
    server = subprocess.Popen(
        [
            str(python),
            "-m",
            "rlsiron",
            "serve",
            "--demo",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = wait_until_serving(server, port, "/api/v1/openapi.json")
        demo = httpx.post(
            f"{base}/api/v1/assessments",
            json={
                "as_of": "2026-11-20",
                "person": {"sex": "female", "age_years": 42},
                "labs": [
                    {"test": "ferritin", "value": 28, "unit": "ng/mL", "date": "2026-11-02"},
                    {"test": "tsat", "value": 18, "unit": "%", "date": "2026-11-02"},
                ],
            },
            timeout=10,
        )
        article = httpx.get(f"{base}/resources/rls-and-iron", timeout=10)
        styles = httpx.get(f"{base}/static/app.css", timeout=10)
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert article.status_code == 200 and "<h1>RLS and iron</h1>" in article.text  # the .md
    assert styles.status_code == 200 and ".card" in styles.text
    assert demo.status_code == 200, demo.text
    assert demo.json()["iron_therapy"]["decision"] == "indicated"
    assert (tmp_path / "data" / "rlsiron.db").is_file()  # migrations ran from the wheel
