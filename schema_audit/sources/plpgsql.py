"""Run a PL/pgSQL ``DO`` block against the static model, as PostgreSQL would run it.

Generators and hand-written idempotent migrations put DDL in ``DO`` blocks: drizzle-kit
wraps every enum and foreign key in ``BEGIN … EXCEPTION WHEN duplicate_object THEN null;
END``, Supabase-style histories guard role and policy creation with ``IF NOT EXISTS
(SELECT … FROM pg_roles / pg_policies …)`` and loop ``FOREACH t IN ARRAY … LOOP EXECUTE
format('… %I …', t)``. Skipping those blocks leaves the static model without enums,
foreign keys or row level security, so they are run here:

* the body is parsed by PostgreSQL's own PL/pgSQL parser (``pglast.parser.parse_plpgsql_json``);
* embedded SQL and ``EXECUTE`` of text the block can compute go through the normal DDL
  interpreter, one statement at a time, with their own line in the file;
* ``IF`` / ``CASE`` / ``WHILE`` conditions, loop sources (literal arrays, ``unnest``,
  ``VALUES``, catalog queries) and assignments are computed by :mod:`pgeval` from the
  model built so far;
* an exception block undoes what its body did when a statement raises, and runs the
  handler whose condition matches (``duplicate_object``, ``undefined_table``, ``others`` …),
  exactly as a subtransaction would.

Only ``DO`` bodies run; a function created with ``CREATE FUNCTION`` is never executed. What
cannot be decided (a branch on ``current_setting()``, a statement built from a value the
block cannot compute) stops the block there: what it did so far stays, and the rest becomes
one unapplied statement whose effects (:mod:`effects`) say what it could still change.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pglast
from pglast import ast

from schema_audit.model import DynamicBlock, Effect, Table
from schema_audit.pgparse import parse_sql
from schema_audit.pgvisit import find_all
from schema_audit.sources import effects as fx
from schema_audit.sources.ddl.function_schemas import builtin_names
from schema_audit.sources.pgeval import Catalog, Evaluator, Undecidable, Unknown, _text

if TYPE_CHECKING:
    from schema_audit.sources.ddl import DdlInterpreter

MAX_LOOP_ITERATIONS = 10_000
MAX_STATEMENTS = 50_000

# SQLSTATE of the conditions a DDL statement raises, by the name PL/pgSQL handlers use.
SQLSTATES = {
    "duplicate_object": "42710",
    "duplicate_table": "42P07",
    "duplicate_column": "42701",
    "duplicate_schema": "42P06",
    "duplicate_function": "42723",
    "duplicate_alias": "42712",
    "undefined_object": "42704",
    "undefined_table": "42P01",
    "undefined_column": "42703",
    "undefined_function": "42883",
    "invalid_schema_name": "3F000",
    "invalid_foreign_key": "42830",
    "invalid_table_definition": "42P16",
    "dependent_objects_still_exist": "2BP01",
    "feature_not_supported": "0A000",
    "syntax_error": "42601",
    "raise_exception": "P0001",
    "assert_failure": "P0004",
    "case_not_found": "20000",
    "insufficient_privilege": "42501",
    "object_not_in_prerequisite_state": "55000",
    "undefined_file": "58P01",
    "wrong_object_type": "42809",
    "syntax_error_or_access_rule_violation": "42000",
    "active_sql_transaction": "25001",
}


class SqlError(Exception):
    """An error PostgreSQL would raise while running the block: a condition name and a message."""

    def __init__(self, condition: str, message: str) -> None:
        super().__init__(message)
        self.condition = condition
        self.sqlstate = SQLSTATES.get(condition, condition if len(condition) == 5 else "XX000")


def handles(conditions: list[str], error: SqlError) -> bool:
    """Whether a handler's ``WHEN a OR b`` catches ``error`` (names, SQLSTATEs, classes)."""
    for name in conditions:
        if name == "others":
            if error.condition not in ("query_canceled", "assert_failure"):
                return True
            continue
        code = SQLSTATES.get(name, name if len(name) == 5 else None)
        if code is None:
            continue
        if code == error.sqlstate or (code.endswith("000") and error.sqlstate[:2] == code[:2]):
            return True
    return False


class _Exit(Exception):
    def __init__(self, label: str | None, is_exit: bool) -> None:
        self.label, self.is_exit = label, is_exit


class _Return(Exception):
    pass


@dataclass
class _Frame:
    """One run of a DO block: variables, names, and the record of what it did."""

    values: dict[int, Any] = field(default_factory=dict)
    names: dict[str, int] = field(default_factory=dict)
    records: set[int] = field(default_factory=set)
    block: DynamicBlock | None = None
    statements: int = 0


def _expr(node: dict | None) -> str:
    return (node or {}).get("PLpgSQL_expr", {}).get("query", "")


def _one(node: dict) -> tuple[str, dict]:
    ((kind, body),) = node.items()
    return kind, body


