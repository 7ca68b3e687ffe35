"""init's repetitive spec entries (tables, waivers) written straight from the model.

At 5,000 tables ``init`` writes ~160,000 lines of table entries and ~15,000 waivers.
Building a dict per entry and laying it out with :mod:`yamlwrite`'s general writer (a call
and a type dispatch per node) was most of ``init``'s time after the live read (issue 19).
Here each entry's lines are written from the model in one pass, with yamlwrite's own scalar
forms, key forms, width checks and folding, so the text is byte for byte what
``bootstrap._block`` writes for ``bootstrap._table`` (and ``_accepted_rules`` for a
waiver). Whatever the general writer would lay out differently from the usual shape (a
flow collection past the width, a multi-line string, a key PyYAML writes as ``? key``, a
value of an unexpected type) raises ``Unsupported``, and the caller writes that entry the
general way. ``tests/test_yamlwrite.py`` compares both on every fixture, the synthetic
schema and awkward names.
"""

from __future__ import annotations

import re
from typing import Any

from schema_audit.audit.privileges import BlockedUsage, table_access
from schema_audit.enums import ReferentialAction
from schema_audit.model import (
    TABLE_PRIVILEGES,
    UNKNOWN_TYPE,
    CheckConstraint,
    ForeignKey,
    Grant,
    Index,
    Policy,
    PrimaryKey,
    Table,
    Trigger,
    UniqueConstraint,
    View,
    held,
    is_mark,
    owner_lacks,
    setting_pairs,
)
from schema_audit.spec.yamlwrite import (
    Unsupported,
    block_scalar,
    flow_sequence,
    forms,
    key,
    scalar,
)

TABLE_WIDTH = 120  # bootstrap._block's width
WAIVER_WIDTH = 100  # _accepted_rules' width
BASE = 2  # every entry is written two spaces in (under ``tables:`` / ``waivers:``)


def _flow_fits(column: int, text: str) -> str:
    """`` text`` after a key ending at ``column``: the writer refuses a flow collection
    PyYAML might wrap."""
    if column + 1 + len(text) > TABLE_WIDTH:
        raise Unsupported("a flow collection PyYAML may wrap")
    return " " + text


class _Column:
    """A column's line, ``name: {type: …, nullable: …}``, cached by its fields (names,
    types and defaults repeat from table to table)."""

    LEAD = "\n" + " " * BASE + "    "  # columns: is at indent 2, its keys at 4

    def __init__(self) -> None:
        self.cache: dict[tuple[Any, ...], str] = {}

    def line(self, column: Any) -> str:
        fields = (
            column.name,
            column.type,
            column.nullable,
            column.default,
            column.identity,
            column.generated,
            column.collation,
            column.comment,
            None if column.settings is None else tuple(column.settings.items()),
        )
        name, kind, nullable, default, identity, generated, collated, comment, settings = fields
        if not (  # only str/None fields and a bool are keys: 1 == True, and a list is no key
            type(name) is str
            and type(kind) is str
            and type(nullable) is bool
            and (default is None or type(default) is str)
            and (identity is None or type(identity) is str)
            and (generated is None or type(generated) is str)
            and (collated is None or type(collated) is str)
            and (comment is None or type(comment) is str)
            and (settings is None or all(type(v) in (int, str) for _, v in settings))
        ):
            return self._line(column)
        line = self.cache.get(fields)
        if line is None:
            line = self.cache[fields] = self._line(column)
        return line

    def _line(self, column: Any) -> str:
        written_key = key(column.name, False)
        return (
            self.LEAD + written_key + ":" + _flow_fits(4 + len(written_key) + 1, self._text(column))
        )

    @staticmethod
    def _text(column: Any) -> str:
        """``{type: …, nullable: …}``: bootstrap's column entry, in flow style (no type where
        the source does not know it: CREATE TABLE AS, read statically)."""
        parts = ["{"]
        if column.type != UNKNOWN_TYPE:
            parts += ("type: ", scalar(column.type, True), ", ")
        parts += ("nullable: ", scalar(column.nullable, True))
        if column.default is not None:
            parts += (", default: ", scalar(column.default, True))
        if column.identity:
            parts += (", identity: ", scalar(column.identity, True))
        if column.generated:
            parts += (", generated: ", scalar(column.generated, True))
        if column.collation:
            parts += (", collation: ", scalar(column.collation, True))
        if column.comment:
            parts += (", comment: ", scalar(column.comment, True))
        for key_, value in column_settings(column):
            parts += (", ", key_, ": ", scalar(value, True))
        parts.append("}")
        return "".join(parts)


