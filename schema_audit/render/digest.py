"""What every human-facing format shows: failures first and grouped, passes counted.

A passing audit of 1,000 tables has 14,000 PASS findings and hundreds of waived
ones; listing them all made an 18 MB HTML page and 485 terminal lines. Every
format therefore renders this digest of the result instead of the raw list:

- the problems (FAIL, NOT_APPLICABLE, PARTIAL, DEFERRED), grouped by requirement
  kind or rule, then table, each group with a count and its common fix;
- one problem per problem: a rule finding that restates a failing spec finding
  on the same object (SEC006 and ``tables.X.rls``, PERF001 and the index the
  spec asks for) is folded into the spec finding, which cites the rule;
- PASS counted per category, WAIVED summarised per waiver group;
- for each problem the forensic evidence: what exists instead, the DDL as it
  exists, the file:line, and the fix as SQL.

Values are written in SQL or English words, never as Python reprs (a diff says
``expected NOT NULL, actual NULL``, not ``expected False, actual True``).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import cached_property
from itertools import compress, repeat
from operator import attrgetter, eq
from typing import Any

from schema_audit.audit.findings import SEVERITY_RANK, STATUS_RANK, Finding, sort_key
from schema_audit.audit.indexes import add_exclusion_sql
from schema_audit.kinds import kind
from schema_audit.model import SchemaModel, Table, qualify, quote_ident
from schema_audit.render import ddl as render_ddl

PROBLEM = ("FAIL", "NOT_APPLICABLE", "PARTIAL", "DEFERRED")
_STATUS, _CATEGORY = attrgetter("status"), attrgetter("category")
# Findings of no requirement kind; each requirement kind has its title and fix hint
# in its registration (schema_audit/kinds/).
OTHER_TITLE = {"migration": "Migration history", "waiver": "Waivers"}
OTHER_FIX = {
    "migration": "fix the migration history",
    "waiver": "remove the stale waiver, or renew it with a reason",
}


def kind_title(kind_id: str, fallback: str) -> str:
    registered = kind(kind_id)
    return registered.title if registered is not None else OTHER_TITLE.get(kind_id, fallback)


def kind_fix(kind_id: str) -> str:
    registered = kind(kind_id)
    return registered.hint if registered is not None else OTHER_FIX.get(kind_id, "see the findings")


# Rules that restate a spec requirement on the same object: rule id -> requirement kind.
FOLDS = {"SEC002": "rls", "SEC003": "rls", "SEC006": "rls", "PERF001": "index"}


def report_date(explicit: str | None, spec_date: str | None) -> str:
    """--date, then the spec's date, then SOURCE_DATE_EPOCH (reproducible builds), else today."""
    if explicit:
        return explicit
    if spec_date:
        return spec_date
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return datetime.fromtimestamp(int(epoch), tz=UTC).date().isoformat()
    return date.today().isoformat()


# -- values in words ---------------------------------------------------------------------------

_WORDS = {
    "exists": ("present", "missing"),
    "nullable": ("NULL allowed", "NOT NULL"),
    "enabled": ("enabled", "disabled"),
    "forced": ("forced", "not forced"),
    "unique": ("unique", "not unique"),
    "validated": ("validated", "NOT VALID"),
    "deferrable": ("DEFERRABLE", "NOT DEFERRABLE"),
    "security_definer": ("SECURITY DEFINER", "SECURITY INVOKER"),
    "permissive": ("PERMISSIVE", "RESTRICTIVE"),
}


def words(value: Any, prop: str = "") -> str:
    """A diff value as a reviewer reads it: SQL or English, never a Python repr."""
    if isinstance(value, bool):
        yes, no = _WORDS.get(prop, ("true", "false"))
        return yes if value else no
    if value is None:
        return "none"
    if isinstance(value, (list, tuple, set, frozenset)):
        items = sorted(value) if isinstance(value, (set, frozenset)) else value
        return "(" + ", ".join(words(v) for v in items) + ")" if items else "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k} {words(v, str(k))}" for k, v in value.items()) or "(none)"
    return str(value)


def diff_text(d: Any) -> str:
    return f"{d.property}: expected {words(d.expected, d.property)}, actual {words(d.actual, d.property)}"


# -- the forensic record of one problem --------------------------------------------------------


