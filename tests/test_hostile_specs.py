"""Specs written by whoever opened the pull request (issue 21): bounded, secret-safe, confined.

Three attacks, each tried the way an attacker would: a YAML alias bomb (the "billion laughs"
shape), a ``${VAR}`` that prints an environment secret into every report, and ``extends:``
reading a file outside the spec's directory.
"""

from __future__ import annotations

import os
import re
import resource
import time
from pathlib import Path

import pytest
from cli_runner import run_cli

from schema_audit.spec.load import SpecError, load_spec

ROOT = Path(__file__).resolve().parent.parent

# 11 lines; fully expanded: 9**8 = 43 million list items (9.8 GB and over a minute before limits)
BOMB = """name: bomb
description: x
x0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]
x1: &a1 [*a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0, *a0]
x2: &a2 [*a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1, *a1]
x3: &a3 [*a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2, *a2]
x4: &a4 [*a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3, *a3]
x5: &a5 [*a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4, *a4]
x6: &a6 [*a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5, *a5]
x7: &a7 [*a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6, *a6]
x8: &a8 [*a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7, *a7]
"""
MEMORY_CAP = 1024 * 1024 * 1024  # a protection that failed would need 10 GB: fail fast instead


def _capped() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CAP, MEMORY_CAP))


def cli(*args: str, env: dict[str, str] | None = None, cwd: Path = ROOT):  # type: ignore[no-untyped-def]
    base = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "SCHEMA_AUDIT_VAR_"))}
    return run_cli(
        *args,
        cwd=cwd,
        base_env=base,
        env={"SCHEMA_AUDIT_CACHE": "0", **(env or {})},
        preexec_fn=_capped,
    )


def problems(path: Path, variables: dict[str, str] | None = None, **kwargs) -> list[str]:  # type: ignore[no-untyped-def]
    with pytest.raises(SpecError) as info:
        load_spec(path, variables, **kwargs)
    return info.value.problems


# -- (a) the alias bomb and other shapes that exhaust the machine -----------------------------