_FIRST = "\n" + " " * BASE + "  - "  # a section's item: its first key after the dash …
_NEXT = "\n" + " " * BASE + "    "  # … and the others under it (indent 4)


def _item(out: list[str], pairs: list[tuple[str, Any]]) -> None:
    """A sequence item (``- k: v`` then ``  k: v``) of a table section, at indent 2, whose
    values are scalars or lists of scalars (a list value makes the writer use block style)."""
    lead = _FIRST
    for name, value in pairs:
        column = 5 + len(name)  # the key at indent 4, then ':'
        kind = type(value)
        if kind is str:  # most values: a name that fits on the line as it is
            text = forms(value)[0]
            if text is None or column + 1 + len(text) > TABLE_WIDTH:
                text = block_scalar(value, 4, column, BASE, TABLE_WIDTH)[1:]
        elif kind is list:
            text = flow_sequence(value)
            if column + 1 + len(text) > TABLE_WIDTH:
                raise Unsupported("a flow collection PyYAML may wrap")
        elif kind is bool and column + 6 <= TABLE_WIDTH:  # block_scalar's text, never folded
            text = "true" if value else "false"
        else:
            text = block_scalar(value, 4, column, BASE, TABLE_WIDTH)[1:]
        out.append(lead + name + ": " + text)
        lead = _NEXT


def column_settings(column: Any) -> list[tuple[str, Any]]:
    """The column's SET STATISTICS / STORAGE / COMPRESSION that are not the default, in that
    order (``exactly: [columns]`` holds an unstated one to the default)."""
    return setting_pairs(column.settings)


def _flow_item(out: list[str], pairs: list[tuple[str, Any]]) -> None:
    """A sequence item whose values are all scalars: ``- {k: v, k: v}``."""
    text = "{" + ", ".join([name + ": " + scalar(value, True) for name, value in pairs]) + "}"
    out.append("\n" + " " * BASE + "  -" + _flow_fits(3, text))


def index_pairs(index: Index, keys: list[str]) -> list[tuple[str, Any]]:
    """An index's spec entry, in order: every property that differs from CREATE INDEX's
    default, so that ``exactly: [indexes]`` can hold the index to all of them."""
    pairs: list[tuple[str, Any]] = [("name", index.name), ("columns", keys)]
    if index.unique:
        pairs.append(("unique", True))
    if index.where:
        pairs.append(("where", index.where))
    if index.include:
        pairs.append(("include", list(index.include)))
    if index.method != "btree":
        pairs.append(("method", index.method))
    if index.nulls_not_distinct:
        pairs.append(("nulls_not_distinct", True))
    if index.options:  # WITH (fillfactor = 70): a mapping, written the general way
        pairs.append(("options", dict(sorted(index.options.items()))))
    if index.clustered:
        pairs.append(("clustered", True))
    if index.comment:
        pairs.append(("comment", index.comment))
    if index.tablespace:
        pairs.append(("tablespace", index.tablespace))
    if index.exclude:  # an EXCLUDE constraint's operators, DEFERRABLE, COMMENT ON CONSTRAINT
        pairs.append(("exclude", list(index.exclude)))
        if index.deferrable:
            pairs.append(("deferrable", True))
        if index.initially_deferred:
            pairs.append(("initially_deferred", True))
        if index.constraint_comment:
            pairs.append(("constraint_comment", index.constraint_comment))
    return pairs


def pk_pairs(pk: PrimaryKey, index: Index | None = None) -> list[tuple[str, Any]]:
    """A primary key's spec entry: its constraint name and columns, then its COMMENT and its
    index's tablespace and CLUSTER ON when it has them (a RENAME CONSTRAINT, COMMENT ON
    CONSTRAINT, ALTER INDEX … SET TABLESPACE or CLUSTER … USING after init passed before)."""
    pairs: list[tuple[str, Any]] = [("name", pk.name), ("columns", list(pk.columns))]
    if pk.comment:
        pairs.append(("comment", pk.comment))
    return pairs + key_index_pairs(index)