class DoRunner:
    """Runs DO statements for one :class:`DdlInterpreter` (see the module docstring)."""

    def __init__(self, interp: DdlInterpreter, label: str = "DO block") -> None:
        self.interp = interp
        # how messages name what runs: a DO block, or a history function's call
        # (sources/function_calls.py runs ``SELECT f(…)``'s body as a block)
        self.label = label

    # -- entry ------------------------------------------------------------------------
    def run(self, node: ast.DoStmt) -> None:
        interp = self.interp
        stmt = interp._stmt
        assert stmt is not None
        body, language = None, "plpgsql"
        for opt in node.args or ():
            if opt.defname == "as":
                body = getattr(opt.arg, "sval", None)
            elif opt.defname == "language":
                language = getattr(opt.arg, "sval", language)
        self.do_stmt = stmt
        block = DynamicBlock(interp._file, stmt.line, interp._revision, applied=False)
        interp.model.dynamic_blocks.append(block)
        if body is None or language.lower() != "plpgsql":
            self._stop(
                block, f"{self.label} in language {language} is not interpreted", [], body or ""
            )
            return
        self.base_line = stmt.line + stmt.sql.count("\n", 0, max(stmt.sql.find(body), 0))
        try:
            function = parse_do_body(body)
        except pglast.parser.ParseError as exc:
            self._stop(block, f"PL/pgSQL does not parse: {exc}", [], body)
            return
        frame = _Frame(block=block)
        self.frame = frame
        self.datums = function.get("datums", [])
        self.catching: list[list[str]] = []  # the conditions of each enclosing handler
        action = function["action"]
        try:
            self._declare(frame)
            self._block(action["PLpgSQL_stmt_block"])
        except _Return:
            pass
        except _Exit:
            pass
        except Undecidable as exc:
            where = getattr(exc, "where", None)
            remaining = getattr(exc, "remaining", None)
            first = getattr(exc, "first_effects", None)
            if remaining and first is not None:
                # the statement it stopped at may change only ``first``; the rest as read
                self._stop(block, str(exc), remaining[1:], body, where, first=first)
                return
            self._stop(
                block, str(exc), remaining if remaining is not None else [action], body, where
            )
            return
        except SqlError as exc:
            self._stop(
                block,
                f"the block raises {exc.condition}: {exc}",
                [action],
                body,
                getattr(exc, "where", None),
                kind="error",
            )
            return
        except Exception as exc:  # an interpreter gap costs this block, never the audit
            self._stop(block, f"could not interpret: {type(exc).__name__}: {exc}", [], body)
            return
        block.applied = True
        interp._stmt = stmt

    def _stop(
        self,
        block: DynamicBlock,
        reason: str,
        remaining: list[dict],
        body: str,
        where: str | None = None,
        kind: str = "dynamic",
        first: list[Effect] | None = None,
    ) -> None:
        """What could not be run: an unapplied statement with the effects still possible
        (``first``: those of the statement it stopped at, when known; ``remaining`` the rest)."""
        interp = self.interp
        interp._stmt = self.do_stmt
        if first is not None:
            effects = fx.dedupe([*first, *self._effects_of(remaining)])
        else:
            effects = self._effects_of(remaining) if remaining else fx.text_effects(body)
        if kind == "dynamic" and remaining and not effects and not _keeps_deferring(remaining):
            # what is left only reads or changes rows (as the block would have run it): a
            # "data" record, which defers nothing; a "dynamic" one without effects reads as
            # "may change anything" and deferred every finding of the history after it
            kind = "data"
        elif (
            kind == "dynamic"
            and remaining
            and not effects
            and _only_guards(remaining, {f.name for f in interp.model.functions.values()})
        ):
            # a guard (IF (SELECT count(*) …) <> 0 THEN RAISE EXCEPTION …): all it can do is
            # abort the migration, and the audit judges a history that ran to its end (one
            # that aborted there has no schema after it to audit): nothing left to defer
            kind = "data"
            reason += " (a guard that can only raise: the history ran past it)"
        at = f" at {where}" if where else ""
        block.stopped_by = f"{reason}{at}"
        ran = f" after running {len(block.executed)} statement(s)" if block.executed else ""
        interp._unapplied(kind, f"{self.label} not applied{ran}: {reason}{at}", effects=effects)
        location = f"{interp._file}:{block.line}" if interp._file else f"line {block.line}"
        interp.model.blind_spots.append(
            f"{self.label} at {location} not applied{ran}: {reason}{at}"
        )

    # -- variables ---------------------------------------------------------------------
    def _declare(self, frame: _Frame) -> None:
        for number, datum in enumerate(self.datums):
            kind, body = _one(datum)
            name = body.get("refname")
            if kind in ("PLpgSQL_var", "PLpgSQL_rec") and name:
                frame.names[name] = number
                if kind == "PLpgSQL_rec":
                    frame.records.add(number)
                default = body.get("default_val")
                value = self._eval(_expr(default)) if default else None
                frame.values[number] = self._typed(number, value)
        frame.values[0] = False  # FOUND

    def _variable(self, names: list[str]) -> Any:
        frame = self.frame
        number = frame.names.get(names[0])
        if number is None:
            raise KeyError(names[0])
        value = frame.values.get(number)
        if len(names) == 1:
            return value
        if isinstance(value, dict) and names[1] in value and len(names) == 2:
            return value[names[1]]
        if isinstance(value, Unknown):
            return value
        raise KeyError(".".join(names))

    def _set(self, number: int, value: Any) -> None:
        self.frame.values[number] = self._typed(number, value)

    def _typed(self, number: int, value: Any) -> Any:
        """``value`` converted to variable ``number``'s declared type as PL/pgSQL assigns it:
        ``n int := 8.5`` is 9 (numeric to integer rounds half away from zero; checked on
        PostgreSQL 15), a value out of the type's range is refused."""
        if isinstance(value, float) and number < len(self.datums):
            kind, body = _one(self.datums[number])
            typname = body.get("datatype", {}).get("PLpgSQL_type", {}).get("typname", "")
            limit = _INTEGER_LIMITS.get(typname) if kind == "PLpgSQL_var" else None
            if limit is not None:
                return _to_integer(value, limit)
        return value

    def _assign_target(self, target: dict | None, row: list[Any], names: list[str]) -> None:
        """SELECT … INTO / FOR … IN query: a record takes the row, a row of variables its columns."""
        if not target:
            return
        kind, body = _one(target)
        if kind == "PLpgSQL_rec":
            self._set(body["dno"], dict(zip(names, row, strict=False)))
        elif kind == "PLpgSQL_row":
            for position, item in enumerate(body.get("fields", [])):
                self._set(item["varno"], row[position] if position < len(row) else None)
        elif kind == "PLpgSQL_var":
            number = self.frame.names.get(body.get("refname", ""))
            if number is not None:
                self._set(number, row[0] if row else None)

    # -- evaluation ----------------------------------------------------------------------
    def _evaluator(self) -> Evaluator:
        interp = self.interp
        return Evaluator(Catalog(interp.model, interp.search_path), self._variable, self._uncertain)

    def _uncertain(self, kinds: set[str]) -> str | None:
        """Why the model may not know objects of ``kinds``: an earlier unapplied statement."""
        open_ = self.interp.ledger.touching(kinds | {"table"})
        if not open_:
            return None
        first = open_[0]
        return f"{first.file or 'line'}:{first.line} ({first.reason}) may have changed it"

    def _eval(self, text: str) -> Any:
        return self._evaluator().expression(text)

    def _cond(self, text: str) -> bool:
        value = self._eval(text)
        if isinstance(value, Unknown):
            raise Undecidable(f"condition {text.strip()!r}: {value.reason}")
        return value is True

    # -- statements ----------------------------------------------------------------------
    def _block(self, block: dict) -> None:
        handlers = (block.get("exceptions") or {}).get("PLpgSQL_exception_block")
        label = block.get("label")
        if not handlers:
            try:
                self._run(block.get("body") or [])
            except _Exit as exc:
                if not (exc.is_exit and exc.label and exc.label == label):
                    raise
            return
        saved = _Snapshot(self.interp, self._targets(block.get("body") or []))
        self.catching.append(
            [
                c["PLpgSQL_condition"]["condname"]
                for handler in handlers.get("exc_list", [])
                for c in handler["PLpgSQL_exception"].get("conditions", [])
            ]
        )
        try:
            self._run(block.get("body") or [])
        except Undecidable as exc:
            # what the body could not decide may have raised: a handler's actions may run
            # too, and the failure undoes what the body ran before it (the handler's
            # subtransaction, or the whole block when none catches it): both stay open
            body = block.get("body") or []
            left = getattr(exc, "remaining", None) or []
            done = next(
                (body[:at] for at, st in enumerate(body) if any(st is r for r in left)), body
            )  # up to the statement it stopped at (the remaining list holds that one)
            for handler in handlers.get("exc_list", []):
                actions = handler["PLpgSQL_exception"].get("action") or []
                exc.remaining = [*(getattr(exc, "remaining", None) or []), *actions]  # type: ignore[attr-defined]
            exc.remaining = [*(getattr(exc, "remaining", None) or []), *done]  # type: ignore[attr-defined]
            raise
        except SqlError as error:
            for handler in handlers.get("exc_list", []):
                exc = handler["PLpgSQL_exception"]
                names = [c["PLpgSQL_condition"]["condname"] for c in exc.get("conditions", [])]
                if handles(names, error):
                    why = self._uncertain(set(fx.CONSTRAINT_KINDS) | _kinds_of(error))
                    if why and error.condition not in ("raise_exception", "assert_failure"):
                        raise Undecidable(
                            f"{error} — but the model may be wrong about it: {why}"
                        ) from None
                    saved.restore()
                    assert self.frame.block is not None
                    self.frame.block.skipped.append(
                        f"{getattr(error, 'statement', '') or 'block'}: {error.condition} "
                        f"handled by WHEN {' OR '.join(names)}"
                    )
                    self._run(exc.get("action") or [])
                    return
            raise
        finally:
            self.catching.pop()

    def _run(self, statements: list[dict]) -> None:
        for position, statement in enumerate(statements):
            try:
                self._statement(statement)
            except Undecidable as exc:
                if getattr(exc, "remaining", None) is None:
                    exc.args = (f"{_describe(statement)}: {exc}",)
                    exc.remaining = statements[position:]  # type: ignore[attr-defined]
                    line = _one(statement)[1].get("lineno")
                    exc.where = self._where(line)  # type: ignore[attr-defined]
                else:
                    exc.remaining += statements[position + 1 :]  # type: ignore[attr-defined]
                raise

    def _where(self, lineno: int | None) -> str | None:
        if not lineno:
            return None
        line = self.base_line + lineno - 1
        return f"{self.interp._file}:{line}" if self.interp._file else f"line {line}"

    def _statement(self, statement: dict) -> None:
        kind, body = _one(statement)
        self.frame.statements += 1
        if self.frame.statements > MAX_STATEMENTS:
            raise Undecidable("the block runs too many statements to follow statically")
        handler = getattr(self, "_" + kind.removeprefix("PLpgSQL_stmt_"), None)
        if handler is None:
            raise Undecidable(f"{kind.removeprefix('PLpgSQL_stmt_').upper()} is not interpreted")
        handler(body)

    def _null(self, body: dict) -> None:
        return

    def _return(self, body: dict) -> None:
        raise _Return()

    def _assign(self, body: dict) -> None:
        text = _expr(body.get("expr"))
        m = re.match(r"(?s)\s*[^:=]+?\s*(?::=|=)\s*(.*)$", text)
        if not m:
            raise Undecidable(f"assignment {text!r}")
        self._set(body["varno"], self._eval(m.group(1)))

    def _if(self, body: dict) -> None:
        if self._cond(_expr(body.get("cond"))):
            self._run(body.get("then_body") or [])
            return
        for elsif in body.get("elsif_list") or []:
            branch = elsif["PLpgSQL_if_elsif"]
            if self._cond(_expr(branch.get("cond"))):
                self._run(branch.get("stmts") or [])
                return
        self._run(body.get("else_body") or [])

    def _case(self, body: dict) -> None:
        subject = self._eval(_expr(body["t_expr"])) if body.get("t_expr") else None
        for when in body.get("case_when_list") or []:
            branch = when["PLpgSQL_case_when"]
            text = _expr(branch.get("expr"))
            if body.get("t_expr"):
                value = self._eval(text)
                if isinstance(value, Unknown) or isinstance(subject, Unknown):
                    raise Undecidable("CASE over a value the static reader does not know")
                hit = value == subject
            else:
                hit = self._cond(text)
            if hit:
                self._run(branch.get("stmts") or [])
                return
        if body.get("have_else"):
            self._run(body.get("else_stmts") or [])
            return
        raise SqlError("case_not_found", "case not found")

    def _loop_body(self, body: dict, label: str | None) -> bool:
        """Run one iteration; False when EXIT left the loop."""
        try:
            self._run(body.get("body") or [])
        except _Exit as exc:
            if exc.label and exc.label != label:
                raise
            return not exc.is_exit
        return True

    def _loop(self, body: dict) -> None:
        for _ in range(MAX_LOOP_ITERATIONS):
            if not self._loop_body(body, body.get("label")):
                return
        raise Undecidable("a LOOP that does not end within the static reader's limit")

    def _while(self, body: dict) -> None:
        for _ in range(MAX_LOOP_ITERATIONS):
            if not self._cond(_expr(body.get("cond"))):
                return
            if not self._loop_body(body, body.get("label")):
                return
        raise Undecidable("a WHILE loop that does not end within the static reader's limit")

    def _exit(self, body: dict) -> None:
        if body.get("cond") and not self._cond(_expr(body.get("cond"))):
            return
        raise _Exit(body.get("label"), bool(body.get("is_exit")))

    def _fori(self, body: dict) -> None:
        lower, upper = self._eval(_expr(body.get("lower"))), self._eval(_expr(body.get("upper")))
        step = self._eval(_expr(body.get("step"))) if body.get("step") else 1
        if not all(isinstance(v, int) for v in (lower, upper, step)):
            raise Undecidable("FOR over a range the static reader does not know")
        var = _one(body["var"])[1]
        number = self.frame.names.get(var.get("refname", ""))
        values = (
            range(upper, lower - 1, -step) if body.get("reverse") else range(lower, upper + 1, step)
        )
        if len(values) > MAX_LOOP_ITERATIONS:
            raise Undecidable("a FOR loop too long to follow statically")
        for value in values:
            if number is not None:
                self._set(number, value)
            if not self._loop_body(body, body.get("label")):
                return

    def _foreach_a(self, body: dict) -> None:
        if body.get("slice"):
            raise Undecidable("FOREACH … SLICE is not interpreted")
        values = self._eval(_expr(body.get("expr")))
        if isinstance(values, Unknown):
            raise Undecidable(
                f"FOREACH over an array the static reader does not know: {values.reason}"
            )
        if not isinstance(values, list):
            raise Undecidable("FOREACH over something that is not an array")
        for value in values:
            self._set(body["varno"], value)
            if not self._loop_body(body, body.get("label")):
                return

    def _fors(self, body: dict) -> None:
        names, rows = self._evaluator().query(_expr(body.get("query")))
        self._iterate(body, names, rows)

    def _dynfors(self, body: dict) -> None:
        text = self._eval(_expr(body.get("query")))
        if isinstance(text, Unknown) or body.get("params"):
            raise Undecidable("FOR … IN EXECUTE of a query the static reader does not know")
        names, rows = self._evaluator().query(text)
        self._iterate(body, names, rows)

    def _iterate(self, body: dict, names: list[str], rows: list[list[Any]]) -> None:
        self._set(0, bool(rows))
        for row in rows:
            self._assign_target(body.get("var"), row, names)
            if not self._loop_body(body, body.get("label")):
                return

    def _raise(self, body: dict) -> None:
        if (body.get("elog_level") or 21) < 21:  # NOTICE, WARNING …: no effect on the schema
            return
        condition = body.get("condname") or "raise_exception"
        for option in body.get("options") or []:
            opt = option.get("PLpgSQL_raise_option", {})
            if opt.get("opt_type") in (0, "PLPGSQL_RAISEOPTION_ERRCODE"):
                code = self._eval(_expr(opt.get("expr")))
                if isinstance(code, str):
                    condition = code
        raise SqlError(condition, body.get("message") or "RAISE EXCEPTION")

    def _assert(self, body: dict) -> None:
        if not self._cond(_expr(body.get("cond"))):
            raise SqlError("assert_failure", "assertion failed")

    def _perform(self, body: dict) -> None:
        text = _expr(body.get("expr"))
        if "set_config" in text.lower():
            self._sql(text, body.get("lineno"))
            return
        _refuse_schema_calls(self.interp, text, "PERFORM")
        # otherwise a SELECT: it does not change the schema (as at the top level)

    def _execsql(self, body: dict) -> None:
        text = _expr(body.get("sqlstmt"))
        if body.get("into"):
            names, rows = self._evaluator().query(text)
            if body.get("strict") and len(rows) != 1:
                raise SqlError(
                    "no_data_found" if not rows else "too_many_rows", "SELECT INTO STRICT"
                )
            self._set(0, bool(rows))
            self._assign_target(body.get("target"), rows[0] if rows else [None] * 8, names)
            return
        self._sql(text, body.get("lineno"))

    def _dynexecute(self, body: dict) -> None:
        text = self._eval(_expr(body.get("query")))
        if isinstance(text, Unknown):
            raise Undecidable(f"EXECUTE of text the static reader cannot compute: {text.reason}")
        if text is None:
            raise SqlError("null_value_not_allowed", "query string argument of EXECUTE is null")
        if body.get("into"):
            names, rows = self._evaluator().query(str(text))
            self._set(0, bool(rows))
            self._assign_target(body.get("target"), rows[0] if rows else [None] * 8, names)
            return
        if body.get("params"):
            raise Undecidable("EXECUTE … USING is not interpreted")
        if _selects_into(str(text)):  # (read alone it makes a table: ddl/session)
            raise SqlError("feature_not_supported", "EXECUTE of SELECT ... INTO is not implemented")
        self._sql(str(text), body.get("lineno"))

    # -- running SQL through the interpreter ------------------------------------------------
    def _sql(self, text: str, lineno: int | None) -> None:
        from schema_audit.sources.ddl import ApplyError
        from schema_audit.sources.ddl.transactions import outside_only
        from schema_audit.sources.statements import Statement, split_statements

        interp = self.interp
        line = self.base_line + (lineno or 1) - 1
        for piece in split_statements(text):
            stmt = Statement(piece.sql, line + piece.line - 1, piece.node, piece.error)
            interp._stmt = stmt
            if stmt.node is None:
                error = SqlError("syntax_error", f"syntax error in {stmt.sql[:80]!r}: {stmt.error}")
                error.statement = _short(stmt.sql)  # type: ignore[attr-defined]
                raise error
            if isinstance(stmt.node, ast.SelectStmt) and "set_config" not in stmt.sql.lower():
                _refuse_schema_calls(interp, stmt.sql, "SELECT")
                continue  # EXECUTE 'SELECT …' without INTO: runs, changes nothing
            if isinstance(stmt.node, ast.DoStmt):
                raise Undecidable("a DO block inside a DO block is not interpreted")
            if (what := outside_only(stmt)) is not None:
                # PreventInTransactionBlock, not at the top level: refused in any function or
                # DO block, whatever the transaction (PostgreSQL 15; silence19: the index of
                # `EXECUTE 'CREATE INDEX CONCURRENTLY …'` was made)
                error = SqlError(
                    "active_sql_transaction", f"{what} cannot be executed from a function"
                )
                error.statement = _short(stmt.sql)  # type: ignore[attr-defined]
                raise error
            self._refuse_unknown_outcome(stmt.node)
            unapplied_before = len(interp.model.unapplied)
            try:
                interp._apply(stmt.node)
            except ApplyError as exc:
                error = SqlError(exc.condition, str(exc))
                error.statement = _short(stmt.sql)  # type: ignore[attr-defined]
                raise error from None
            except Exception as exc:  # an interpreter gap: the block cannot be followed
                raise Undecidable(
                    f"could not interpret {_short(stmt.sql)!r}: {type(exc).__name__}: {exc}"
                ) from None
            assert self.frame.block is not None
            if len(interp.model.unapplied) > unapplied_before:
                # interpreted at the top level as unapplied (unsupported kind …): recorded there
                self.frame.block.executed.append(f"(not applied) {_short(stmt.sql)}")
            else:
                interp._settle(stmt.node)
                self.frame.block.executed.append(_short(stmt.sql))
        interp._stmt = self.do_stmt

    def _refuse_unknown_outcome(self, node: ast.Node) -> None:
        """Undecidable for a CREATE EXTENSION a handler around it would catch failing.

        Whether it succeeds depends on the server, not on the history: the extension's files
        installed (PostgreSQL 15 raises feature_not_supported, "extension … is not available",
        not undefined_file: review17), a library preloaded (pg_cron), the role's rights.
        stack-auth/stack-auth's "best-effort pg_cron setup" (`BEGIN CREATE EXTENSION IF NOT
        EXISTS pg_cron; EXCEPTION WHEN undefined_file OR … THEN RAISE NOTICE …`) was read as
        made: strict.extensions FAILed a PostgreSQL 15 without pg_cron, where the history
        ran to its end. Without such a handler a failure aborts the migration, and the audit
        judges a history that ran to its end: applied as before."""
        if not isinstance(node, ast.CreateExtensionStmt) or not self.catching:
            return
        if node.if_not_exists and node.extname in self.interp.model.extensions:
            return
        for condition in _SERVER_CONDITIONS:
            error = SqlError(condition, "")
            if any(handles(names, error) for names in self.catching):
                exc = Undecidable(
                    f"CREATE EXTENSION {node.extname} inside a handler for {condition}: "
                    "whether the server has it is not known statically"
                )
                # made or not, it differs only by the extension: its objects are not modelled
                # (the catalog read leaves an extension's members out), as at the top level
                exc.first_effects = [Effect("extension", node.extname)]  # type: ignore[attr-defined]
                raise exc

    # -- what the code from a point on could still do ------------------------------------
    def _effects_of(self, statements: list[dict]) -> list[Effect]:
        out: list[Effect] = []
        for statement in statements:
            for kind, body in _walk(statement):
                if kind == "PLpgSQL_stmt_execsql" and not body.get("into"):
                    out += self._text_or_parsed(_expr(body.get("sqlstmt")))
                elif kind == "PLpgSQL_stmt_dynexecute" and not body.get("into"):
                    out += self._dynamic_effects(_expr(body.get("query")))
                elif kind in ("PLpgSQL_stmt_call", "PLpgSQL_stmt_dynfors") or (
                    kind == "PLpgSQL_stmt_perform" and "set_config" in _expr(body.get("expr"))
                ):
                    out.append(Effect("*", "*"))
        for query, mode in _expressions(statements):
            out += _call_effects(self.interp, query, mode)
        return fx.dedupe(out)

    def _text_or_parsed(self, text: str) -> list[Effect]:
        from schema_audit.sources.statements import split_statements

        out: list[Effect] = []
        for piece in split_statements(text):
            if piece.node is None:
                out += fx.text_effects(piece.sql)
            else:
                out += fx.statement_effects(piece.node, self.interp)
        return out

    def _dynamic_effects(self, expression: str) -> list[Effect]:
        """The effects of ``EXECUTE expr`` whatever the variables hold: holes where they are."""
        frame = self.frame
        saved = dict(frame.values)
        try:
            for number in list(frame.values):
                if number:
                    frame.values[number] = Unknown("a variable", fx.HOLE)
            value = self._eval(expression)
        except Undecidable:
            value = Unknown("an expression", None)
        finally:
            frame.values = saved
        if isinstance(value, str):
            return self._text_or_parsed(value)
        if isinstance(value, Unknown) and value.sketch:
            try:
                return self._text_or_parsed(value.sketch)
            except Exception:  # noqa: BLE001 - a sketch is a guess; fall back to its keywords
                return fx.text_effects(value.sketch)
        return fx.text_effects(expression)

    def _targets(self, statements: list[dict]) -> set[str] | None:
        """Relations a protected block may change (None: any), so only they are saved."""
        targets: set[str] = set()
        for effect in self._effects_of(statements):
            if effect.target == "*":
                return None
            targets.add(effect.target)
        return targets