@dataclass
class Problem:
    """One failing finding with what a reviewer needs to act on it.

    Where it is, what exists, its DDL, its fix and its diffs in words are worked out when a
    format first reads them: ``-q`` reads none, the terminal only those of the problems it
    lists (a failing 5,000-table audit has thousands, each DDL a CREATE TABLE printed)."""

    finding: Finding
    table_key: str | None
    model: SchemaModel = field(repr=False, compare=False)
    props: dict[str, Any] = field(default_factory=dict, repr=False)  # its requirement's
    folded: list[Finding] = field(default_factory=list)  # rule findings restating it

    @cached_property
    def _table(self) -> Table | None:
        return self.model.tables.get(self.table_key) if self.table_key else None

    @cached_property
    def where(self) -> str | None:
        """file:line of the object (or of the requirement in the spec)."""
        return _where(self.finding, self._table)

    @cached_property
    def exists(self) -> list[str]:
        """What exists instead (names with why, or the actual state)."""
        return _exists(self.finding, self._table)

    @cached_property
    def ddl(self) -> str | None:
        """The DDL of what exists."""
        return _ddl(self.finding, self._table)

    @cached_property
    def fix(self) -> str | None:
        """The fix as SQL."""
        return fix_sql(self.finding, self.props, self.table_key, self.model)

    @cached_property
    def diffs(self) -> list[str]:
        return [diff_text(d) for d in self.finding.diffs]

    @property
    def id(self) -> str:
        return self.finding.id

    @property
    def group(self) -> str:
        f = self.finding
        return f.id.split(".")[1] if f.kind == "rule" and f.id.count(".") >= 2 else f.kind

    @property
    def table(self) -> str:
        return self.finding.table or "(schema)"


@dataclass(slots=True)
class Group:
    """Problems of one requirement kind or rule, printed under one heading with one fix."""

    key: str  # requirement kind or rule id
    title: str
    fix: str
    problems: list[Problem]

    @property
    def count(self) -> int:
        return len(self.problems)

    @property
    def tables(self) -> list[tuple[str, list[Problem]]]:
        out: dict[str, list[Problem]] = {}
        for p in self.problems:
            out.setdefault(p.table, []).append(p)
        return list(out.items())

    @property
    def worst(self) -> Finding:
        return min((p.finding for p in self.problems), key=sort_key)


@dataclass(slots=True)
class WaiverLine:
    """Waived findings that share a rule (or kind) and an owner: one line, not one per finding."""

    what: str
    owner: str | None
    count: int
    waivers: int
    example: str


@dataclass(slots=True)
class Digest:
    """An audit result arranged for the terminal and Markdown reports: groups, passes, waivers."""

    groups: list[Group]
    problems: list[Problem]
    passes: dict[str, int]  # category title -> PASS count
    waived: list[WaiverLine]
    folded: int
    total_requirements: int
    trend: Any = None  # render.trend.Trend of --compare, or None

    @property
    def problem_count(self) -> int:
        return len(self.problems)


def _table_key(f: Finding, requirements: dict[str, Any], model: SchemaModel) -> str | None:
    if f.kind == "rule":
        rest = f.id.split(".", 2)[2] if f.id.count(".") >= 2 else ""
        for key in (rest, rest.rsplit(".", 1)[0]):
            if key in model.tables:
                return key
        return None
    req = requirements.get(f.id)
    if req is not None and req.table:
        return qualify(req.schema, req.table)
    if f.table:
        return qualify("public", f.table)
    return None


def _where(f: Finding, table: Table | None) -> str | None:
    for ev in f.evidence:
        if ev.file and ev.source != "spec":
            return f"{ev.file}:{ev.line}" if ev.line else ev.file
    if table is not None:
        for prov in table.provenance:
            if prov.file:
                return f"{prov.file}:{prov.line}" if prov.line else prov.file
    if f.spec_location:
        return "spec " + ":".join(f.spec_location.split(":")[:2])
    return None


def _exists(f: Finding, table: Table | None) -> list[str]:
    out = [f"{c.name} ({c.why})" for c in f.instead[:5]]
    if out:
        return out
    actual = [
        f"{d.property}: {words(d.actual, d.property)}"
        for d in f.diffs
        if not (d.property == "exists" and d.actual is False)
    ]
    if actual:
        return ["; ".join(actual)]
    if any(d.property == "exists" and d.actual is False for d in f.diffs):
        if table is not None:
            return [f"nothing similar on {table.name}"]
        return ["nothing similar"]
    return []