def key_index_pairs(index: Index | None) -> list[tuple[str, Any]]:
    """What a key constraint's own index holds that its entry states: its INCLUDE columns
    (``PRIMARY KEY (id) INCLUDE (x)``, ``UNIQUE (a) INCLUDE (b)``), tablespace (ALTER INDEX
    … SET TABLESPACE) and CLUSTER ON (CLUSTER … USING), when it has them."""
    pairs: list[tuple[str, Any]] = []
    if index is not None and index.include:
        pairs.append(("include", list(index.include)))
    if index is not None and index.tablespace:
        pairs.append(("tablespace", index.tablespace))
    if index is not None and index.clustered:
        pairs.append(("clustered", True))
    return pairs


def unique_pairs(unique: UniqueConstraint, index: Index | None = None) -> list[tuple[str, Any]]:
    """A UNIQUE constraint's spec entry: name, columns, then NULLS NOT DISTINCT, DEFERRABLE
    and INITIALLY DEFERRED when it has them (``exactly: [unique]`` holds it to none else),
    its COMMENT, and its index's INCLUDE columns, tablespace and CLUSTER ON."""
    pairs: list[tuple[str, Any]] = [("name", unique.name), ("columns", list(unique.columns))]
    if unique.nulls_not_distinct:
        pairs.append(("nulls_not_distinct", True))
    if unique.deferrable:
        pairs.append(("deferrable", True))
    if unique.initially_deferred:
        pairs.append(("initially_deferred", True))
    if unique.comment:
        pairs.append(("comment", unique.comment))
    return pairs + key_index_pairs(index)


def fk_pairs(fk: ForeignKey, ref_name: Any) -> list[tuple[str, Any]]:
    """A foreign key's spec entry: ``on_delete`` always, then every property that differs
    from ADD FOREIGN KEY's default (ON UPDATE, MATCH FULL, DEFERRABLE, INITIALLY DEFERRED,
    NOT VALID), so that ``exactly: [foreign_keys]`` can hold the key to all of them.
    ``ref_name`` is bootstrap's ``_name`` (the referenced table as the spec names it)."""
    references = f"{ref_name(fk.ref_schema, fk.ref_table)}({', '.join(fk.ref_columns)})"
    pairs: list[tuple[str, Any]] = [
        ("name", fk.name),
        ("columns", list(fk.columns)),
        ("references", references),
        ("on_delete", fk.on_delete),
    ]
    if fk.on_delete_columns:  # ON DELETE SET NULL (a): only these columns
        pairs.append(("on_delete_columns", list(fk.on_delete_columns)))
    if fk.on_update != ReferentialAction.NO_ACTION:
        pairs.append(("on_update", fk.on_update))
    if fk.match != "SIMPLE":
        pairs.append(("match", fk.match))
    if fk.deferrable:
        pairs.append(("deferrable", True))
    if fk.initially_deferred:
        pairs.append(("initially_deferred", True))
    if not fk.validated:
        pairs.append(("validated", False))
    if fk.comment:
        pairs.append(("comment", fk.comment))
    return pairs


_TRIGGER_STATES = {"ALWAYS": "always", "REPLICA": "replica"}


def trigger_pairs(trigger: Trigger) -> list[tuple[str, Any]]:
    """A trigger's spec entry: its shape, then WHEN, arguments and UPDATE OF columns when it
    has them (``exactly: [triggers]`` holds a trigger without them to none)."""
    pairs: list[tuple[str, Any]] = [
        ("name", trigger.name),
        ("timing", trigger.timing),
        ("events", list(trigger.events)),
        ("level", trigger.level),
        ("function", trigger.function),
        # ENABLE ALWAYS / REPLICA as words, else whether it fires (exactly holds ALWAYS)
        ("enabled", _TRIGGER_STATES.get(trigger.enabled, trigger.enabled != "DISABLED")),
    ]
    if trigger.update_columns:
        pairs.append(("update_of", list(trigger.update_columns)))
    if trigger.arguments:
        pairs.append(("arguments", list(trigger.arguments)))
    if trigger.when:
        pairs.append(("when", trigger.when))
    if trigger.comment:
        pairs.append(("comment", trigger.comment))
    if trigger.constraint or trigger.old_table or trigger.new_table:  # rare: CONSTRAINT …
        pairs += trigger.extras()
    return pairs


