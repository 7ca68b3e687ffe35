"""What every check needs: the spec, the model, lookups and evidence helpers.

Built once per audit so that lookups (tables by name, which columns the spec
requires) are dictionary hits, not scans: a 5,000-table audit must stay linear.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from schema_audit import model_ddl
from schema_audit.audit.findings import Candidate, Evidence, Finding, new_evidence
from schema_audit.enums import Status
from schema_audit.model import Provenance, SchemaModel, Table, View, qualify
from schema_audit.spec.model import Requirement, Spec

if TYPE_CHECKING:
    from schema_audit.audit.deferral import Deferrals

_RELATION_KINDS = frozenset({"table", "view", "materialized_view"})
_NONE: list[Requirement] = []  # of_kind's answer for a kind the spec has none of
_DEFERRALS = ("deferral",)  # memo key of the audit's audit.deferral.Deferrals


@dataclass(slots=True)
class AuditContext:
    """What judging one spec against one model reads: the spec, the model, the requirements by id
    and the findings made so far (strict mode reads a table's other findings)."""

    spec: Spec
    model: SchemaModel
    source_kind: str  # live | alembic | sql | replay
    requirements: dict[str, Requirement] = field(default_factory=dict)  # by id (the first)
    # the findings judged so far by (kind, table): strict mode reads what the other
    # requirements of a table matched (the engine adds each finding as it is made)
    judged: dict[tuple[str, str | None], list[Finding]] = field(default_factory=dict)
    # CREATE TABLE text by (table, with indexes): printed once per table, not per finding
    table_ddl_cache: dict[tuple[str, bool], str] = field(default_factory=dict)
    # (schema, table) as a requirement names it -> the model's table (None: none), looked
    # up once per table rather than quoted and qualified for each of its requirements
    _tables: dict[tuple[str, str | None], Table | None] = field(default_factory=dict)
    # answers that depend only on their arguments and this audit's model, worked out once:
    # a spec asks the same question (a type, a relation's column names) thousands of times
    memo: dict[tuple, object] = field(default_factory=dict)
    # the spec's requirements by kind, in spec order (see of_kind; None until first asked)
    _by_kind: dict[str, list[Requirement]] | None = None
    # (required_columns, required_relations) and aliases, None until first asked
    _required: tuple[dict[str, set[str]], set[str]] | None = None
    _aliases: dict[str, dict[str, list[str]]] | None = None

    @classmethod
    def build(cls, spec: Spec, model: SchemaModel, source_kind: str) -> AuditContext:
        ctx = cls(spec=spec, model=model, source_kind=source_kind)
        # the first of an id, as Spec.requirement (walked backwards: the first is stored last)
        ctx.requirements = {req.id: req for req in reversed(spec.requirements)}
        return ctx

    def extended(
        self, spec: Spec, model: SchemaModel, source_kind: str, more: Sequence[Requirement]
    ) -> AuditContext:
        """The context of ``spec``, whose requirements are this context's spec's followed by
        ``more`` (those its selectors stamped), from this one's indexes of the spec (by id,
        by kind, aliases: each worked out here if it was not yet), which it takes over:
        ``audit/split`` works them out while the live read runs, before the model exists."""
        requirements, by_kind, aliases = self.requirements, self._by_kind, self.aliases
        assert by_kind is not None  # (aliases walked the requirements by kind)
        for req in more:
            requirements.setdefault(req.id, req)  # the first of an id stays
            same = by_kind.get(req.kind)
            if same is None:
                by_kind[req.kind] = [req]
            else:
                same.append(req)
        _add_aliases(aliases, [req for req in more if req.kind == "column"])
        return AuditContext(
            spec,
            model,
            source_kind,
            requirements=requirements,
            _by_kind=by_kind,
            _aliases=aliases,
        )

    @property
    def required_columns(self) -> dict[str, set[str]]:
        """Qualified table -> the names of the columns the spec requires (do not change it)."""
        if self._required is None:
            self._required = self._spec_relations()
        return self._required[0]

    @property
    def required_relations(self) -> set[str]:
        """The qualified tables and views the spec requires (do not change it)."""
        if self._required is None:
            self._required = self._spec_relations()
        return self._required[1]

    def _spec_relations(self) -> tuple[dict[str, set[str]], set[str]]:
        """What the spec requires by name, for near misses only (a FAIL's candidates): a
        conformant schema never asks, and the walk was half of building the context."""
        required_columns: dict[str, set[str]] = {}
        required_relations: set[str] = set()
        # (schema, table) -> its qualified name: a table's columns share one quoting
        qualified: dict[tuple[str, str], str] = {}
        for req in self.spec.requirements:
            kind, table = req.kind, req.table
            if not table or (kind != "column" and kind not in _RELATION_KINDS):
                continue
            key = (req.schema, table)
            name = qualified.get(key)
            if name is None:
                name = qualified[key] = qualify(req.schema, table)
            if kind != "column":
                required_relations.add(name)
                continue
            columns = required_columns.get(name)
            if columns is None:
                columns = required_columns[name] = set()
            columns.add(req.name or "")
        return required_columns, required_relations

    @property
    def aliases(self) -> dict[str, dict[str, list[str]]]:
        """Qualified table -> spec column -> the aliases it declares (do not change it)."""
        aliases = self._aliases
        if aliases is None:
            aliases = self._aliases = {}
            _add_aliases(aliases, self.of_kind("column"))
        return aliases

    # -- lookups ------------------------------------------------------------
    def of_kind(self, kind: str) -> list[Requirement]:
        """The spec's requirements of ``kind``, in spec order (do not change the list).

        Strict mode's set checks (tables, views, sequences, functions, default privileges)
        each read the entries of one or two kinds: each walked every requirement for them,
        eight walks of 220,000 at 5,000 tables with init's spec. One walk groups them all.
        """
        groups = self._by_kind
        if groups is None:
            groups = self._by_kind = {}
            for req in self.spec.requirements:
                same = groups.get(req.kind)
                if same is None:
                    groups[req.kind] = [req]
                else:
                    same.append(req)
        return groups.get(kind, _NONE)

    def table(self, req: Requirement) -> Table | None:
        key = (req.schema, req.table)
        try:
            return self._tables[key]
        except KeyError:
            found = self._tables[key] = self.model.tables.get(qualify(req.schema, req.table or ""))
            return found

    def view(self, req: Requirement) -> View | None:
        return self.model.views.get(qualify(req.schema, req.table or ""))

    def table_ddl(self, table: Table, *, with_indexes: bool = True) -> str:
        """The table's CREATE TABLE (every finding about one table shares one printing)."""
        key = (table.qualified_name, with_indexes)
        ddl = self.table_ddl_cache.get(key)
        if ddl is None:
            ddl = self.table_ddl_cache[key] = model_ddl.create_table(
                table, with_indexes=with_indexes
            )
        return ddl

    def column_names(self, relation: Table | View) -> set[str]:
        """The relation's column names (one set per relation for the whole audit; do not
        change it)."""
        key = ("columns", id(relation))
        names = self.memo.get(key)
        if names is None:
            names = self.memo[key] = (
                set(relation.columns)
                if isinstance(relation.columns, dict)
                else {c.name for c in relation.columns}
            )
        return names  # type: ignore[return-value]

    def column_aliases(self, relation: Table | View) -> dict[str, str]:
        """Spec column -> the declared alias that exists, for columns missing by their own name."""
        if not self.aliases:  # no spec column declares one (most specs): no name to quote
            return {}
        declared = self.aliases.get(relation.qualified_name)
        if not declared:
            return {}
        names = self.column_names(relation)
        out: dict[str, str] = {}
        for column, aliases in declared.items():
            if column not in names:
                present = [a for a in aliases if a in names]
                if present:
                    out[column] = present[0]
        return out

    def is_static(self) -> bool:
        return self.source_kind in ("alembic", "sql")

    # -- evidence -----------------------------------------------------------
    def evidence(self, provenance: list[Provenance], ddl: str | None) -> list[Evidence]:
        """Evidence for an object that exists: where it came from, or the catalog's DDL."""
        out: list[Evidence] = (
            [
                new_evidence(p.source, p.file, p.line, p.revision, p.sql, p.action)
                for p in provenance
                if p.source != "catalog"
            ]
            if provenance
            else []
        )
        if not out and ddl:
            source = "migration" if self.source_kind in ("alembic", "sql") else "catalog"
            out.append(new_evidence(source, None, None, None, ddl, None))
        return out

    def absence_evidence(self, table: Table | View | None, what: str) -> list[Evidence]:
        """Evidence for something missing: the parent as it exists and where it was made."""
        if table is None:
            head = self.model.revisions[-1] if self.model.revisions else None
            if head is not None and self.is_static():
                # Nothing to point at: cite the history as read, up to its head revision,
                # and a statement making it that a refusal rolled back (with its file:line)
                return [
                    Evidence(
                        source="migration",
                        file=head.file,
                        revision=head.revision,
                        note=f"{what} is not created anywhere in the {len(self.model.revisions)} "
                        f"migration(s) up to {head.revision}",
                    ),
                    *self._rolled_back_makers(what),
                ]
            return [
                Evidence(
                    source=self.evidence_kind(),
                    note=f"{what} not found in the {self.source_label()}",
                )
            ]
        ev = self.evidence(
            table.provenance[:1] + table.provenance[-1:]
            if len(table.provenance) > 1
            else table.provenance,
            None,
        )
        note = f"{what} not found; {table.qualified_name} as it exists is shown in the DDL"
        if ev:
            ev[0] = replace(ev[0], note=note)
        else:
            ev = [Evidence(source=self.evidence_kind(), note=note)]
        if self.is_static():
            ev.extend(self._rolled_back_parts(table, what))
        return ev

    def _rolled_back_parts(self, table: Table | View, what: str) -> list[Evidence]:
        """The statements adding ``what`` (``"column a.x"``, ``"index ax on a"``) to
        ``table`` that a refusal rolled back: ``ALTER TABLE … ADD …``, ``CREATE INDEX /
        TRIGGER / POLICY … ON`` the table, naming the part where ``what`` names it (the
        missing table's FAIL cited only CREATE: alembic22)."""
        import re

        from schema_audit.audit.deferral import unapplied_evidence

        rel = rf'(?:"?{re.escape(table.schema)}"?\s*\.\s*)?"?{re.escape(table.name)}"?(?![\w$])'
        words = what.split()
        kind = words[0].lower() if words else ""
        alter = rf"alter\s+table\s+(?:if\s+exists\s+)?(?:only\s+)?{rel}.*?\badd\b"
        made = "index" if kind not in ("trigger", "policy") else kind
        create = (
            r"create\s+(?:or\s+replace\s+)?(?:unique\s+|constraint\s+)?"
            rf"{made}\b[^;]*?\bon\s+(?:only\s+)?{rel}"
        )
        if kind in ("index", "trigger", "policy"):  # (made ON the table)
            adds = re.compile(rf"(?is)^\s*{create}")
        elif kind == "column":
            adds = re.compile(rf"(?is)^\s*{alter}")
        else:  # a constraint: added by ALTER TABLE, a unique one by CREATE UNIQUE INDEX too
            adds = re.compile(rf"(?is)^\s*(?:{alter}|{create})")
        part = words[1].rsplit(".", 1)[-1].strip('"') if len(words) > 1 else ""
        named = (
            re.compile(rf'(?i)(?<![\w$])"?{re.escape(part)}"?(?![\w$])')
            if part and part.lower() != "on" and not part.startswith("(")
            else None
        )
        return [
            unapplied_evidence(u, "not applied")
            for u in self.model.unapplied
            if u.reason.startswith("rolled back")
            and adds.match(u.sql)
            and (named is None or named.search(u.sql))
        ][:3]

    def _rolled_back_makers(self, what: str) -> list[Evidence]:
        """The statements creating ``what`` (``"table public.a"``) that a refusal rolled
        back, as evidence naming where and why (a FAIL said "not created anywhere" of a
        table the history makes in the file PostgreSQL refuses: silence19)."""
        import re

        from schema_audit.audit.deferral import unapplied_evidence

        name = what.rsplit(" ", 1)[-1].rsplit(".", 1)[-1].strip('"')
        if not name:
            return []
        makes = re.compile(rf'(?is)^\s*create\b[^;(]*?(?<![\w$])"?{re.escape(name)}"?(?![\w$])')
        return [
            unapplied_evidence(u, "not applied")
            for u in self.model.unapplied
            if u.reason.startswith("rolled back") and makes.match(u.sql)
        ][:3]

    def absent(
        self,
        req: Requirement,
        relation: Table | View,
        label: str,
        *,
        instead: Sequence[Candidate] = (),
        absent_columns: list[str] | None = None,
        note: str = "",
    ) -> Finding:
        """The FAIL of a required object that is not there, naming required columns that are missing too."""
        from schema_audit.audit.findings import Diff, finding_for, missing

        message = f"{label} does not exist"
        gone = list(dict.fromkeys(absent_columns or []))
        if gone:
            message += f" (column{'s' if len(gone) > 1 else ''} {', '.join(gone)} missing)"
        return finding_for(
            req,
            Status.FAIL,
            message + note,
            # which required columns are missing too, as data (recommendations read it)
            diffs=[missing(), *([Diff("missing_columns", [], gone)] if gone else [])],
            evidence=self.absence_evidence(relation, label),
            instead=instead,
        )

    def evidence_kind(self) -> str:
        return "migration" if self.is_static() else "catalog"

    def source_label(self) -> str:
        return {"live": "live catalog", "replay": "replayed catalog"}.get(
            self.source_kind, "migration history"
        )

    def deferral(self, finding: Finding, req: Requirement) -> Finding:
        """A static finding that an unapplied statement may change becomes DEFERRED (see
        :mod:`schema_audit.audit.deferral`): FAIL, PARTIAL and PASS alike."""
        deferrals = self.deferrals()
        return finding if deferrals is None else deferrals.requirement(finding, req)

    def deferrals(self) -> Deferrals | None:
        """The audit's :class:`~schema_audit.audit.deferral.Deferrals` (the model's unapplied
        statements digested once an audit), None where nothing is deferred: a live or
        replayed catalog, a history with every statement applied. The engine asks once and
        then each requirement, not through :meth:`deferral` (44,647 calls fewer with init's
        1,000-table spec)."""
        if not self.is_static() or not self.model.unapplied:
            return None
        deferrals = self.memo.get(_DEFERRALS)
        if deferrals is None:  # digested once an audit
            from schema_audit.audit.deferral import Deferrals

            deferrals = self.memo[_DEFERRALS] = Deferrals(self.model)
        return deferrals  # type: ignore[return-value]


def _add_aliases(aliases: dict[str, dict[str, list[str]]], columns: Sequence[Requirement]) -> None:
    """The aliases each column requirement of ``columns`` declares, into ``aliases``
    (qualified table -> spec column -> aliases; a later requirement's replace an earlier's)."""
    for req in columns:
        if req.table and req.props.get("aliases"):
            name = qualify(req.schema, req.table)
            aliases.setdefault(name, {})[req.name or ""] = list(req.props["aliases"])