# What CREATE EXTENSION raises when the server, not the history, lacks something: no
# control file, a library not preloaded or a missing prerequisite, a role without the right.
_SERVER_CONDITIONS = (
    "undefined_file",
    "feature_not_supported",
    "object_not_in_prerequisite_state",
    "insufficient_privilege",
    "raise_exception",
)


def _refuse_schema_calls(interp: DdlInterpreter, text: str, what: str) -> None:
    """Undecidable when ``text`` calls a function of the history that may change the schema
    (rudderlabs/rudder-server's helpers run ALTER TABLE): the block stops there."""
    from schema_audit.sources.function_calls import calls_schema_changing

    signature = calls_schema_changing(interp, text)
    if signature is not None:
        raise Undecidable(
            f"{what} calls {signature}, a function of the history that may change the schema"
        )


def _call_effects(interp: DdlInterpreter, query: str, mode: int) -> list[Effect]:
    """The effects of the history's functions that may change the schema which one
    expression or statement calls (``v := add_unique(…)``, ``IF f(…) THEN``, ``SELECT f(…)
    INTO v``: the block stops there, and what the body may do stays open)."""
    from schema_audit.sources.function_calls import may_call_history, schema_calls

    if not may_call_history(interp, query):
        return []
    if mode == 3:  # an assignment: "v := expr"
        query = query.partition(":=")[2]
    try:
        parsed = parse_sql(query if mode == 0 else f"SELECT {query}")
    except pglast.parser.ParseError:
        return []
    return [
        effect
        for raw in parsed
        if raw.stmt is not None
        for _, _, found in schema_calls(interp, raw.stmt)
        for effect in found
    ]