def policy_pairs(policy: Policy) -> list[tuple[str, Any]]:
    """A policy's spec entry: its shape, USING when it has one, WITH CHECK always (null =
    none), then its COMMENT when set (``exactly: [policies]`` holds an unstated one)."""
    pairs: list[tuple[str, Any]] = [
        ("name", policy.name),
        ("command", policy.command),
        ("permissive", policy.permissive),
        ("roles", list(policy.roles)),
    ]
    if policy.using:
        pairs.append(("using", policy.using))
    pairs.append(("with_check", policy.with_check))
    if policy.comment:
        pairs.append(("comment", policy.comment))
    return pairs


_QUALIFIED = re.compile(r'^("(?:[^"]|"")*"|[^."]*)\.("(?:[^"]|"")*"|.*)$')


def partition_parent(key: str) -> str:
    """A partition's parent as the spec names a table (bare in public, else schema.name),
    from the model's key (``schema.name``, quoted where PostgreSQL needs it, or bare)."""
    match = _QUALIFIED.match(key)
    if match is None:
        return key
    schema, name = (
        part[1:-1].replace('""', '"') if part.startswith('"') else part for part in match.groups()
    )
    return name if schema == "public" else f"{schema}.{name}"


def table_properties(table: Table) -> list[tuple[str, str]]:
    """The table's comment, replica identity (when not DEFAULT), partition key, tablespace and
    access method (when not the default), as ``init`` writes them (``strict.tables`` holds an unstated one to none)."""
    pairs: list[tuple[str, str]] = []
    if table.comment:
        pairs.append(("comment", table.comment))
    if table.replica_identity != "default":
        pairs.append(("replica_identity", table.replica_identity))
    if table.partition_key:
        pairs.append(("partition_key", table.partition_key))
    if table.tablespace:
        pairs.append(("tablespace", table.tablespace))
    if table.access_method:
        pairs.append(("access_method", table.access_method))
    return pairs


def rule_entries(table: Table | View) -> dict[str, Any]:
    """A table's ``rules:``: each rule's pg_get_ruledef text by name, as a mapping with its
    state (``enabled: disabled|replica|always``) when it is not the default."""
    out: dict[str, Any] = {}
    for name, (definition, state) in sorted(table.rules.items()):
        out[name] = (
            definition if state == "origin" else {"definition": definition, "enabled": state}
        )
    return out


def table_options(table: Table) -> dict[str, Any]:
    """The table's storage parameters as pg_class.reloptions has them (``fillfactor: '70'``),
    by name, then ``unlogged: true`` for an UNLOGGED table; empty for a table with neither
    (``strict.tables`` holds an unstated one to none: SET (fillfactor = 70) or SET UNLOGGED
    after init passed before)."""
    options: dict[str, Any] = dict(sorted(table.options.items()))
    if table.unlogged:
        options["unlogged"] = True
    return options


def check_pairs(check: CheckConstraint) -> list[tuple[str, Any]]:
    """A CHECK's spec entry: name and expression, then NOT VALID (``validated: false``) and
    NO INHERIT when it has them (``exactly: [checks]`` holds a CHECK without them to none)."""
    pairs: list[tuple[str, Any]] = [("name", check.name), ("expression", check.expression)]
    if not check.validated:
        pairs.append(("validated", False))
    if check.no_inherit:
        pairs.append(("no_inherit", True))
    if check.comment:
        pairs.append(("comment", check.comment))
    return pairs


def grant_pairs(role: str, grants: list[Grant], column: str | None = None) -> list[tuple[str, Any]]:
    """A role's privileges entry: ``grant`` (each privilege once), ``grant_option`` for those
    it holds WITH GRANT OPTION (only when it has one), ``columns`` for a column's grants."""
    privileges = sorted({g.privilege for g in grants})
    pairs: list[tuple[str, Any]] = [("roles", [role]), ("grant", privileges)]
    grantable = sorted({g.privilege for g in grants if g.grantable})
    if grantable:
        pairs.append(("grant_option", grantable))
    if column is not None:
        pairs.append(("columns", [column]))
    return pairs


