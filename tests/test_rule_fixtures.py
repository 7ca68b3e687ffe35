"""One rule, one fixture: each registered rule fires exactly where its fixture says (issue 12).

``tests/rule_fixtures/<ID>.sql`` holds SQL that triggers the rule (and look-alikes that
must not), ``-- expect: <finding id>`` lines for the findings it must produce, and
optionally ``-- settings: name=value`` for rule options. The SQL is read statically
and applied to a real PostgreSQL; both must give exactly the expected findings.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from schema_audit.audit.rules import run_rules
from schema_audit.rules import RuleOptions, registry
from schema_audit.rules._docs import render
from schema_audit.sources import live
from schema_audit.sources.ddl import interpret

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "rule_fixtures"
RULES = registry()


def _fixture(rule_id: str) -> tuple[str, set[str], RuleOptions]:
    path = FIXTURES / f"{rule_id}.sql"
    assert path.exists(), f"rule {rule_id} has no fixture: write {path.relative_to(ROOT)}"
    sql = path.read_text()
    expected = set(re.findall(r"^-- expect: (\S+)$", sql, re.M))
    settings = dict(re.findall(r"^-- settings: (\w+)=(\S+)$", sql, re.M))
    assert expected, f"{path.name} names no expected finding (-- expect: rules.{rule_id}.…)"
    return sql, expected, RuleOptions(**settings)


def _found(model, rule_id: str, options: RuleOptions, kind: str) -> set[str]:  # type: ignore[no-untyped-def]
    group = RULES[rule_id].group
    findings = run_rules(model, [group], source_kind=kind, options=options)
    return {f.id for f in findings if f.id.startswith(f"rules.{rule_id}.")}


@pytest.mark.parametrize("rule_id", list(RULES))
def test_the_rule_fires_exactly_on_its_fixture(rule_id: str, make_db) -> None:  # type: ignore[no-untyped-def]
    sql, expected, options = _fixture(rule_id)
    assert _found(interpret(sql), rule_id, options, "sql") == expected
    dsn = make_db(rule_id.lower(), sql)
    assert _found(live.introspect(dsn), rule_id, options, "live") == expected


def test_every_fixture_belongs_to_a_rule() -> None:
    assert sorted(p.stem for p in FIXTURES.glob("*.sql")) == sorted(RULES)


def test_every_rule_has_its_metadata_and_documentation() -> None:
    for r in RULES.values():
        assert re.fullmatch(r"(SEC|PERF|SCH|PRIV)\d{3}", r.id), r.id
        assert r.name and r.hint and r.doc, r.id
        assert "Fires on:" in r.doc, f"{r.id}: the docstring shows what it fires on"


def test_the_rules_page_is_generated_from_the_registry() -> None:
    assert (ROOT / "docs" / "rules.md").read_text() == render(), (
        "docs/rules.md is out of date: make docs"
    )


def test_a_rule_is_not_judged_where_the_server_lacks_its_feature(make_db) -> None:  # type: ignore[no-untyped-def]
    """SEC009's fix (security_invoker) exists from PostgreSQL 15: an older catalog is not judged."""
    sql, expected, options = _fixture("SEC009")
    model = interpret(sql)
    model.server_version = "14.9"
    assert _found(model, "SEC009", options, "live") == set()
    model.server_version = "15.4 (Debian 15.4-1)"
    assert _found(model, "SEC009", options, "live") == expected


def test_sarif_lists_every_rule_with_its_name_and_help() -> None:
    """A rule finding points at its own rule, not one generic `schema-audit/rule`."""
    import json

    from b03 import FIXTURE, SPEC
    from jsonschema import Draft4Validator

    from schema_audit import audit
    from schema_audit.render import sarif

    document = json.loads(sarif.render(audit(SPEC, migrations=FIXTURE)))
    schema = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text())
    assert sorted(Draft4Validator(schema).iter_errors(document), key=str) == []
    run = document["runs"][0]
    described = {r["id"]: r for r in run["tool"]["driver"]["rules"]}
    for r in RULES.values():
        assert described[r.id]["name"] == r.name
        assert r.hint in described[r.id]["help"]["text"]
    perf = next(x for x in run["results"] if x["ruleId"] == "PERF001")
    assert run["tool"]["driver"]["rules"][perf["ruleIndex"]]["id"] == "PERF001"
