"""The fleet file: which databases one audit run covers.

```yaml
spec: specs/schema.yaml        # default spec for every target (else --spec)
targets:
  - name: eu-west
    dsn_env: EU_WEST_DATABASE_URL   # the DSN is read from this variable, never written here
  - name: staging
    dsn: postgresql://audit@staging-db/app
    vars: {tenant_schema: staging}
    spec: specs/staging.yaml        # this target's own spec
```

Paths are relative to the fleet file. A DSN written in the file is fine for hosts with
``.pgpass`` or certificates; a password belongs in ``dsn_env``. Every problem is reported
with ``file:line`` before any database is contacted.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from schema_audit.errors import SchemaAuditError

_TARGET_KEYS = {"name", "dsn", "dsn_env", "vars", "spec"}
_TOP_KEYS = {"spec", "targets"}


class FleetFileError(SchemaAuditError):
    """The fleet file is unreadable or malformed; one line per problem, with file:line."""


@dataclass(frozen=True, slots=True)
class FleetTarget:
    """One database of the fleet, ready to audit."""

    name: str
    dsn: str
    spec: Path
    variables: dict[str, str] = field(default_factory=dict)


def load_targets(path: Path, default_spec: Path | None) -> list[FleetTarget]:
    """Read and check the whole file; raise one error listing every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FleetFileError(f"{path}: cannot read the fleet file: {exc}") from None
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else str(path)
        raise FleetFileError(f"{where}: not YAML: {getattr(exc, 'problem', exc)}") from None
    problems: list[str] = []

    def at(node: yaml.Node, message: str) -> None:
        problems.append(f"{path}:{node.start_mark.line + 1}: {message}")

    if not isinstance(root, yaml.MappingNode):
        raise FleetFileError(f"{path}:1: a fleet file is a mapping with a 'targets' list")
    top = {key.value: value for key, value in root.value}
    for key, _ in root.value:
        if key.value not in _TOP_KEYS:
            at(key, f"unknown key {key.value!r} (expected: spec, targets)")
    spec = default_spec
    if "spec" in top:
        spec = path.parent / _scalar(top["spec"])
    entries = top.get("targets")
    if not isinstance(entries, yaml.SequenceNode) or not entries.value:
        at(entries or root, "'targets' must be a non-empty list")
        raise FleetFileError(*problems)
    targets: list[FleetTarget] = []
    seen: set[str] = set()
    for index, node in enumerate(entries.value):
        label = f"targets[{index}]"
        if not isinstance(node, yaml.MappingNode):
            at(node, f"{label}: expected a mapping with name and dsn or dsn_env")
            continue
        fields = {key.value: value for key, value in node.value}
        for key, _ in node.value:
            if key.value not in _TARGET_KEYS:
                at(
                    key,
                    f"{label}: unknown key {key.value!r} (expected: {', '.join(sorted(_TARGET_KEYS))})",
                )
        name = _scalar(fields.get("name")) or f"target-{index + 1}"
        label = f"targets[{index}] ({name})"
        if name in seen:
            at(node, f"{label}: the name {name!r} is used twice")
        seen.add(name)
        dsn = _scalar(fields.get("dsn"))
        env = _scalar(fields.get("dsn_env"))
        if bool(dsn) == bool(env):
            at(node, f"{label}: give exactly one of dsn or dsn_env")
            continue
        if env:
            dsn = os.environ.get(env, "")
            if not dsn:
                at(fields["dsn_env"], f"{label}: the environment variable {env} is not set")
                continue
        target_spec = path.parent / _scalar(fields["spec"]) if "spec" in fields else spec
        if target_spec is None:
            at(node, f"{label}: no spec (give --spec or a 'spec' key)")
            continue
        variables = {}
        if "vars" in fields:
            vars_node = fields["vars"]
            if not isinstance(vars_node, yaml.MappingNode):
                at(vars_node, f"{label}: vars must be a mapping NAME: value")
                continue
            variables = {key.value: _scalar(value) for key, value in vars_node.value}
        targets.append(FleetTarget(name, dsn, target_spec, variables))
    if problems:
        raise FleetFileError(*problems)
    return targets


def _scalar(node: yaml.Node | None) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""