def plpgsql_effects(interp: DdlInterpreter, body: str, returns: str) -> list[Effect]:
    """What a PL/pgSQL function ``body`` returning ``returns`` may change in the schema (none
    when it only reads and changes rows); a body that does not parse: what its keywords can
    reach."""
    tag = "sa"
    while f"${tag}$" in body:
        tag += "x"
    text = f"CREATE FUNCTION sa_f() RETURNS {returns or 'void'} LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    try:
        function = json.loads(pglast.parser.parse_plpgsql_json(text))[0]["PLpgSQL_function"]
    except pglast.parser.ParseError:
        return fx.text_effects(body)
    runner = DoRunner(interp)
    runner.frame = _Frame()
    runner.datums = function.get("datums", [])
    action = [function["action"]]
    effects = runner._effects_of(action)
    for kind, statement in _walk(action[0]):
        if kind == "PLpgSQL_stmt_call" or (
            kind == "PLpgSQL_stmt_perform" and _calls_unknown(interp, _expr(statement.get("expr")))
        ):
            # a procedure, or a function neither built in nor the history's (an extension's
            # create_hypertable): it may change anything; the history's own are in ``effects``
            return [Effect("*", "*")]
    return effects


def _calls_unknown(interp: DdlInterpreter, query: str) -> bool:
    """Whether a PERFORM's ``query`` may call a function that is neither a built-in nor one
    of the history's (whose bodies' effects are counted where they are called)."""
    from schema_audit.sources.function_calls import candidates, may_call_history, query_statements

    if not may_call_history(interp, query) and interp.model.functions:
        return False
    statements = query_statements(query)
    if statements is None:
        return True
    for statement in statements:
        for call in find_all(statement, ast.FuncCall):
            names = [getattr(n, "sval", "") for n in call.funcname or ()]
            if len(names) == 1 and names[0] in builtin_names():
                continue
            if len(names) == 2 and names[0] == "pg_catalog":
                continue
            if not candidates(interp, call):
                return True
    return False