def table_grants(table: Table, blocked: BlockedUsage | None = None) -> list[list[tuple[str, Any]]]:
    """The ``privileges:`` entries of a table: one per role holding table-level privileges,
    then one per (role, column) of column-level grants, the owner's aside, in order.
    ``blocked``: an entry of a role whose grants do not work says so (``schema_usage:
    false``, ``sequence_usage: false``), else the audit of the same database FAILs it."""
    by_role: dict[str, list[Grant]] = {}
    for grant in held(table.grants):  # (a static reading's: those of no named runner)
        if grant.grantee != table.owner and not is_mark(grant):
            by_role.setdefault(grant.grantee, []).append(grant)
    by_column: dict[tuple[str, str], list[Grant]] = {}
    for column, grants in table.column_grants.items():
        for g in grants:
            if g.grantee != table.owner:
                by_column.setdefault((g.grantee, column), []).append(g)
    entries = [grant_pairs(role, grants) for role, grants in sorted(by_role.items())] + [
        grant_pairs(role, grants, column) for (role, column), grants in sorted(by_column.items())
    ]
    if blocked is not None:
        for pairs in entries:
            role, granted = pairs[0][1][0], pairs[1][1]
            pairs += blocked.pairs(table, role, granted)
        entries += _owner_denied(table, blocked)
    return entries


def _owner_denied(table: Table, blocked: BlockedUsage) -> list[list[tuple[str, Any]]]:
    """``{roles: [owner], deny: [SELECT]}`` when the owner REVOKEd a right from itself (its
    entry marked, sources/live_acl) and no other grant gives it back: PostgreSQL refuses the
    owner, and a spec that says nothing would PASS the owner's GRANT back (silence)."""
    owner = table.owner
    lacks = owner_lacks(table.grants, owner) if owner is not None else set()
    if owner is None or not lacks:
        return []
    access = table_access(blocked.model, table, owner)  # (column grants, PUBLIC's, memberships)
    denied = [p for p in TABLE_PRIVILEGES if p in lacks and p not in access]
    return [[("roles", [owner]), ("deny", denied)]] if denied else []


