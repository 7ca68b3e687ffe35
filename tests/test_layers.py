"""Layers without back-edges: a module imports only its own layer and the ones below (issue 12).

model ← sources/spec ← checks (audit rules, probes, lint) ← engine/api ← render ← cli.
Imports inside functions count too: a lazy import is still a dependency.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "schema_audit"

# Longest prefix wins. A new module must be placed here (the test says so).
LAYERS: dict[str, int] = {
    # 0 model: the schema model, its one DDL printer, vocabularies, errors, plumbing
    "schema_audit.model": 0,
    "schema_audit.model_ddl": 0,
    "schema_audit.enums": 0,
    "schema_audit.errors": 0,
    "schema_audit.sqlnorm": 0,
    "schema_audit.sqltime": 0,  # date/time literals as PostgreSQL stores them (canonical forms)
    "schema_audit.sqlspace": 0,  # whitespace between tokens vs whitespace PostgreSQL keeps
    "schema_audit.sqlbody": 0,  # SQL-standard function bodies compared (BEGIN ATOMIC, RETURN)
    "schema_audit.viewtext": 0,  # view queries compared (pg_get_viewdef text, canonical forms)
    "schema_audit.jsonbtext": 0,  # jsonb literals as PostgreSQL prints the stored value
    "schema_audit.jsonpathtext": 0,  # jsonpath constants in one form of PostgreSQL's printing
    "schema_audit.byteatext": 0,  # bytea constants as their bytes in hex, as PostgreSQL prints them
    "schema_audit.boundtext": 0,  # partition bounds compared as PostgreSQL stores them
    "schema_audit.exprlist": 0,  # pg_get_expr's comma-separated lists (proargdefaults) split
    "schema_audit.collation": 0,  # collation names as PostgreSQL resolves them
    "schema_audit.redact": 0,
    "schema_audit.progress": 0,
    "schema_audit.cache": 0,
    "schema_audit.pgparse": 0,  # every pglast parse, depth-checked (issue 21)
    "schema_audit.pgvisit": 0,  # finding nodes in pglast trees with pglast's Visitor (issue 12)
    "schema_audit.ident": 0,  # identifiers as PostgreSQL stores them (issue 14)
    "schema_audit.domaincheck": 0,  # domain CHECKs as stored: VALUE's casts to the base type
    "schema_audit.tsvectortext": 0,  # tsvector constants as PostgreSQL prints the stored value
    "schema_audit.registry": 0,  # what the rule, lint-rule and probe registries share
    "schema_audit.gcpause": 0,  # pausing the cyclic garbage collector around large builds
    "schema_audit.forkjob": 0,  # work handed to a forked child, its value handed back
    "schema_audit.deferred": 0,  # heavy imports (pglast) deferred to their first use
    "schema_audit.lazynames": 0,  # a package's names loaded on their first use
    # 1 sources and specs: reading what a schema has and what it must have
    "schema_audit.sources": 1,
    "schema_audit.spec.model": 1,  # what a spec says, as the checks read it
    "schema_audit.modeldiff": 1,
    # 2 checks: judging requirements, the rule pack, probes, the migration linter
    "schema_audit.audit": 2,
    "schema_audit.probes": 2,
    "schema_audit.lint": 2,
    "schema_audit.rules": 2,
    "schema_audit.kinds": 2,  # the requirement kinds: one module per kind (issue 12)
    # loading a spec validates rule ids and expands selectors into requirements
    "schema_audit.spec": 2,
    # 3 engine and API: assembling an audit
    "schema_audit.audit.engine": 3,
    "schema_audit.audit.split": 3,  # the engine's judging shared with a forked child (-q)
    "schema_audit.replay_audit": 3,
    "schema_audit.api": 3,
    "schema_audit": 3,  # the package facade (lazy re-exports of the API)
    # 4 render: an AuditResult into text
    "schema_audit.render": 4,
    # 5 cli: options, configuration, files, exit codes
    "schema_audit.cli": 5,  # one module per command, options.py, common.py, commands.py, entry.py
    "schema_audit.__main__": 5,  # python -m schema_audit
    "schema_audit.fleet": 5,  # many audits at once, each rendered to its JSON document
    # renders a fleet summary (fleet/summary.py), so it sits with the fleet, above render/
    "schema_audit.render.fleet": 5,
    "schema_audit.config": 5,
    "schema_audit.demo": 5,
}
# Package __init__ files placed apart from their package: ``schema_audit.audit`` is callable
# as the API's audit() (``from schema_audit import audit`` finds the subpackage once imported).
EXACT = {"schema_audit.audit": 3}
NAMES = ["model", "sources", "checks", "engine/api", "render", "cli"]


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str, *, importer: bool = False) -> int | None:
    if importer and module in EXACT:
        return EXACT[module]
    best = max(
        (p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None
    )
    return LAYERS[best] if best else None


def _target(node: ast.ImportFrom, alias: ast.alias) -> str:
    """``from schema_audit.audit import engine`` imports schema_audit.audit.engine."""
    candidate = f"{node.module}.{alias.name}"
    as_path = ROOT / candidate.replace(".", "/")
    return (
        candidate if as_path.with_suffix(".py").exists() or as_path.is_dir() else str(node.module)
    )


def imports(path: Path) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "schema_audit":
                out += [(node.lineno, _target(node, a)) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [
                (node.lineno, a.name) for a in node.names if a.name.split(".")[0] == "schema_audit"
            ]
    return out


def back_edges(files: list[Path]) -> list[str]:
    found = []
    for path in files:
        module = _module(path)
        own = _layer(module, importer=True)
        for line, target in imports(path):
            other = _layer(target)
            if own is not None and other is not None and other > own:
                found.append(
                    f"{path.relative_to(ROOT)}:{line}: {module} ({NAMES[own]}) imports "
                    f"{target} ({NAMES[other]})"
                )
    return found


FILES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer() -> None:
    assert [_module(p) for p in FILES if _layer(_module(p)) is None] == []


def test_no_layer_imports_a_higher_one() -> None:
    assert back_edges(FILES) == []


def test_a_back_edge_is_caught(tmp_path: Path) -> None:
    """The check itself: a source importing a renderer is reported with file and line."""
    bad = PACKAGE / "sources" / "_layers_probe_tmp.py"
    bad.write_text("from schema_audit.render.json_report import render\n")
    try:
        assert back_edges([bad]) == [
            "schema_audit/sources/_layers_probe_tmp.py:1: schema_audit.sources._layers_probe_tmp "
            "(sources) imports schema_audit.render.json_report (render)"
        ]
    finally:
        bad.unlink()


@pytest.mark.parametrize("module", ["schema_audit.audit.rules", "schema_audit.sources.live"])
def test_the_known_back_edges_are_gone(module: str) -> None:
    path = ROOT / (module.replace(".", "/") + ".py")
    targets = {t for _, t in imports(path)}
    assert not any(t.startswith(("schema_audit.render", "schema_audit.lint")) for t in targets)