def _describe(statement: dict) -> str:
    """A PL/pgSQL statement as a reader would name it: ``IF <condition>``, ``EXECUTE <text>``."""
    kind, body = _one(statement)
    verb = {
        "PLpgSQL_stmt_execsql": "",
        "PLpgSQL_stmt_dynexecute": "EXECUTE ",
        "PLpgSQL_stmt_foreach_a": "FOREACH … IN ARRAY ",
        "PLpgSQL_stmt_fors": "FOR … IN ",
        "PLpgSQL_stmt_dynfors": "FOR … IN EXECUTE ",
        "PLpgSQL_stmt_fori": "FOR … IN ",
        "PLpgSQL_stmt_assign": "",
        "PLpgSQL_stmt_perform": "PERFORM ",
    }.get(kind, kind.removeprefix("PLpgSQL_stmt_").upper() + " ")
    for key in ("cond", "sqlstmt", "query", "expr", "lower"):
        if body.get(key):
            return _short(f"{verb}{_expr(body[key])}")
    return verb.strip()


def _kinds_of(error: SqlError) -> set[str]:
    if "table" in error.condition:
        return {"table"}
    if "column" in error.condition:
        return {"column"}
    return {"type", "role", "policy", "trigger", "index", "function", "schema", "extension"}


def _short(sql: str) -> str:
    text = " ".join(sql.split())
    return text if len(text) <= 200 else text[:197] + "..."


