"""Bounds on what a spec may cost to load, checked before anything is built from it.

In CI the spec is written by whoever opened the pull request. Eleven lines of nested
YAML aliases (the "billion laughs" shape) expand to 43 million nodes; an ``extends:``
list that names the next file nine times, six files deep, asks for half a million
loads. Each limit here is checked on the composed node graph (aliases are shared
nodes there, so the check costs what the file costs) or on the ``extends:`` tree
before it is merged, and exceeding one is a one-line error naming the limit and the
environment variable that raises it.

The defaults are generous: the 51,644-requirement benchmark spec (3.2 MB) is about
337,000 nodes, 7 levels deep, without aliases.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from typing import Any

import yaml

from schema_audit.spec.yamlpos import SpecSyntaxError, flatten_merges

ENV_PREFIX = "SCHEMA_AUDIT_SPEC_"


@dataclass(frozen=True, slots=True)
class SpecLimits:
    """Each field can be set by ``SCHEMA_AUDIT_SPEC_<FIELD>`` (an integer)."""

    max_bytes: int = 64 * 1024 * 1024  # one spec file
    max_nodes: int = 10_000_000  # YAML nodes after aliases are expanded, per file
    max_alias_nodes: int = 1_000_000  # nodes that aliases (and merge keys) add, per file
    max_depth: int = 64  # nesting of mappings and lists
    max_extends_depth: int = 10  # files in one extends: chain below the spec
    max_extends_files: int = 100  # files loaded through extends:, in all

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> SpecLimits:
        env = os.environ if environ is None else environ
        values: dict[str, int] = {}
        for field in fields(cls):
            name = env_name(field.name)
            raw = env.get(name)
            if raw is None or raw == "":
                continue
            try:
                value = int(raw)
            except ValueError:
                raise SpecSyntaxError(f"{name}={raw!r}: expected a whole number") from None
            if value < 1:
                raise SpecSyntaxError(f"{name}={raw!r}: must be at least 1")
            values[field.name] = value
        return cls(**values)


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def check_graph(root: yaml.Node, file: str, limits: SpecLimits) -> None:
    """Depth, expanded size and alias expansion of a composed document; cycles refused.

    One iterative walk over the distinct nodes (so neither a deep nor a self-referring
    document can exhaust the interpreter's stack), each node's expanded size memoised:
    the walk costs the file's size, however far its aliases would expand.
    """
    ctor = yaml.SafeLoader("")
    size: dict[int, int] = {}  # id(node) -> nodes it expands to, itself included (capped)
    height: dict[int, int] = {}  # id(node) -> levels it spans, itself included
    cap = limits.max_nodes + 1
    expanded_by_aliases = 0
    state: dict[int, int] = {}  # 1 = on the current path, 2 = done
    # node, depth, its child collections (listed once), the next one to visit, scalar children
    stack: list[tuple[yaml.Node, int, list[yaml.Node], int, int]] = [(root, 1, [], -1, 0)]
    while stack:
        node, depth, children, index, scalars = stack.pop()
        key = id(node)
        if index < 0:  # first visit
            if state.get(key) == 2:
                continue
            state[key] = 1
            if depth > limits.max_depth:
                raise _exceeded(
                    node, file, f"nesting depth exceeds {limits.max_depth} levels", "max_depth"
                )
            if isinstance(node, yaml.MappingNode):
                _flatten(ctor, node, file)
                every = [part for pair in node.value for part in pair]
            else:
                every = node.value if isinstance(node, yaml.SequenceNode) else []
            # scalars (most of a spec) count one each, aliased or not: no walk, no state
            children = [c for c in every if not isinstance(c, yaml.ScalarNode)]
            scalars = len(every) - len(children)
            index = 0
        if index < len(children):
            child = children[index]
            stack.append((node, depth, children, index + 1, scalars))
            child_state = state.get(id(child))
            if child_state == 1:
                raise _at(child, file, "an alias refers to itself (a recursive structure)")
            if child_state == 2:  # an alias: its expansion is paid again here
                if depth + height[id(child)] > limits.max_depth:
                    raise _exceeded(
                        node,
                        file,
                        f"nesting depth exceeds {limits.max_depth} levels (through an alias)",
                        "max_depth",
                    )
                expanded_by_aliases += size[id(child)]
                if expanded_by_aliases > limits.max_alias_nodes:
                    raise _exceeded(
                        node,
                        file,
                        f"aliases expand to more than {limits.max_alias_nodes:,} nodes",
                        "max_alias_nodes",
                    )
            else:
                stack.append((child, depth + 1, [], -1, 0))
            continue
        size[key] = min(cap, 1 + scalars + sum(size[id(c)] for c in children))
        height[key] = 1 + max((height[id(c)] for c in children), default=1 if scalars else 0)
        state[key] = 2
        if size[key] > limits.max_nodes:  # the smallest part that is too large, by its position
            raise _exceeded(node, file, f"more than {limits.max_nodes:,} YAML nodes", "max_nodes")


def _flatten(ctor: yaml.SafeLoader, node: yaml.MappingNode, file: str) -> None:
    """Resolve merge keys (``<<: *anchor``) now, so the walk sees what conversion will build."""
    try:
        flatten_merges(ctor, node)
    except RecursionError:
        raise _at(node, file, "a merge key refers to itself (a recursive structure)") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark or node.start_mark
        raise SpecSyntaxError(
            f"{file}:{mark.line + 1}:{mark.column + 1}: YAML error: {exc.problem or exc.context}"
        ) from None


def _at(node: Any, file: str, what: str) -> SpecSyntaxError:
    mark = node.start_mark
    return SpecSyntaxError(f"{file}:{mark.line + 1}:{mark.column + 1}: {what}")


def _exceeded(node: Any, file: str, what: str, field: str) -> SpecSyntaxError:
    return _at(node, file, f"{what} (limit: {env_name(field)})")
