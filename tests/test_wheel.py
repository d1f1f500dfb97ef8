"""A wheel built from the repository serves the app from a fresh virtual environment.

Templates, static files, migrations and data tables must all be inside the package: an
editable install would hide a missing one. The wheel is installed without its
dependencies into a new environment, which borrows the dependencies (never rlsiron) from
the project's environment through a path file, so the test needs no network.
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import httpx

from tests.conftest import REPO
from tests.servers import free_port, wait_until_serving


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
            str(REPO),
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
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert demo.status_code == 200, demo.text
    assert demo.json()["iron_therapy"]["decision"] == "indicated"
    assert (tmp_path / "data" / "rlsiron.db").is_file()  # migrations ran from the wheel