def _keeps_deferring(statements: list[dict]) -> bool:
    """Whether ``statements`` may raise (RAISE EXCEPTION, ASSERT) or call a function (PERFORM).

    An error aborts the migration that holds the block, so the schema after it is not the
    one the rest of the history builds; a function PERFORM calls may run DDL (an extension's
    ``create_hypertable``, a project's own helper). Such a stopped block keeps deferring.
    """
    for statement in statements:
        for kind, body in _walk(statement):
            if kind in ("PLpgSQL_stmt_assert", "PLpgSQL_stmt_perform"):
                return True
            if kind == "PLpgSQL_stmt_raise" and (body.get("elog_level") or 21) >= 21:
                return True
    return False


# What a guard may do besides raising: decide, assign, read (SELECT … INTO), return.
_GUARD_STATEMENTS = frozenset(
    {
        "PLpgSQL_stmt_block",
        "PLpgSQL_stmt_if",
        "PLpgSQL_stmt_case",
        "PLpgSQL_stmt_raise",
        "PLpgSQL_stmt_assert",
        "PLpgSQL_stmt_assign",
        "PLpgSQL_stmt_return",
        "PLpgSQL_stmt_execsql",  # only a SELECT: checked below
    }
)
# Functions a guard's expressions may call: built-ins that read, count or compare and
# change nothing (any other function may run DDL: the block keeps deferring).
_GUARD_FUNCTIONS = frozenset(
    {
        "count",
        "sum",
        "min",
        "max",
        "avg",
        "bool_and",
        "bool_or",
        "length",
        "char_length",
        "lower",
        "upper",
        "trim",
        "btrim",
        "array_length",
        "cardinality",
        "current_setting",
        "current_schema",
        "to_regclass",
        "to_regtype",
        "version",
        "now",
        "format",
        "concat",
        "string_agg",
    }
)


