"""The package as a user installs it: a wheel built from this tree, in a fresh venv, run from
outside the repository (so nothing is imported from the work tree by accident)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
B03 = ROOT / "tests" / "fixtures" / "b03_alembic"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # copy the tracked tree: building in place would leave build/ and *.egg-info behind
    src = out / "src"
    files = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in files:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--sdist",
            "--no-isolation",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (found,) = out.glob("schema_audit-*.whl")
    assert list(out.glob("schema_audit-*.tar.gz")), "no sdist was built"
    return found


def test_the_wheel_carries_templates_metadata_and_type_marker(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "schema_audit/py.typed" in names
    assert {
        "schema_audit/render/templates/report.md.j2",
        "schema_audit/render/templates/report.html.j2",
        "schema_audit/sources/ddl/pg_catalog_functions.txt",
        "schema_audit/sources/ddl/pg_catalog_volatility.txt",
        "schema_audit/sources/ddl/pg_catalog_overloaded.txt",
    } <= names
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert "License-Expression: MIT" in text
    assert "Classifier: Topic :: Database" in text
    assert "Requires-Python: >=3.11" in text


def test_the_installed_wheel_runs_init_and_audit_outside_the_repository(
    wheel: Path, tmp_path: Path
) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(wheel)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert install.returncode == 0, install.stderr[-3000:]
    tool = env_dir / "bin" / "schema-audit"
    work = tmp_path / "elsewhere"
    work.mkdir()
    env = {
        "PATH": f"{env_dir / 'bin'}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "SCHEMA_AUDIT_CACHE": "0",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(tool), *args], cwd=work, env=env, capture_output=True, text=True, timeout=300
        )

    version = run("--version")
    assert version.returncode == 0 and version.stdout.startswith("schema-audit ")
    assert "PostgreSQL 11 or newer" in version.stdout
    schema = run("spec-schema")
    assert schema.returncode == 0 and json.loads(schema.stdout)["type"] == "object"
    init = run("init", "--migrations", str(B03), "-o", "spec.yaml")
    assert init.returncode == 0, init.stderr
    audit = run("audit", "-s", "spec.yaml", "-m", str(B03), "-f", "json", "-o", "out.json")
    assert audit.returncode == 0, audit.stderr
    result = json.loads((work / "out.json").read_text())
    assert result["verdict"] == "PASS"
    assert result["summary"]["PASS"] > 100
    # the modules came from the venv, not from this work tree
    where = subprocess.run(
        [str(python), "-c", "import schema_audit; print(schema_audit.__file__)"],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
    )
    assert str(env_dir) in where.stdout


def test_the_docker_image_builds_and_runs_the_tool() -> None:
    """Only where a Docker daemon answers (and can pull the base image); the README gives the
    command for everyone else."""
    docker = shutil.which("docker")
    daemon = docker and subprocess.run([docker, "info"], capture_output=True, timeout=30)
    if not daemon or daemon.returncode != 0:
        pytest.skip("no Docker daemon answers here; build by hand: docker build -t schema-audit .")
    build = subprocess.run(
        [docker, "build", "-q", "-t", "schema-audit-test", str(ROOT)],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    run = subprocess.run(
        [docker, "run", "--rm", "schema-audit-test", "--version"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0 and run.stdout.startswith("schema-audit ")