@pytest.mark.parametrize("command", ["validate-spec", "audit"])
def test_the_alias_bomb_is_refused_in_a_second_with_one_line(tmp_path: Path, command: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    args = [command, str(bomb)] if command == "validate-spec" else [command, "-s", str(bomb)]
    if command == "audit":
        (tmp_path / "schema.sql").write_text("CREATE TABLE t (id int);\n")
        args += ["--sql", str(tmp_path / "schema.sql")]
    started = time.perf_counter()
    proc = cli(*args)
    elapsed = time.perf_counter() - started
    assert proc.returncode == 2, proc.stderr
    [line] = proc.stderr.splitlines()
    assert re.match(rf"schema-audit: {re.escape(str(bomb))}:\d+:\d+: .*alias", line), line
    assert "SCHEMA_AUDIT_SPEC_MAX_ALIAS_NODES" in line  # says how to raise the limit
    assert elapsed < 15  # interpreter start-up under load included; the check itself is instant


def test_the_alias_bomb_costs_a_few_megabytes_in_process(tmp_path: Path) -> None:
    import tracemalloc

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    tracemalloc.start()
    started = time.perf_counter()
    [line] = problems(bomb)
    elapsed = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "alias" in line and elapsed < 1.0 and peak < 5 * 1024 * 1024, (elapsed, peak)


def test_aliases_that_expand_modestly_still_load(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: anchors\n"
        "tables:\n"
        "  a:\n    columns:\n      id: &id {type: uuid, nullable: false}\n"
        "  b:\n    columns:\n      id: *id\n"
        "  c:\n    columns:\n      id: {<<: *id, nullable: true}\n"
    )
    loaded = load_spec(spec)
    assert loaded.requirement("tables.c.columns.id").props == {"type": "uuid", "nullable": True}


def test_nesting_depth_node_count_and_size_are_capped(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    deep = tmp_path / "deep.yaml"
    deep.write_text("name: deep\ndescription: " + "[" * 200 + "]" * 200 + "\n")
    [line] = problems(deep)
    assert line.startswith(f"{deep}:2:") and "nesting depth" in line and "64" in line, line

    recursive = tmp_path / "recursive.yaml"
    recursive.write_text("name: loop\ndescription: &a [*a]\n")
    [line] = problems(recursive)
    assert line.startswith(f"{recursive}:2:") and "refers to itself" in line, line

    wide = tmp_path / "wide.yaml"
    wide.write_text(
        "name: wide\nabsent_tables: [" + ", ".join(f"t{i}" for i in range(5000)) + "]\n"
    )
    assert len(load_spec(wide).requirements) == 5000
    monkeypatch.setenv("SCHEMA_AUDIT_SPEC_MAX_NODES", "1000")
    [line] = problems(wide)
    assert line.startswith(f"{wide}:2:16: more than 1,000 YAML nodes"), line
    assert "SCHEMA_AUDIT_SPEC_MAX_NODES" in line
    monkeypatch.delenv("SCHEMA_AUDIT_SPEC_MAX_NODES")
    monkeypatch.setenv("SCHEMA_AUDIT_SPEC_MAX_BYTES", "1000")
    [line] = problems(wide)
    assert line.startswith(f"{wide}:") and "bytes" in line and "SCHEMA_AUDIT_SPEC_MAX_BYTES" in line
    monkeypatch.setenv("SCHEMA_AUDIT_SPEC_MAX_BYTES", "lots")
    [line] = problems(wide)
    assert "SCHEMA_AUDIT_SPEC_MAX_BYTES" in line and "'lots'" in line


def test_extends_chains_are_bounded_and_a_cycle_names_the_chain(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("extends: b.yaml\nname: a\n")
    (tmp_path / "b.yaml").write_text("extends: c.yaml\nname: b\n")
    (tmp_path / "c.yaml").write_text("extends: a.yaml\nname: c\n")
    [line] = problems(tmp_path / "a.yaml")
    assert line == (
        f"{tmp_path / 'c.yaml'}:1:10: extends cycle: a.yaml -> b.yaml -> c.yaml -> a.yaml"
    ), line

    for i in range(12):  # a straight chain twelve deep
        (tmp_path / f"d{i}.yaml").write_text(f"extends: d{i + 1}.yaml\nname: d{i}\n")
    (tmp_path / "d12.yaml").write_text("name: bottom\n")
    [line] = problems(tmp_path / "d0.yaml")
    assert "extends chain deeper than 10" in line and "SCHEMA_AUDIT_SPEC_MAX_EXTENDS_DEPTH" in line

    # fan-out: every file extends the next one nine times (9**6 loads without a cap)
    for i in range(6):
        (tmp_path / f"f{i}.yaml").write_text(f"extends: [{', '.join([f'f{i + 1}.yaml'] * 9)}]\n")
    (tmp_path / "f6.yaml").write_text("name: fan\n")
    started = time.perf_counter()
    [line] = problems(tmp_path / "f0.yaml")
    assert "more than 100 files" in line and time.perf_counter() - started < 2, line


# -- (b) variables are declared, never ambient ------------------------------------------------


def test_an_environment_variable_is_never_read_unless_declared_or_prefixed(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("PGPASSWORD", "Pw-NeverPrint-7f3a")
    spec = tmp_path / "leak.yaml"
    spec.write_text('name: "leak ${PGPASSWORD}"\n')
    [line] = problems(spec)
    assert line == (
        f"{spec}:1:7: variable ${{PGPASSWORD}} is not declared: declare it under vars:, give "
        "--var PGPASSWORD=… or set SCHEMA_AUDIT_VAR_PGPASSWORD (no other environment variable "
        "is read)"
    )
    assert "Pw-NeverPrint" not in line

    declared = tmp_path / "declared.yaml"
    declared.write_text(
        "vars:\n  APP_SCHEMA: public\n  APP_ROLE: null\nname: ${APP_SCHEMA} for ${APP_ROLE}\n"
    )
    [line] = problems(declared)
    assert line.startswith(f"{declared}:4:7: variable ${{APP_ROLE}} has no value"), line
    assert load_spec(declared, {"APP_ROLE": "app_rw"}).name == "public for app_rw"
    monkeypatch.setenv("SCHEMA_AUDIT_VAR_APP_ROLE", "from_env")
    monkeypatch.setenv("SCHEMA_AUDIT_VAR_APP_SCHEMA", "staging")
    assert load_spec(declared).name == "staging for from_env"
    assert load_spec(declared, {"APP_SCHEMA": "cli"}).name == "cli for from_env"  # --var wins


SECRET_ENV = "PwEnvNeverPrint7f3a"
SECRET_PGPASS = 'Pgpass<&>"Never9c2e'


def test_known_passwords_are_redacted_in_every_output_format(tmp_path: Path) -> None:
    """A password arriving by another route (--var, a prefixed variable) is still masked."""
    pgpass = tmp_path / "pgpass"
    escaped = SECRET_PGPASS.replace("\\", "\\\\").replace(":", "\\:")
    pgpass.write_text(f"db.example:5432:*:app:{escaped}\n")
    pgpass.chmod(0o600)
    (tmp_path / "schema.sql").write_text("CREATE TABLE present (id int);\n")
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "name: ${WHO}\n"
        "description: ${ALSO}\n"
        "tables:\n"
        "  leak_${WHO}:\n"
        "    description: ${ALSO}\n"
        "  present:\n"
        "    columns:\n"
        "      id: {type: int, description: '${ALSO}', impact: '${ALSO}'}\n"
        "      missing_${WHO}: {description: '${ALSO}', impact: '${ALSO}'}\n"
    )
    out = tmp_path / "out"
    env = {
        "PGPASSWORD": SECRET_ENV,
        "PGPASSFILE": str(pgpass),
    }
    outputs: dict[str, str] = {}
    for fmt in ("terminal", "json", "github"):
        proc = cli(
            "audit",
            "-s",
            str(spec),
            "--sql",
            str(tmp_path / "schema.sql"),
            "--var",
            f"WHO={SECRET_ENV}",
            "--var",
            f"ALSO=pgpass says {SECRET_PGPASS}",
            "-f",
            fmt,
            "-v",
            *(["--output-dir", str(out)] if fmt == "json" else []),
            env=env,
        )
        assert proc.returncode == 1, proc.stderr
        outputs[fmt], outputs[f"{fmt} stderr"] = proc.stdout, proc.stderr
    outputs.update({p.name: p.read_text() for p in out.iterdir()})
    assert len(outputs) == 6 + 5  # md, html, json, junit, sarif files
    for name, text in outputs.items():
        assert SECRET_ENV not in text, f"PGPASSWORD leaked into {name}"
        assert "Never9c2e" not in text, f"the .pgpass password leaked into {name}"
        if "stderr" not in name:
            assert "leak_***" in text, f"the redacted name is missing from {name}"


# -- (c) paths in a spec stay inside its directory tree ---------------------------------------


def test_extends_cannot_leave_the_specs_directory(tmp_path: Path) -> None:
    specs = tmp_path / "specs"
    (specs / "shared").mkdir(parents=True)
    (specs / "shared" / "base.yaml").write_text("name: base\n")
    (tmp_path / "outside.yaml").write_text("name: outside\n")
    spec = specs / "spec.yaml"

    spec.write_text("extends: shared/base.yaml\nname: fine\n")
    assert load_spec(spec).name == "fine"

    spec.write_text("extends: /etc/passwd\nname: x\n")
    [line] = problems(spec)
    assert line.startswith(f"{spec}:1:10: extends '/etc/passwd' is outside {specs}"), line

    spec.write_text("extends: ../outside.yaml\nname: x\n")
    [line] = problems(spec)
    assert line.startswith(f"{spec}:1:10: extends '../outside.yaml' is outside {specs}"), line
    assert load_spec(spec, allowed_roots=[tmp_path]).name == "x"  # --spec-allow

    (specs / "shared" / "link.yaml").symlink_to(tmp_path / "outside.yaml")
    spec.write_text("extends: shared/link.yaml\nname: x\n")
    [line] = problems(spec)
    assert "outside" in line and "symlink" in line, line

    proc = cli("validate-spec", str(spec))
    assert proc.returncode == 2 and "outside" in proc.stderr
    proc = cli("validate-spec", str(spec), "--spec-allow", str(tmp_path))
    assert proc.returncode == 0, proc.stderr


def test_a_spec_that_is_a_symlink_out_of_its_directory_is_refused(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    secret = tmp_path / "elsewhere.yaml"
    secret.write_text("name: elsewhere\n")
    (tmp_path / "specs" / "spec.yaml").symlink_to(secret)
    [line] = problems(tmp_path / "specs" / "spec.yaml")
    assert "symlink" in line and "outside" in line, line