def _only_guards(statements: list[dict], shadowed: set[str]) -> bool:
    """Whether ``statements`` can do nothing but raise: no DDL, no row change, no dynamic
    EXECUTE, no CALL or PERFORM, in any branch or handler, and expressions that only read
    (a SELECT, built-in functions that modify nothing: ``_harmless``; ``shadowed``: the names
    of the history's own functions). Such a block is a guard: in a history that ran to its
    end it did not raise, so it changed nothing."""
    for statement in statements:
        for kind, body in _walk(statement):
            if kind not in _GUARD_STATEMENTS:
                return False
            if kind == "PLpgSQL_stmt_execsql" and not body.get("into"):
                return False  # a statement whose result goes nowhere: not a read of a guard
    return all(_reads_only(query, mode, shadowed) for query, mode in _expressions(statements))


def _expressions(node: Any) -> list[tuple[str, int]]:
    """Every PL/pgSQL expression (query text, parse mode) under ``node``."""
    out: list[tuple[str, int]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "PLpgSQL_expr" and isinstance(value, dict):
                out.append((value.get("query", ""), value.get("parseMode", 0)))
            else:
                out += _expressions(value)
    elif isinstance(node, list):
        for item in node:
            out += _expressions(item)
    return out


def _reads_only(query: str, mode: int, shadowed: set[str]) -> bool:
    """Whether one expression or statement only reads: a SELECT (no data-changing WITH, no
    locking clause) calling only functions that modify nothing (``_harmless``)."""
    if mode == 3:  # an assignment: "v := expr"
        query = query.partition(":=")[2]
    text = query if mode == 0 else f"SELECT {query}"
    try:
        parsed = pglast.parse_sql(text)
    except pglast.parser.ParseError:
        return False
    if len(parsed) != 1 or not isinstance(parsed[0].stmt, ast.SelectStmt):
        return False
    for node in _nodes(parsed[0].stmt):
        if isinstance(node, (ast.InsertStmt, ast.UpdateStmt, ast.DeleteStmt, ast.LockingClause)):
            return False
        if isinstance(node, ast.IntoClause):
            return False  # SELECT … INTO a new table (a top-level statement's INTO)
        if isinstance(node, ast.FuncCall) and not _harmless(
            [getattr(n, "sval", "") for n in node.funcname], shadowed
        ):
            return False
    return True


def _harmless(names: list[str], shadowed: set[str]) -> bool:
    """A call a guard may make: one of ``_GUARD_FUNCTIONS``, or a built-in function whose
    every overload is IMMUTABLE or STABLE (PostgreSQL lets such a function modify nothing:
    openmeter's guards compare ``transaction_timestamp()``, ``jsonb_typeof(…)``), unless the
    history made a function of that name an unqualified call may reach instead. A VOLATILE
    built-in (``set_config``, ``nextval``) may change what the next statements do."""
    schema = names[0] if len(names) == 2 else "pg_catalog"
    if schema != "pg_catalog":
        return False
    if names[-1].lower() in _GUARD_FUNCTIONS:
        return True
    from schema_audit.sources.ddl.partition_key_volatility import never_modifies

    name = names[-1]
    return (
        (len(names) == 2 or name not in shadowed)
        and name in builtin_names()
        and never_modifies(name)
    )


def _nodes(node: Any):  # type: ignore[no-untyped-def]
    """Every pglast node under ``node`` (itself first)."""
    if isinstance(node, ast.Node):
        yield node
        for name in node:
            yield from _nodes(getattr(node, name))
    elif isinstance(node, tuple | list):
        for item in node:
            yield from _nodes(item)


def _walk(statement: dict):  # type: ignore[no-untyped-def]
    """Every PL/pgSQL statement in ``statement``, itself first (handlers and branches too)."""
    kind, body = _one(statement)
    yield kind, body
    for key in ("body", "then_body", "else_body", "else_stmts", "action"):
        for child in body.get(key) or []:
            if isinstance(child, dict):
                yield from _walk(child)
    for elsif in body.get("elsif_list") or []:
        for child in elsif.get("PLpgSQL_if_elsif", {}).get("stmts") or []:
            yield from _walk(child)
    for when in body.get("case_when_list") or []:
        for child in when.get("PLpgSQL_case_when", {}).get("stmts") or []:
            yield from _walk(child)
    handlers = (body.get("exceptions") or {}).get("PLpgSQL_exception_block") or {}
    for handler in handlers.get("exc_list", []):
        for child in handler.get("PLpgSQL_exception", {}).get("action") or []:
            yield from _walk(child)


def parse_do_body(body: str) -> dict:
    """A DO block's PL/pgSQL ``body`` as PostgreSQL's PL/pgSQL parser reads it (its JSON
    function), parsed as the body of a void function; newer_syntax reads it too."""
    tag = "sa"
    while f"${tag}$" in body:
        tag += "x"
    text = f"CREATE FUNCTION sa_do_block() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    return json.loads(pglast.parser.parse_plpgsql_json(text))[0]["PLpgSQL_function"]


class _Snapshot:
    """The interpreter's state before an exception block, to undo what the block did.

    A subtransaction in PostgreSQL: when a statement raises and a handler catches it, every
    change since ``BEGIN`` is undone. Saving the whole model for each block would cost
    seconds on a large schema (drizzle wraps every foreign key in one), so only the
    relations the block can name are copied (with the tables referring to them and their
    partitions); the object dictionaries themselves are copied shallowly.
    """

    def __init__(self, interp: DdlInterpreter, targets: set[str] | None) -> None:
        self.interp = interp
        model = interp.model
        self.dicts = {
            name: dict(getattr(model, name))
            for name in (
                "tables",
                "views",
                "functions",
                "enums",
                "extensions",
                "sequences",
                "schemas",
                "schema_comments",
            )
        }
        self.lists = {
            name: list(getattr(model, name))
            for name in ("default_privileges", "unapplied", "blind_spots")
        }
        self.roles = copy.deepcopy(model.roles)
        self.schema_grants = copy.deepcopy(model.schema_grants)
        self.enum_labels = {k: list(e.labels) for k, e in model.enums.items()}
        self.state = (
            dict(interp._relations),
            dict(interp._index_homes),
            set(interp._revoked_defaults),
            list(interp.search_path),
            interp.current_role,
        )
        if targets is None:
            chosen = list(model.tables.values()) + list(model.views.values())
        else:
            chosen = []
            for key in targets:
                relation = model.tables.get(key) or model.views.get(key)
                if relation is not None:
                    chosen.append(relation)
                    if isinstance(relation, Table):
                        chosen += interp._tables_referencing(relation.schema, relation.name)
                        chosen += [t for t in model.tables.values() if t.partition_of == key]
        self.saved = [(r, copy.deepcopy(_fields(r))) for r in {id(r): r for r in chosen}.values()]
        ledger = interp.ledger
        self.ledger = (
            list(ledger.open),
            [
                (
                    s,
                    list(s.effects),
                    list(s.settled),
                    list(s.may_affect),
                    [list(e.spared) for e in s.effects],
                )
                for s in ledger.open
            ],
        )

    def restore(self) -> None:
        interp, model = self.interp, self.interp.model
        for name, value in self.dicts.items():
            setattr(model, name, value)
        for name, value in self.lists.items():
            getattr(model, name)[:] = value
        model.roles = self.roles
        model.schema_grants = self.schema_grants
        for key, labels in self.enum_labels.items():
            if key in model.enums:
                model.enums[key].labels = labels
        (
            interp._relations,
            interp._index_homes,
            interp._revoked_defaults,
            interp.search_path,
            interp.current_role,
        ) = self.state
        for relation, values in self.saved:
            for name, value in values.items():
                setattr(relation, name, value)
        open_, states = self.ledger
        interp.ledger.open = list(open_)
        for stmt, effects, settled, may_affect, spared in states:
            stmt.effects, stmt.settled, stmt.may_affect = effects, settled, may_affect
            for effect, kept in zip(effects, spared, strict=False):
                effect.spared = kept


def _fields(obj: Any) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in type(obj).__slots__ if not name.startswith("__")}