# Rules whose evidence SQL is the suggested change, not an object that exists.
_SQL_IS_FIX = ("PERF001",)


def _ddl(f: Finding, table: Table | None) -> str | None:
    if f.ddl:
        return f.ddl
    fix_only = f.kind == "rule" and f.id.split(".")[1:2] and f.id.split(".")[1] in _SQL_IS_FIX
    for ev in [] if fix_only else f.evidence:
        if ev.sql and not ev.sql.lstrip().startswith("--"):
            return ev.sql.strip().rstrip(";") + ";"
    if table is not None:
        return render_ddl.create_table(table, with_indexes=False)
    return None


def sql_literal(value: Any) -> str:
    """A spec value (YAML loads ``false`` as a Python bool) as SQL writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "NULL"
    return str(value)


def _cols(items: Any) -> str:
    return ", ".join(str(c) for c in items or [])


def fix_sql(
    f: Finding, props: dict[str, Any], table_key: str | None, model: SchemaModel
) -> str | None:
    """The change that would make the finding pass, as SQL (None when no single statement does)."""
    if table_key is None:
        return None
    schema, _, name = table_key.partition(".")
    target = name if schema == "public" else table_key
    target = (
        ".".join(quote_ident(p) for p in target.split(".", 1))
        if "." in target
        else quote_ident(target)
    )
    missing = any(d.property == "exists" and d.actual is False for d in f.diffs)
    kind = f.kind
    if kind == "rule":
        rule = f.id.split(".")[1]
        table = model.tables.get(table_key)
        if rule == "PERF001" and table is not None:
            fk = table.foreign_keys.get(f.id.rsplit(".", 1)[1])
            if fk is not None:
                return f"CREATE INDEX CONCURRENTLY ON {target} ({_cols(quote_ident(c) for c in fk.columns)});"
        if rule in ("SEC006", "SEC002"):
            return f"ALTER TABLE {target} ENABLE ROW LEVEL SECURITY;"
        if rule == "SEC003":
            return f"ALTER TABLE {target} FORCE ROW LEVEL SECURITY;"
        return None
    if kind == "rls":
        out = []
        for prop, on, off in (("enabled", "ENABLE", "DISABLE"), ("forced", "FORCE", "NO FORCE")):
            d = next((x for x in f.diffs if x.property == prop), None)
            if d is not None:
                out.append(f"ALTER TABLE {target} {on if d.expected else off} ROW LEVEL SECURITY;")
        return "\n".join(out) or None
    if kind == "column" and f.name:
        col = quote_ident(f.name)
        if missing:
            text = f"ALTER TABLE {target} ADD COLUMN {col} {props.get('type', '…')}"
            if props.get("default") is not None:
                text += f" DEFAULT {sql_literal(props['default'])}"
            if props.get("nullable") is False:
                text += " NOT NULL"
            return text + ";"
        out = []
        for d in f.diffs:
            if d.property == "type":
                out.append(f"ALTER TABLE {target} ALTER COLUMN {col} TYPE {d.expected};")
            elif d.property == "nullable":
                out.append(
                    f"ALTER TABLE {target} ALTER COLUMN {col} {'DROP' if d.expected else 'SET'} NOT NULL;"
                )
            elif d.property == "default":
                out.append(
                    f"ALTER TABLE {target} ALTER COLUMN {col} "
                    + (
                        f"SET DEFAULT {sql_literal(d.expected)};"
                        if d.expected is not None
                        else "DROP DEFAULT;"
                    )
                )
        return "\n".join(out) or None
    if kind == "index":
        keys = props.get("columns") or []
        if not keys:
            return None
        if props.get("exclude"):  # an EXCLUDE constraint's index: the constraint makes it
            prefix = (
                f"ALTER TABLE {target} DROP CONSTRAINT {quote_ident(f.name)};\n"
                if not missing and f.name
                else ""
            )
            return prefix + add_exclusion_sql(props, target) + ";"
        name = quote_ident(props["name"]) + " " if props.get("name") else ""
        text = (
            "CREATE "
            + ("UNIQUE " if props.get("unique") else "")
            + f"INDEX CONCURRENTLY {name}ON {target}"
        )
        if props.get("method") and props["method"] != "btree":
            text += f" USING {props['method']}"
        text += f" ({_cols(keys)})"
        if props.get("include"):
            text += f" INCLUDE ({_cols(props['include'])})"
        if props.get("where"):
            text += f" WHERE {props['where']}"
        prefix = (
            f"DROP INDEX CONCURRENTLY {quote_ident(f.name)};\n" if not missing and f.name else ""
        )
        return prefix + text + ";"
    if kind == "foreign_key" and props.get("columns") and props.get("references"):
        name = f"CONSTRAINT {quote_ident(props['name'])} " if props.get("name") else ""
        text = f"ALTER TABLE {target} ADD {name}FOREIGN KEY ({_cols(props['columns'])}) REFERENCES {props['references']}"
        if props.get("on_delete") and props["on_delete"] != "NO ACTION":
            text += f" ON DELETE {props['on_delete']}"
            if props.get("on_delete_columns"):  # SET NULL (a): only these columns
                text += f" ({_cols(props['on_delete_columns'])})"
        prefix = (
            f"ALTER TABLE {target} DROP CONSTRAINT {quote_ident(f.name)};\n"
            if not missing and f.name
            else ""
        )
        return prefix + text + ";"
    if kind == "check" and props.get("expression"):
        name = f"CONSTRAINT {quote_ident(props['name'])} " if props.get("name") else ""
        return f"ALTER TABLE {target} ADD {name}CHECK ({props['expression']});"
    if kind == "unique" and props.get("columns"):
        name = f"CONSTRAINT {quote_ident(props['name'])} " if props.get("name") else ""
        return f"ALTER TABLE {target} ADD {name}UNIQUE ({_cols(props['columns'])});"
    if kind == "primary_key" and props.get("columns"):
        return f"ALTER TABLE {target} ADD PRIMARY KEY ({_cols(props['columns'])});"
    if kind == "table" and missing and isinstance(props.get("columns"), dict):
        lines = []
        for cname, cprops in props["columns"].items():
            cprops = cprops if isinstance(cprops, dict) else {"type": cprops}
            line = f"    {quote_ident(cname)} {cprops.get('type', '…')}"
            if cprops.get("nullable") is False:
                line += " NOT NULL"
            lines.append(line)
        return f"CREATE TABLE {target} (\n" + ",\n".join(lines) + "\n);"
    return None


def _fold_target(
    rule: Finding, key: str | None, spec_problems: dict, model: SchemaModel
) -> Problem | None:
    rule_id = rule.id.split(".")[1] if rule.id.count(".") >= 2 else ""
    kind = FOLDS.get(rule_id)
    if kind is None or key is None:
        return None
    candidates = spec_problems.get((key, kind), [])
    if kind == "rls":
        return candidates[0] if candidates else None
    table = model.tables.get(key)
    fk = table.foreign_keys.get(rule.id.rsplit(".", 1)[1]) if table is not None else None
    if fk is None:
        return None
    for p in candidates:
        leading = [str(c).split()[0] for c in p.props.get("columns") or []][: len(fk.columns)]
        if sorted(leading) == sorted(fk.columns):
            return p.problem
    return None


@dataclass(slots=True)
class _SpecProblem:
    """A problem with the spec properties its requirement states (for the grouping's key)."""

    problem: Problem
    props: dict[str, Any]


def build(result: Any, trend: Any = None) -> Digest:
    """The digest of an audit result (read-only: the result is not changed)."""
    spec = result.spec
    problems, folded = _problems(result)
    problems.sort(key=lambda p: sort_key(p.finding))
    groups: dict[str, Group] = {}
    for p in problems:
        g = groups.get(p.group)
        if g is None:
            g = groups[p.group] = Group(p.group, _group_title(p), _group_fix(p), [])
        g.problems.append(p)
    ordered = sorted(
        groups.values(),
        key=lambda g: (
            STATUS_RANK[g.worst.status],
            -SEVERITY_RANK[g.worst.severity],
            -g.count,
            g.key,
        ),
    )
    # PASS counted per category first, then titled: a title is a scan of the spec's categories
    # (in C: a finding per requirement; the categories in the order first seen, as before)
    findings = result.findings
    passed = map(eq, map(_STATUS, findings), repeat("PASS"))
    by_category: dict[str | None, int] = Counter(compress(map(_CATEGORY, findings), passed))
    passes: dict[str, int] = {}
    for category, count in by_category.items():
        title = spec.category_title(category) if category else "Requirements"
        passes[title] = passes.get(title, 0) + count
    return Digest(
        ordered,
        problems,
        passes,
        _waived(result.findings),
        folded,
        len(result.findings),
        trend,
    )


def quiet_line(result: Any) -> str:
    """:func:`verdict_line` of :func:`build`'s digest, from the two counts the line reads
    (``-q`` prints only this line: the groups, PASS counts and waiver lines of a digest
    were most of its work, the waiver lines alone half with init's spec)."""
    problems, folded = _problems(result)
    return verdict_line(result, Digest([], problems, {}, [], folded, len(result.findings)))


def _problems(result: Any) -> tuple[list[Problem], int]:
    """The problems a digest lists, in the order found (the rule findings that restate a
    spec finding folded into it), and how many rule findings were folded."""
    spec, model = result.spec, result.model
    problems: list[Problem] = []
    spec_problems: dict[tuple[str, str], list[Any]] = {}
    rules: list[tuple[Finding, str | None]] = []
    requirements: dict[str, Any] = {}  # by id, the first of an id (as Spec.requirement finds it)
    # only problems are listed: sorting just them keeps their order (the sort is stable) and
    # skips the passes, which are nearly every finding of a conformant schema
    listed = sorted((f for f in result.findings if f.status in PROBLEM), key=sort_key)
    if listed and spec is not None:  # the first of an id is stored last (walked backwards)
        requirements = {r.id: r for r in reversed(spec.requirements)}
    for f in listed:
        key = _table_key(f, requirements, model)
        if f.kind == "rule":
            rules.append((f, key))
            continue
        req = requirements.get(f.id)
        props = req.props if req is not None else {}
        problem = _problem(f, key, props, model)
        problems.append(problem)
        if key is not None and f.kind in ("rls", "index"):
            entry = problem if f.kind == "rls" else _SpecProblem(problem, props)
            spec_problems.setdefault((key, f.kind), []).append(entry)
    folded = 0
    for f, key in rules:
        target = _fold_target(f, key, spec_problems, model)
        if target is not None:
            target.folded.append(f)
            folded += 1
        else:
            problems.append(_problem(f, key, {}, model))
    return problems, folded


def _problem(f: Finding, key: str | None, props: dict[str, Any], model: SchemaModel) -> Problem:
    return Problem(finding=f, table_key=key, props=props, model=model)


def _group_title(p: Problem) -> str:
    f = p.finding
    if f.kind == "rule":
        return f"{p.group} {f.name}"
    return kind_title(f.kind, f.kind.replace("_", " "))


def _group_fix(p: Problem) -> str:
    f = p.finding
    if f.kind == "rule":
        return f.impact or "see docs/rules.md"
    return kind_fix(f.kind)


def _waived(findings: Any) -> list[WaiverLine]:
    lines: dict[tuple[str, str | None], WaiverLine] = {}
    spots: dict[tuple[str, str | None], set[str]] = {}
    for f in findings:
        if f.status != "WAIVED":
            continue
        what = (
            f"{f.id.split('.')[1]} {f.name}"
            if f.kind == "rule" and f.id.count(".") >= 2
            else kind_title(f.kind, f.kind)
        )
        owner = None
        if "(owner " in f.message:
            owner = f.message.split("(owner ", 1)[1].split(")", 1)[0]
        key = (what, owner)
        where = next(
            (f"{e.file}:{e.line}" for e in f.evidence if e.source == "spec" and e.file), f.id
        )
        if key not in lines:
            lines[key] = WaiverLine(what, owner, 0, 0, f.id)
            spots[key] = set()
        lines[key].count += 1
        spots[key].add(where)
        lines[key].waivers = len(spots[key])
    return sorted(lines.values(), key=lambda w: (-w.count, w.what))


def verdict_line(result: Any, digest: Digest) -> str:
    """The one line every format starts with (and all that ``-q`` prints)."""
    summary = result.summary
    parts = [f"{digest.problem_count} problem(s) to look at", f"{summary['PASS']} pass"]
    if summary["WAIVED"]:
        parts.append(f"{summary['WAIVED']} waived")
    folded = (
        f", {digest.folded} rule finding(s) folded into the spec finding they restate"
        if digest.folded
        else ""
    )
    return (
        f"verdict: {result.verdict} — {len(result.failing)} failing finding(s) at or above "
        f"'{result.fail_on}'{folded}; " + ", ".join(parts)
    )