class TableWriter:
    """``bootstrap._block(key, bootstrap._table(table, kinds), 2)`` without the dict.

    One writer serves a whole spec: the column texts it caches repeat across tables.
    ``index_key`` is bootstrap's ``_key`` (an index's column list), ``ref_name`` its
    ``_name`` (a referenced table as the spec names it).
    """

    def __init__(self, index_key: Any, ref_name: Any, blocked: BlockedUsage | None = None) -> None:
        self.columns = _Column()
        self.index_key = index_key
        self.ref_name = ref_name
        self.blocked = blocked

    def entry(self, name: str, table: Table, kinds: tuple[str, ...]) -> str:
        """The entry's text without its final newline, or ``Unsupported``."""
        if table.rules:
            raise Unsupported("rules: a mapping of multi-line definitions")
        out = [" " * BASE + key(name, False) + ":"]
        section = "\n" + " " * BASE + "  "
        written = 0  # sections whose value is a collection: none, and PyYAML writes flow style
        if "." in table.name:
            out.append(section + "schema:" + block_scalar(table.schema, 2, 9, BASE, TABLE_WIDTH))
        if "privileges" in kinds and table.owner is not None:
            out.append(section + "owner:" + block_scalar(table.owner, 2, 8, BASE, TABLE_WIDTH))
        if table.partition_of:
            parent = partition_parent(table.partition_of)
            out.append(section + "partition_of:" + block_scalar(parent, 2, 15, BASE, TABLE_WIDTH))
            # null: computed by an expression, its value not known (a static reading)
            bound = table.partition_bound
            out.append(section + "partition_bound:" + block_scalar(bound, 2, 18, BASE, TABLE_WIDTH))
        if table.inherits:  # INHERITS (parents)
            parents = [partition_parent(p) for p in table.inherits]
            out.append(section + "inherits:" + _flow_fits(11, flow_sequence(parents)))
        for name_, value in table_properties(table):
            out.append(
                section + name_ + ":" + block_scalar(value, 2, 3 + len(name_), BASE, TABLE_WIDTH)
            )
        options = table_options(table)
        if options:
            written += 1
            flow = ", ".join([key(k, True) + ": " + scalar(v, True) for k, v in options.items()])
            out.append(section + "options:" + _flow_fits(10, "{" + flow + "}"))
        if "columns" in kinds:
            written += 1
            if not table.columns:
                out.append(section + "columns: {}")
            else:
                out.append(section + "columns:")
                line = self.columns.line
                lines = [line(column) for column in table.columns.values()]
                if len({column.name for column in table.columns.values()}) != len(lines):
                    raise Unsupported("two columns of one name")  # a dict keeps one of them
                out += lines
        if "primary_key" in kinds and table.primary_key:
            written += 1
            out.append(section + "primary_key:")
            key_index = table.indexes.get(table.primary_key.name)
            # a block mapping at indent 4
            for name_, value in pk_pairs(table.primary_key, key_index):
                column = 5 + len(name_)
                text = (
                    _flow_fits(column, flow_sequence(value))
                    if type(value) is list
                    else block_scalar(value, 4, column, BASE, TABLE_WIDTH)
                )
                out.append(_NEXT + name_ + ":" + text)
        if "unique" in kinds and table.uniques:
            written += 1
            out.append(section + "unique:")
            for u in table.uniques.values():
                _item(out, unique_pairs(u, table.indexes.get(u.name)))
        if "checks" in kinds and table.checks:
            written += 1
            out.append(section + "checks:")
            for c in table.checks.values():
                _flow_item(out, check_pairs(c))
        if "foreign_keys" in kinds and table.foreign_keys:
            written += 1
            out.append(section + "foreign_keys:")
            for fk in table.foreign_keys.values():
                _item(out, fk_pairs(fk, self.ref_name))
        if "indexes" in kinds:
            indexes = [ix for ix in table.indexes.values() if table.lists_index(ix)]
            if indexes:
                written += 1
                out.append(section + "indexes:")
                for ix in indexes:
                    _item(out, index_pairs(ix, self.index_key(ix)))
        if "rls" in kinds and (table.rls_enabled or table.rls_forced):
            written += 1
            flow = (
                "{enabled: "
                + scalar(table.rls_enabled, True)
                + ", forced: "
                + scalar(table.rls_forced, True)
                + "}"
            )
            out.append(section + "rls:" + _flow_fits(6, flow))
        if "policies" in kinds and table.policies:
            written += 1
            out.append(section + "policies:")
            for p in table.policies.values():
                _item(out, policy_pairs(p))
        if "triggers" in kinds and table.triggers:
            written += 1
            out.append(section + "triggers:")
            for t in table.triggers.values():
                _item(out, trigger_pairs(t))
        if "privileges" in kinds:
            entries = table_grants(table, self.blocked)
            if entries:
                written += 1
                out.append(section + "privileges:")
                for pairs in entries:
                    _item(out, pairs)
        if not written:
            raise Unsupported("an entry of scalars only: PyYAML writes it in flow style")
        return "".join(out)


_REPEATED = ("owner", "expires")  # the same in every waiver init writes
_waiver_lines: dict[tuple[str, str], str] = {}


def _waiver_line(name: Any, value: Any) -> str:
    """``key: value`` of a waiver after its first line (where it is the same text wherever
    the pair is), without its newline."""
    written_key = key(name, False)
    return written_key + ":" + block_scalar(value, 2, 2 + len(written_key) + 1, BASE, WAIVER_WIDTH)


def waiver(entry: dict[str, Any]) -> str:
    """``yamlwrite.dump([entry], width=100, flow_style=False, indent=2)`` without its final
    newline, for a waiver's mapping of scalars (``Unsupported`` otherwise)."""
    lines = []
    for name, value in entry.items():
        if name in _REPEATED and type(value) is str:
            line = _waiver_lines.get((name, value))
            if line is None:
                line = _waiver_lines[(name, value)] = _waiver_line(name, value)
        else:
            line = _waiver_line(name, value)
        lines.append(line)
    if not lines:
        raise Unsupported("an empty waiver")
    return " " * BASE + "- " + ("\n" + " " * BASE + "  ").join(lines)