def _selects_into(text: str) -> bool:
    """Whether ``text`` is ``SELECT … INTO t`` (PostgreSQL 15 refuses it in EXECUTE: "EXECUTE
    of SELECT ... INTO is not implemented"; PL/pgSQL's own SELECT … INTO assigns variables)."""
    if not re.search(r"(?i)\binto\b", text):
        return False
    from schema_audit.sources.statements import split_statements

    return any(
        isinstance(s.node, ast.SelectStmt) and s.node.intoClause is not None
        for s in split_statements(text)
    )


__all__ = ["DoRunner", "SqlError", "handles", "_text"]


# PL/pgSQL's integer types, as the parser names a variable's, and their largest value
_INTEGER_LIMITS = {"int2": 2**15 - 1, "int4": 2**31 - 1, "int8": 2**63 - 1}


def _to_integer(value: float, limit: int) -> int:
    """A numeric value assigned to an integer variable: rounded half away from zero, as
    PostgreSQL's numeric to integer cast does; out of range, refused as PostgreSQL refuses it."""
    if value != value or value in (float("inf"), float("-inf")):
        raise Undecidable("a value that is not a number assigned to an integer variable")
    rounded = math.floor(abs(value) + 0.5) * (1 if value >= 0 else -1)
    if not -limit - 1 <= rounded <= limit:
        raise Undecidable("a value out of its integer variable's range (PostgreSQL refuses it)")
    return rounded
