"""Remove each safety protection once and check that a test fails (issue 8's "done when").

Each entry names a file, a piece of code that implements a protection, what to
put in its place (the protection removed), and the tests that must then fail.
The file is restored afterwards, whatever happens. Run from the repository:

    .venv/bin/python tools/protections.py            # every protection
    .venv/bin/python tools/protections.py read-only  # one by name

Prints one line per protection: CAUGHT (a test failed) or MISSED (all passed).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Protection:
    name: str
    file: str
    code: str
    removed: str
    tests: str  # pytest node ids / -k selection


PROTECTIONS = [
    Protection(
        "read-only",
        "schema_audit/sources/live.py",
        'begin = pgsql.SQL("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")',
        'begin = pgsql.SQL("BEGIN")',
        "tests/test_production_safety.py::test_reads_happen_in_one_read_only_snapshot "
        "tests/test_production_safety.py::test_only_reads_are_sent_to_a_dsn_target",
    ),
    Protection(
        "lock-timeout",
        "schema_audit/sources/live.py",
        'f"{lock_timeout_ms}ms",',
        '"0",',
        "tests/test_production_safety.py::test_an_exclusive_lock_elsewhere_never_hangs_the_audit",
    ),
    Protection(
        "password-redaction",
        "schema_audit/redact.py",
        "out = _URL_PASSWORD.sub(lambda m: f\"{m['head']}***{m['tail']}\", text)",
        "out = text",
        "tests/test_production_safety.py::test_the_password_appears_in_no_output_format "
        "tests/test_cli.py",
    ),
    Protection(
        "markdown-escaping",
        "schema_audit/render/markdown_text.py",
        'text = _SPECIAL.sub(r"\\\\\\1", text)',
        "pass",
        "tests/test_hostile_names.py tests/test_reports.py",
    ),
    Protection(
        "html-autoescape",
        "schema_audit/render/html.py",
        "autoescape=True,",
        "autoescape=False,",
        "tests/test_hostile_names.py tests/test_reports.py",
    ),
    Protection(
        "identifier-quoting",
        "schema_audit/model.py",
        "return '\"' + name.replace('\"', '\"\"') + '\"'",
        "return name",
        "tests/test_hostile_names.py",
    ),
    Protection(
        "no-traceback",
        "schema_audit/cli/entry.py",
        "    except Exception as exc:  # the last line of defence: one line, exit 2",
        "    except ZeroDivisionError as exc:  # protection removed",
        "tests/test_fuzz_spec.py tests/test_cli.py",
    ),
    Protection(
        "replay-never-on-dsn",
        "schema_audit/api.py",
        "    if dsn:\n        raise ReplayTargetError()",
        "    if False:\n        raise ReplayTargetError()",
        "tests/test_replay_probes.py",
    ),
    Protection(
        "one-statement-at-a-time",
        "schema_audit/sources/ddl/interpreter.py",
        "        for stmt in statements:\n            if on_line",
        "        for stmt in list(statements):\n            if on_line",
        "tests/test_resource_limits.py",
    ),
    Protection(
        "unclosed-parenthesis",
        "schema_audit/sources/statements.py",
        "            return _scanner_slices(text)\n        covered = end",
        "            pass\n        covered = end",
        "tests/test_resource_limits.py",
    ),
    Protection(
        "no-quadratic-renames",
        "schema_audit/sources/ddl/renames.py",
        "    for other in interp._tables_referencing(table.schema, table.name):\n"
        "        for fk in other.foreign_keys.values():",
        "    for other in interp.model.tables.values():\n"
        "        for fk in other.foreign_keys.values():",
        "tests/test_resource_limits.py",
    ),
    Protection(
        "device-output",
        "schema_audit/cli/common.py",
        "        if path.exists() and not path.is_file():",
        "        if False:",
        "tests/test_cli.py::test_output_to_a_pipe_or_device_writes_into_it_never_replaces_it",
    ),
    Protection(
        "inherited-privileges",
        "schema_audit/audit/privileges.py",
        "            reach = automatic and inherit",
        "            reach = automatic",
        "tests/test_privileges.py",
    ),
    Protection(
        "replay-connection-guard",
        "schema_audit/sources/alembic_runner.py",
        "    guard.install()",
        "    pass",
        "tests/test_replay_safety.py::"
        "test_env_py_aimed_at_another_database_is_refused_and_it_stays_unchanged",
    ),
    Protection(
        "sqlstate-attribution",
        "schema_audit/probes/attribution.py",
        '    if state == "428C9":\n        return Rejection("generated column", False, detail)',
        '    if state == "428C9":\n        return Rejection("trigger", True, detail)',
        "tests/test_probe_attribution.py",
    ),
    Protection(
        "immutability-writable-columns",
        "schema_audit/probes/kinds/immutability.py",
        'c.name for c in table.columns.values() if not c.generated and c.identity != "always"',
        "c.name for c in table.columns.values()",
        "tests/test_probe_attribution.py",
    ),
    Protection(
        "a stopped replay defers",
        "schema_audit/api.py",
        "        findings = defer_after_stop(findings, incomplete)",
        "        pass",
        "tests/test_replay_sql.py::test_a_stopped_replay_defers_what_later_revisions_could_change",
    ),
    Protection(
        "column-grants",
        "schema_audit/audit/privileges.py",
        "    for column, grants in sorted(table.column_grants.items()):",
        "    for column, grants in sorted({}.items()):",
        "tests/test_privileges.py",
    ),
    Protection(
        "catalog-locks-released",
        "schema_audit/sources/live.py",
        "                cur.execute(RELEASE_LOCKS)",
        '                cur.execute("RELEASE SAVEPOINT schema_audit_read")',
        "tests/test_lock_release.py",
    ),
    Protection(
        "rule-pack-complete",
        "schema_audit/rules/__init__.py",
        "    _load()  # every entry, even when one module was imported alone before",
        "    if not _REGISTRY:\n        _load()",
        "tests/test_registries_complete.py",
    ),
    Protection(
        "view-locks-per-slice",
        "schema_audit/sources/live.py",
        '    return ";\\nROLLBACK TO SAVEPOINT schema_audit_read;\\n".join(slices)',
        '    return ";\\n".join(slices)',
        "tests/test_lock_release.py -k earlier",
    ),
    Protection(
        "parallel-read-one-snapshot",
        "schema_audit/sources/live.py",
        '            begin += pgsql.SQL("; SET TRANSACTION SNAPSHOT {}").format(pgsql.Literal(snapshot))',
        "            pass",
        "tests/test_parallel_read.py -k invisible",
    ),
    Protection(
        "parallel-read-workers-read-only",
        "schema_audit/sources/live.py",
        "worker = _Reader(connect(snapshot), dsn, schemas)",
        "worker = _Reader(psycopg.connect(dsn), dsn, schemas)",
        "tests/test_parallel_read.py -k read_only",
    ),
    Protection(
        "no-partial-model-exit-0",
        "schema_audit/cli/common.py",
        '    if blocking:\n        fail([f"{what}{line}" for line in blocking])',
        "    pass",
        "tests/test_layouts_and_gaps.py -k no_command_reports",
    ),
    Protection(
        "no-exec-runs-nothing",
        "schema_audit/sources/alembic.py",
        "        if execute:\n            with _project_path(located):",
        "        if True:\n            with _project_path(located):",
        "tests/test_alembic_ast.py::test_no_exec_runs_no_revision_code",
    ),
    Protection(
        "empty-source-is-an-error",
        "schema_audit/sources/sqlfile.py",
        "    if not contents:\n        raise MigrationSourceError(",
        "    if False:\n        raise MigrationSourceError(",
        "tests/test_layouts_and_gaps.py -k empty",
    ),
    Protection(
        "order-aware-deferral",
        "schema_audit/sources/effects.py",
        "hit = next((s for s in facets if _covers(s, effect)), None)",
        "hit = None",
        "tests/test_do_blocks.py::test_undecidable_code_defers_only_the_kinds_it_names_and_only_until_settled",
    ),
    Protection(
        "kind-aware-deferral",
        "schema_audit/audit/deferral.py",
        'kind_ok = effect.kind in ("*", facet.kind)',
        "kind_ok = True",
        "tests/test_do_blocks.py::test_undecidable_code_defers_only_the_kinds_it_names_and_only_until_settled",
    ),
    Protection(
        "pass-can-be-deferred",
        "schema_audit/audit/deferral.py",
        'finding.status not in ("PASS", "FAIL", "PARTIAL")',
        'finding.status not in ("FAIL",)',
        "tests/test_do_blocks.py::test_a_pass_becomes_deferred_when_undecidable_code_may_change_it",
    ),
    Protection(
        "rules-obey-deferral",
        "schema_audit/audit/rules.py",
        "finding = defer_rule(finding, rule.id, target, column, options.static_model)",
        "pass",
        "tests/test_do_blocks.py::test_no_rule_fail_contradicts_a_deferred_spec_finding",
    ),
    Protection(
        "spec-size-limits",
        "schema_audit/spec/load.py",
        "            check_graph(node, file, self.limits)",
        "            pass",
        "tests/test_hostile_specs.py::test_the_alias_bomb_is_refused_in_a_second_with_one_line",
    ),
    Protection(
        "plain-spec-limits",
        "schema_audit/spec/plainload.py",
        "            if nodes > max_nodes or depth + 1 > max_depth:",
        "            if False:",
        "tests/test_spec_plainload.py::"
        "test_limits_send_the_document_to_the_composing_path_which_words_them",
    ),
    Protection(
        "block-spec-limits",
        "schema_audit/spec/blockread.py",
        "        if nodes > self.max_nodes:",
        "        if False:",
        "tests/test_spec_blockread.py::"
        "test_limits_leave_a_block_document_to_the_composing_path_which_words_them",
    ),
    Protection(
        "declared-variables-only",
        "schema_audit/spec/load.py",
        "    values: dict[str, str | None] = {}",
        "    values: dict[str, str | None] = dict(environ)",
        "tests/test_hostile_specs.py::"
        "test_an_environment_variable_is_never_read_unless_declared_or_prefixed",
    ),
    Protection(
        "secrets-masked-in-outputs",
        "schema_audit/redact.py",
        '            text = _pattern(secret).sub("***", text)',
        "            pass",
        "tests/test_hostile_specs.py::test_known_passwords_are_redacted_in_every_output_format",
    ),
    Protection(
        "extends-confinement",
        "schema_audit/spec/load.py",
        "        if self.inside(path.resolve()):\n            return",
        "        if True:\n            return",
        "tests/test_hostile_specs.py::test_extends_cannot_leave_the_specs_directory",
    ),
    Protection(
        "html-csp",
        "schema_audit/render/html.py",
        'f"script-src {_sha256(script)}",',
        "\"script-src 'unsafe-inline'\",",
        "tests/test_report_safety.py::test_chromium_runs_the_report_script_but_nothing_injected",
    ),
    Protection(
        "terminal-control-characters",
        "schema_audit/render/terminal.py",
        '    return "".join(ch if ch.isprintable() else "\\ufffd" for ch in text)',
        "    return text",
        "tests/test_report_safety.py::"
        "test_terminal_output_shows_no_escape_sequences_or_forged_lines",
    ),
    Protection(
        "statement-size-limit",
        "schema_audit/sources/statements.py",
        "    if len(statement) > limit:",
        "    if False:",
        "tests/test_bounded_sql.py::test_a_statement_over_the_limit_is_named_and_not_parsed",
    ),
    Protection(
        "parse-depth-check",
        "schema_audit/pgparse.py",
        "        data = pglast.parser.parse_sql_json(text)  # PostgreSQL's depth check",
        "        return pglast.parse_sql(text)",
        "tests/test_bounded_sql.py::test_a_left_deep_expression_never_crashes_the_interpreter "
        "tests/test_bounded_sql.py::"
        "test_a_deep_condition_in_a_do_block_never_crashes_the_interpreter",
    ),
    Protection(
        "stopped-block-may-abort-defers",
        "schema_audit/sources/plpgsql.py",
        "and not effects and not _keeps_deferring(remaining):",
        "and not effects:",
        "tests/test_do_blocks.py::"
        "test_a_stopped_do_block_that_may_raise_or_change_the_schema_still_defers",
    ),
    Protection(
        "waiver-expiry-is-a-day",
        "schema_audit/spec/schema.py",
        '"expires": _day(',
        '"expires": _str(',
        "tests/test_waivers.py::test_an_expiry_not_written_as_yyyy_mm_dd_is_a_spec_error",
    ),
    Protection(
        "report-date-is-a-day",
        "schema_audit/cli/audit.py",
        "if date is not None and not re.fullmatch(ISO_DAY, date):",
        "if False:",
        "tests/test_waivers.py::test_a_report_date_not_written_as_yyyy_mm_dd_is_refused",
    ),
    Protection(
        "diff-undecided-is-not-drift",
        "schema_audit/audit/undecided.py",
        "reason = _undecided_reason(difference, left, right)",
        "reason = None",
        "tests/test_diff_undecided.py",
    ),
    Protection(
        "diff-undecided-only-literals",
        "schema_audit/sqltime.py",
        "if len(left) != len(right) or _QUOTED.sub(\"''\", a) != _QUOTED.sub(\"''\", b):",
        "if len(left) != len(right):",
        "tests/test_diff_undecided.py::test_a_real_difference_beside_undecided_ones_still_exits_1 "
        "tests/test_time_checks.py",
    ),
    Protection(
        "check-session-literal-defers",
        "schema_audit/kinds/check.py",
        "side = _session_side(expression, ck.expression)",
        "side = None",
        "tests/test_time_checks.py",
    ),
    Protection(
        "empty-option-values-refused",
        "schema_audit/cli/commands.py",
        "empty = [] if ctx.resilient_parsing else empty_values(self, ctx, args)",
        "empty = []",
        "tests/test_cli_option_values.py",
    ),
    Protection(
        "invalid-index-is-no-index",
        "schema_audit/audit/indexes.py",
        "    if not index.valid:  # a failed CREATE INDEX CONCURRENTLY: kept up to date, never used",
        "    if False:",
        "tests/test_realworld_fidelity.py::"
        "test_an_invalid_index_does_not_meet_an_index_requirement",
    ),
    Protection(
        "exactly-indexes-hold-definitions",
        "schema_audit/kinds/strict.py",
        "elif text := _unstated_index(table, name, other.props):",
        "elif text := None:",
        "tests/test_init_strict.py::test_init_spec_holds_each_index_to_its_whole_definition",
    ),
    Protection(
        "exactly-privileges-per-privilege",
        "schema_audit/kinds/strict.py",
        "f\"{g.grantee} {g.privilege}{_OPTION if g.grantable else ''}\"\n"
        "            for g in table.grants\n"
        "            if g.grantee != table.owner",
        "g.grantee\n            for g in table.grants\n            if g.grantee != table.owner",
        "tests/test_realworld_fidelity.py::"
        "test_strict_privileges_count_each_privilege_not_only_the_role",
    ),
    Protection(
        "drop-type-cascade-drops-columns",
        "schema_audit/sources/ddl/drops.py",
        "                drop_column(interp, table, column.name, False)",
        "                pass",
        "tests/test_realworld_fidelity.py::test_drop_type_cascade_drops_its_columns",
    ),
    Protection(
        "drop-refused-under-dependents",
        "schema_audit/sources/ddl/drops.py",
        "        _refuse_if_depended_on(interp, node)",
        "        pass",
        "tests/test_leftovers_fidelity.py::"
        "test_drop_without_cascade_refused_while_something_depends_on_it",
    ),
    Protection(
        "flyway-migration-in-one-transaction",
        "schema_audit/sources/runner_transactions.py",
        '    if layout == "flyway":',
        "    if False:",
        "tests/test_leftovers_fidelity.py::test_flyway_migrations_replay_in_flyways_transactions",
    ),
    Protection(
        "init-writes-enums",
        "schema_audit/spec/bootstrap.py",
        "    out += _enums(model)",
        "    pass",
        "tests/test_init_strict.py::test_init_spec_holds_enums_to_their_labels",
    ),
    Protection(
        "idle-timeout-within-range",
        "schema_audit/sources/live.py",
        'f"{min(max(statement_timeout_ms * 4, 60000), 2**31 - 1)}ms",',
        'f"{max(statement_timeout_ms * 4, 60000)}ms",',
        "tests/test_production_safety.py::"
        "test_the_longest_statement_timeout_the_cli_takes_opens_the_read",
    ),
    Protection(
        "init-exact-function-body",
        "schema_audit/kinds/function.py",
        "elif _acl.normalize_body(want) != _acl.normalize_body(fn.body):",
        "elif False:",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "init-exact-grants",
        "schema_audit/kinds/_acl.py",
        'return None if want == have else Diff("grants", want, have)',
        "return None",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "owner-unknown-defers",
        "schema_audit/kinds/table.py",
        "elif unknown_owner and status == Status.PASS:",
        "elif False:",
        "tests/test_init_exact.py::"
        "test_live_spec_against_the_history_defers_only_what_files_cannot_say",
    ),
    Protection(
        "strict-counts-column-grants",
        "schema_audit/kinds/strict.py",
        "return table_level | _column_level(table)",
        "return table_level",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "strict-holds-unstated-properties",
        "schema_audit/kinds/strict.py",
        "if obj is not None and (extras := extras_of(obj, other.props)):",
        "if obj is not None and (extras := []):",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "init-writes-fk-on-update",
        "schema_audit/spec/entrywrite.py",
        "    if fk.on_update != ReferentialAction.NO_ACTION:\n        pairs",
        "    if False:\n        pairs",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "strict-counts-unique-constraints",
        "schema_audit/kinds/strict.py",
        "return set(table.uniques)",
        "return set()",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "create-table-not-valid-is-valid-fast-path",
        "schema_audit/sources/ddl/fast.py",
        "add_constraint(interp, table, constraint, new_table=True)",
        "add_constraint(interp, table, constraint)",
        "tests/test_init_exact.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "trigger-when-compared",
        "schema_audit/kinds/trigger.py",
        'diffs.append(Diff("when", props["when"], trigger.when))',
        "pass",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "create-table-not-valid-is-valid",
        "schema_audit/sources/ddl/constraints.py",
        "validated = new_table or not con.skip_validation",
        "validated = not con.skip_validation",
        "tests/test_init_exact.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "unknown-generated-kind-is-no-default",
        "schema_audit/sources/live.py",
        "    if not generated:  # ''",
        "    if generated != \"s\":  # ''",
        "tests/test_live_generated_kinds.py",
    ),
    Protection(
        "live-names-rules-and-domains",
        "schema_audit/sources/live.py",
        '    for kind, schema, name, rule in r.rows(Q_UNMODELLED, "rules, domains and publications"):',
        "    for kind, schema, name, rule in ():",
        "tests/test_live_unmodelled.py",
    ),
    Protection(
        "strict-views-counts-views",
        "schema_audit/kinds/strict_views.py",
        "    if extra:",
        "    if False:",
        "tests/test_init_exact.py::test_a_change_after_init_fails",
    ),
    Protection(
        "table-partition-of-compared",
        "schema_audit/kinds/table.py",
        "    if parent is not None and not same_parent(",
        "    if False and not same_parent(",
        "tests/test_init_exact.py::test_a_partition_change_is_reported_as_one",
    ),
    Protection(
        "strict-tables-holds-unstated-partitions",
        "schema_audit/kinds/strict_tables.py",
        "    if attached:",
        "    if False:",
        "tests/test_init_exact.py::test_a_partition_change_is_reported_as_one",
    ),
    Protection(
        "guard-block-settles-only-if-it-only-raises",
        "schema_audit/sources/plpgsql.py",
        "    return all(_reads_only(query, mode) for query, mode in _expressions(statements))",
        "    return True",
        "tests/test_do_blocks.py::test_a_stopped_guard_that_may_do_more_than_raise_still_defers",
    ),
    Protection(
        "session-literal-defers-in-policies-and-index-predicates",
        "schema_audit/kinds/_session.py",
        "        found = found or who\n    return found",
        "        found = found or who\n    return None",
        "tests/test_time_checks.py::"
        "test_session_literals_in_unnamed_checks_policies_and_index_predicates_are_deferred",
    ),
    Protection(
        "alembic-light-declines-bind-parameters",
        "schema_audit/sources/alembic_light.py",
        "if _MAYBE_BIND.search(text):",
        "if False:",
        "tests/test_alembic_light.py::test_crafted_revision_light_equals_alembic_or_declines",
    ),
    Protection(
        "alembic-light-remembers-swallowed-declines",
        "schema_audit/sources/alembic_light.py",
        "        if self.declined is None:\n            self.declined = why\n",
        "        pass\n",
        "tests/test_alembic_light.py::test_crafted_revision_light_equals_alembic_or_declines",
    ),
    Protection(
        "alembic-light-only-inside-upgrade",
        "schema_audit/sources/alembic_light.py",
        "if not self.active:",
        "if False:",
        "tests/test_alembic_light.py::test_crafted_revision_light_equals_alembic_or_declines",
    ),
    Protection(
        "replay-forgets-the-runners-ownership",
        "schema_audit/replay_audit.py",
        "        forget_runner_ownership(model, scratch.runner_role())\n",
        "",
        "tests/test_init_exact.py::"
        "test_a_replay_leaves_undecided_the_owners_the_history_does_not_name",
    ),
    Protection(
        "strict-default-privileges",
        "schema_audit/kinds/strict_default_privileges.py",
        "if not any(states(props, e) for props in stated)",
        "if False",
        "tests/test_default_privileges.py::"
        "test_init_writes_default_privileges_and_strict_fails_a_new_one "
        "tests/test_requirement_kinds.py::"
        "test_the_kind_judges_its_fixture_as_postgresql_would[strict_default_privileges]",
    ),
    Protection(
        "unique-properties-compared",
        "schema_audit/kinds/unique.py",
        "if prop in props and props[prop] != (actual := bool(getattr(enforcing, prop, False)))",
        "if prop in props and False",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "sequence-options-compared",
        "schema_audit/kinds/sequence.py",
        "if prop in req.props and req.props[prop] != actual",
        "if False",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "strict-functions-counts-overloads",
        "schema_audit/kinds/strict_functions.py",
        "and f.signature not in required",
        "and False",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "function-key-names-its-overload",
        "schema_audit/kinds/function.py",
        "functions = [f for f in functions if argument_types(f.arguments) == types]",
        "functions = functions",
        "tests/test_init_exact3.py::test_init_then_audit_of_the_same_database_passes",
    ),
    Protection(
        "strict-tables-holds-unstated-table-properties",
        "schema_audit/kinds/strict_tables.py",
        "and (extras := unstated_properties(t, r.props))",
        "and (extras := [])",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "table-replica-identity-compared",
        "schema_audit/kinds/table.py",
        "if expected is not None and not same(str(expected), actual):",
        "if False:",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "live-reads-grant-option",
        "schema_audit/sources/live.py",
        'Grant(entry[0], entry[1], entry[2:] == ["g"])',
        "Grant(entry[0], entry[1], False)",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "enum-grants-compared",
        "schema_audit/kinds/enum.py",
        '_acl.grants_diff(props["grants"], enum.grants, enum.owner) if "grants" in props else None',
        "None",
        "tests/test_init_exact3.py::test_a_change_after_init_fails",
    ),
    Protection(
        "strict-tables-holds-unstated-options",
        "schema_audit/kinds/table.py",
        "out += unstated_options(table.options, props, table.unlogged)",
        "pass",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k set",
    ),
    Protection(
        "strict-views-holds-unstated-options",
        "schema_audit/kinds/strict_views.py",
        "extras := unstated_options(v.options, r.props)",
        "extras := []",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k view",
    ),
    Protection(
        "check-properties-compared",
        "schema_audit/kinds/check.py",
        "if expected is not None and bool(expected) != actual:",
        "if False:",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k validated",
    ),
    Protection(
        "exactly-checks-holds-unstated-properties",
        "schema_audit/kinds/_unstated.py",
        '"checks": ("check", lambda t: t.checks, _check),',
        "",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k check",
    ),
    Protection(
        "grant-option-compared",
        "schema_audit/kinds/privilege.py",
        "if lacking_option:",
        "if False:",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k revoked",
    ),
    Protection(
        "strict-privileges-counts-grant-option",
        "schema_audit/kinds/strict.py",
        "f\"{g.grantee} {g.privilege}{_OPTION if g.grantable else ''}\"\n            for g in table.grants",
        'f"{g.grantee} {g.privilege}"\n            for g in table.grants',
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k added",
    ),
    Protection(
        "strict-views-holds-unstated-comment",
        "schema_audit/kinds/strict_views.py",
        '+ (["COMMENT"] if v.comment and "comment" not in r.props else [])',
        "+ []",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k view",
    ),
    Protection(
        "view-definition-compared",
        "schema_audit/kinds/view.py",
        "    if same_query is False:",
        "    if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k where",
    ),
    Protection(
        "view-cast-only-difference-not-passed",
        "schema_audit/viewtext.py",
        "        return False if printed and viewdef_layout(left) and viewdef_layout(right) else None",
        "        return True",
        "tests/test_init_exact5.py -k cast",
    ),
    Protection(
        "init-writes-view-definition",
        "schema_audit/spec/bootstrap.py",
        "    if view.definition:  # the query",
        "    if False:  # the query",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k where",
    ),
    Protection(
        "trigger-state-compared",
        "schema_audit/kinds/trigger.py",
        "        if trigger.enabled != wanted.upper():",
        "        if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k always",
    ),
    Protection(
        "trigger-disabled-held",
        "schema_audit/kinds/trigger.py",
        '    elif not wanted and trigger.enabled != "DISABLED":',
        "    elif False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k disabled",
    ),
    Protection(
        "exactly-triggers-holds-enable-always",
        "schema_audit/kinds/_unstated.py",
        '    if trigger.enabled == "ALWAYS" and props.get("enabled") != "always":',
        "    if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'trigger and enabled and always'",
    ),
    Protection(
        "strict-extensions-counts-new-ones",
        "schema_audit/kinds/strict_extensions.py",
        "        if name not in wanted and not built_in(extension):",
        "        if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'extension and added'",
    ),
    Protection(
        "strict-extensions-version-compared",
        "schema_audit/kinds/strict_extensions.py",
        "        if known and str(version) != extension.version:",
        "        if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'extension and updated'",
    ),
    Protection(
        "init-writes-strict-extensions",
        "schema_audit/spec/bootstrap.py",
        '            block["extensions"] = strict_extensions.stated(model)',
        "            pass",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k extension",
    ),
    Protection(
        "sequence-comment-compared",
        "schema_audit/kinds/sequence.py",
        '    if "comment" in req.props and (req.props["comment"] or None) != (sequence.comment or None):',
        "    if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'sequence and comment and changed'",
    ),
    Protection(
        "strict-sequences-holds-unstated-comment",
        "schema_audit/kinds/strict_sequences.py",
        "        and sequence.comment\n",
        "        and False\n",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'sequence and comment and added'",
    ),
    Protection(
        "static-reads-sequence-comments",
        "schema_audit/sources/ddl/comments.py",
        "            sequence.comment = node.comment",
        "            pass",
        "tests/test_init_exact5.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "column-options-compared",
        "schema_audit/kinds/column.py",
        '    if "options" in props and option_text(',
        "    if False and option_text(",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'column and option and changed'",
    ),
    Protection(
        "exactly-columns-holds-unstated-options",
        "schema_audit/kinds/_unstated.py",
        '        if "options" in column.settings and "options" not in props:',
        "        if False:",
        "tests/test_init_exact5.py::test_a_change_after_init_fails -k 'column and option and set'",
    ),
    Protection(
        "static-reads-column-options",
        "schema_audit/sources/ddl/alter_table.py",
        "    set_options(col, reloptions(cmd.def_), cmd.subtype == A.AT_ResetOptions)",
        "    pass",
        "tests/test_init_exact5.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "strict-functions-holds-unstated-comment",
        "schema_audit/kinds/strict_functions.py",
        'if functions[0].comment and "comment" not in other.props:',
        "if False:",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k overload",
    ),
    Protection(
        "static-reads-routine-comments",
        "schema_audit/sources/ddl/comments.py",
        "found[0].comment = node.comment",
        "pass",
        "tests/test_init_exact4.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "strict-sequences-counts-new-sequences",
        "schema_audit/kinds/strict_sequences.py",
        "and key not in required",
        "and False",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k added",
    ),
    Protection(
        "init-writes-strict-sequences",
        "schema_audit/spec/bootstrap.py",
        'block["sequences"] = True',
        'block["sequences"] = False',
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k added",
    ),
    Protection(
        "column-settings-compared",
        "schema_audit/kinds/column.py",
        "diffs += setting_diffs(props, column, enum)",
        "pass",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k changed",
    ),
    Protection(
        "exactly-columns-holds-unstated-settings",
        "schema_audit/kinds/_unstated.py",
        'out.append(f"SET {word} {column.settings[key]}")',
        "pass",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k set",
    ),
    Protection(
        "live-reads-column-settings",
        "schema_audit/sources/live.py",
        "column.settings = settings\n",
        "pass\n",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k statistics",
    ),
    Protection(
        "strict-default-privileges-counts-grant-option",
        "schema_audit/kinds/default_privilege.py",
        'and (not entry.grantable or entry.privilege in wanted(props, "grant_option"))',
        "",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k default",
    ),
    Protection(
        "default-privilege-grant-option-compared",
        "schema_audit/kinds/default_privilege.py",
        'if "grant_option" in props:',
        "if False:",
        "tests/test_init_exact4.py::test_a_change_after_init_fails -k default",
    ),
    Protection(
        "init-writes-blocked-grants",
        "schema_audit/spec/entrywrite.py",
        "pairs += blocked.pairs(table, role, granted)",
        "pass",
        "tests/test_init_blocked_grants.py::test_init_then_audit_of_the_same_database_passes",
    ),
    Protection(
        "blocked-schema-usage-held",
        "schema_audit/kinds/privilege.py",
        "                if usage is not None:\n",
        "                if False:\n",
        "tests/test_init_blocked_grants.py::test_a_change_of_the_blocked_state_fails",
    ),
    Protection(
        "blocked-sequence-usage-held",
        "schema_audit/kinds/privilege.py",
        'if "INSERT" in access and not privileges.lacks_sequence_usage(',
        "if False and not privileges.lacks_sequence_usage(",
        "tests/test_init_blocked_grants.py::test_a_change_of_the_blocked_state_fails",
    ),
    Protection(
        "exit-runs-cleanup-handlers",
        "schema_audit/cli/entry.py",
        "    run_exit_handlers()\n",
        "    pass\n",
        "tests/test_cli_exit.py -k exit_handlers_run",
    ),
    Protection(
        "model-cache-checksum",
        "schema_audit/sources/model_cache.py",
        "    if hashlib.sha256(payload).hexdigest().encode() != head[len(_MAGIC) :]:",
        "    if False:",
        "tests/test_model_cache.py::test_a_damaged_entry_never_gives_another_model",
    ),
    Protection(
        "model-cache-placeholders",
        "schema_audit/sources/model_cache.py",
        "            if p.action != _MARK or p.line is None or not 0 <= p.line < len(table):",
        "            if p.line is None:",
        "tests/test_model_cache.py::test_a_damaged_entry_never_gives_another_model",
    ),
    Protection(
        "model-cache-code-key",
        "schema_audit/sources/model_cache.py",
        "        digest.update(path.read_bytes())",
        "        pass",
        "tests/test_model_cache.py::test_the_code_is_in_the_key",
    ),
    Protection(
        "model-cache-settings-key",
        "schema_audit/sources/model_cache.py",
        'if name.startswith("SCHEMA_AUDIT_") and name not in _NOT_INPUTS',
        "if False",
        "tests/test_model_cache.py::test_each_input_is_in_the_key",
    ),
    Protection(
        "model-cache-resume-fallback",
        "schema_audit/sources/sqlfile.py",
        "        except Exception:  # a session that does not fit its model: read from the first file",
        "        except ZeroDivisionError:",
        "tests/test_model_cache.py::"
        "test_a_session_that_does_not_fit_its_model_is_a_read_from_the_first_file",
    ),
    Protection(
        "parse-ahead-rest-read-here",
        "schema_audit/sources/parse_ahead.py",
        "            if number >= given:",
        "            if number > given:",
        "tests/test_parse_ahead.py::test_a_child_that_stops_mid_file_costs_no_statement",
    ),
    Protection(
        "parse-ahead-file-read-here",
        "schema_audit/sources/parse_ahead.py",
        "            return header, iter(split_statements(text) if text is not None else ())",
        "            return header, iter(())",
        "tests/test_parse_ahead.py::test_a_child_that_stops_between_files_costs_no_file "
        "tests/test_parse_ahead.py::test_a_garbled_frame_ends_the_pipeline_not_the_read",
    ),
    Protection(
        "parse-ahead-unreadable-statement-read-here",
        "schema_audit/sources/parse_ahead.py",
        "    except Exception:  # noqa: BLE001 - that process reads it itself, with the same outcome",
        "    except KeyboardInterrupt:",
        "tests/test_parse_ahead.py::test_a_statement_the_child_cannot_read_is_read_here",
    ),
    Protection(
        "drop-parent-refused-under-inheritance-children",
        "schema_audit/sources/ddl/drops.py",
        "                or set(inheritance.descendant_keys(interp, table)) - keys",
        "                or False",
        "tests/test_static_leftovers6.py::test_drop_of_an_inherits_parent_needs_cascade",
    ),
    Protection(
        "star-covered-column-refused",
        "schema_audit/sources/ddl/views.py",
        "            yield view.qualified_name  # a ``*`` covered it",
        "            pass  # a ``*`` covered it",
        "tests/test_static_leftovers6.py::test_drop_column_covered_only_by_a_star_view_is_refused",
    ),
    Protection(
        "index-options-compared",
        "schema_audit/audit/indexes.py",
        "        diffs += option_diffs(stated, index.options, None)",
        "        pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'fillfactor and changed'",
    ),
    Protection(
        "exactly-indexes-holds-unstated-options",
        "schema_audit/kinds/strict.py",
        '    if index.options and "options" not in props:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'fillfactor and set'",
    ),
    Protection(
        "index-clustered-compared",
        "schema_audit/audit/indexes.py",
        '    if "clustered" in props and bool(props["clustered"]) != index.clustered:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'cluster and removed'",
    ),
    Protection(
        "exactly-indexes-holds-unstated-cluster-on",
        "schema_audit/kinds/strict.py",
        '    if index.clustered and "clustered" not in props:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'cluster and set'",
    ),
    Protection(
        "index-comment-compared",
        "schema_audit/audit/indexes.py",
        '    if "comment" in props and (props["comment"] or None) != (index.comment or None):',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'index and comment and changed'",
    ),
    Protection(
        "exactly-indexes-holds-unstated-comment",
        "schema_audit/kinds/strict.py",
        '    if index.comment and "comment" not in props:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'index and comment and added'",
    ),
    Protection(
        "object-comment-compared",
        "schema_audit/kinds/_common.py",
        '    if "comment" in props and (props["comment"] or None) != (actual or None):',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'comment and changed and not index'",
    ),
    Protection(
        "exactly-holds-unstated-trigger-comment",
        "schema_audit/kinds/_unstated.py",
        '    if trigger.comment and "comment" not in props:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'trigger and comment and added'",
    ),
    Protection(
        "exactly-holds-unstated-policy-comment",
        "schema_audit/kinds/_unstated.py",
        '    return ["COMMENT"] if policy.comment and "comment" not in props else []',
        "    return []",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'policy and comment and added'",
    ),
    Protection(
        "exactly-holds-unstated-check-comment",
        "schema_audit/kinds/_unstated.py",
        '    if check.comment and "comment" not in props:',
        "    if False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'check and comment and added'",
    ),
    Protection(
        "live-reads-index-comments-options-cluster",
        "schema_audit/sources/live_notes.py",
        "                index.comment = comment\n",
        "                pass\n",
        "tests/test_init_exact6.py::test_init_then_audit_of_the_same_database_passes",
    ),
    Protection(
        "static-reads-object-comments",
        "schema_audit/sources/ddl/comments.py",
        "            target.comment = node.comment",
        "            pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "static-reads-index-options",
        "schema_audit/sources/ddl/indexes.py",
        "        options=reloptions(node.options),",
        "        options=None,",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "static-reads-cluster-on",
        "schema_audit/sources/ddl/alter_table.py",
        "    set_clustered(table, cmd.name if cmd.subtype == A.AT_ClusterOn else None)",
        "    pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "schema-comment-compared",
        "schema_audit/kinds/schema_acl.py",
        "        comment_diffs(req.props, model.schema_comments.get(name)),",
        "        [],",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'schema and comment'",
    ),
    Protection(
        "enum-comment-compared",
        "schema_audit/kinds/enum.py",
        "    for diff in comment_diffs(props, enum.comment):  # COMMENT ON TYPE",
        "    for diff in []:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'enum and comment'",
    ),
    Protection(
        "live-reads-schema-comments",
        "schema_audit/sources/live_notes.py",
        "            model.schema_comments[name] = comment",
        "            pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'schema and comment and dropped and dsn'",
    ),
    Protection(
        "static-reads-schema-comments",
        "schema_audit/sources/ddl/comments.py",
        "            interp.model.schema_comments[schema] = node.comment",
        "            pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "partition-bound-compared",
        "schema_audit/kinds/table.py",
        '        ("partition_bound", table.partition_bound, same_bound),\n',
        "",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'bound or ranged'",
    ),
    Protection(
        "live-reads-partition-bounds",
        "schema_audit/sources/live_notes.py",
        "            relation.partition_bound = comment",
        "            pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'bound and dsn'",
    ),
    Protection(
        "static-reads-partition-bounds",
        "schema_audit/sources/ddl/tables.py",
        "        table.partition_bound = bound_text(node.partbound)",
        "        pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "static-reads-attached-partition-bounds",
        "schema_audit/sources/ddl/alter_table.py",
        "        child.partition_bound = bound_text(cmd.def_.bound)",
        "        pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "domain-checks-compared",
        "schema_audit/kinds/domain.py",
        '            diffs.append(Diff("checks", wanted, dict(domain.checks)))',
        "            pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'domain and check'",
    ),
    Protection(
        "domain-not-null-compared",
        "schema_audit/kinds/domain.py",
        '        diffs.append(Diff("not_null", props["not_null"], domain.not_null))',
        "        pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'not and null'",
    ),
    Protection(
        "strict-domains-counts-new-ones",
        "schema_audit/kinds/_unrequired.py",
        "    if extra:\n",
        "    if False:\n",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'domain and added'",
    ),
    Protection(
        "domain-not-found-fails",
        "schema_audit/kinds/domain.py",
        "    if domain is None:\n        return finding_for(\n            req,\n            Status.FAIL,",
        "    if domain is None:\n        return finding_for(\n            req,\n            Status.PASS,",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'domain and dropped'",
    ),
    Protection(
        "set-schema-effect-names-destination",
        "schema_audit/sources/effects.py",
        '[_e("*", _relation(n.relation, r)), _e("*", qualify(n.newschema, n.relation.relname))]',
        '[_e("*", _relation(n.relation, r))]',
        "tests/test_realworld_trial8.py::test_a_relation_moved_into_a_covered_schema_still_defers_its_strict_set",
    ),
    Protection(
        "static-reads-domains",
        "schema_audit/sources/ddl/domains.py",
        "    interp.model.domains[key] = domain",
        "    pass",
        "tests/test_static_domains.py::test_a_static_audit_judges_domains_instead_of_deferring_them",
    ),
    Protection(
        "static-domain-operand-cast-to-base",
        "schema_audit/sources/ddl/implicit.py",
        "        _domain_operands(expr, typed)",
        "        pass",
        "tests/test_static_domains.py::test_a_column_of_a_domain_meeting_an_operator_is_cast_to_its_base_type",
    ),
    Protection(
        "live-reads-domains",
        "schema_audit/sources/live_types.py",
        "        model.domains[qualify(schema, name)] = DomainType(",
        "        _ = DomainType(",
        "tests/test_live_unmodelled.py",
    ),
    Protection(
        "strict-rules-compares-definitions",
        "schema_audit/kinds/strict_rules.py",
        '                differing.append(f"{key}: rule {name} differs")',
        "                pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'rule and (changed or conditional)'",
    ),
    Protection(
        "strict-rules-holds-unstated",
        "schema_audit/kinds/strict_rules.py",
        '                differing.append(f"{key}: rule {name} is not stated")',
        "                pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'rule and added'",
    ),
    Protection(
        "strict-rules-compares-state",
        "schema_audit/kinds/strict_rules.py",
        '                differing.append(f"{key}: rule {name} is {have[1]}, expected {want[1]}")',
        "                pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'rule and disabled'",
    ),
    Protection(
        "live-reads-rules",
        "schema_audit/sources/live_types.py",
        '            table.rules[name] = (definition or "", RULE_STATES.get(enabled, "origin"))',
        "            pass",
        "tests/test_live_unmodelled.py",
    ),
    Protection(
        "composite-attributes-compared",
        "schema_audit/kinds/composite_type.py",
        '        diffs.append(Diff("attributes", list(wanted), list(composite.attributes)))',
        "        pass",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'composite and attribute'",
    ),
    Protection(
        "strict-composite-types-counts-new-ones",
        "schema_audit/kinds/_unrequired.py",
        "    if extra:\n",
        "    if False:\n",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'composite and added'",
    ),
    Protection(
        "live-reads-composite-types",
        "schema_audit/sources/live_types.py",
        "        model.composites[qualify(schema, name)] = CompositeType(",
        "        _ = CompositeType(",
        "tests/test_init_exact6.py::test_a_change_after_init_dsn_fails -k 'composite'",
    ),
    Protection(
        "strict-views-holds-unstated-matview-indexes",
        "schema_audit/kinds/strict_views.py",
        '            out.append(f"INDEX {name}")',
        "            pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'matview and (added or clustered)'",
    ),
    Protection(
        "strict-views-holds-matview-index-properties",
        "schema_audit/kinds/strict_views.py",
        "            out.append(f\"INDEX {name} {' '.join(extras)}\")",
        "            pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'matview and (fillfactor or clustered)'",
    ),
    Protection(
        "function-leakproof-compared",
        "schema_audit/kinds/function.py",
        '        diffs.append(Diff("leakproof", props["leakproof"], fn.leakproof))',
        "        pass",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'not and leakproof'",
    ),
    Protection(
        "strict-functions-holds-unstated-leakproof",
        "schema_audit/kinds/strict_functions.py",
        '                elif functions[0].leakproof and "leakproof" not in other.props:',
        "                elif False:",
        "tests/test_init_exact6.py::test_a_change_after_init_fails -k 'function and made and leakproof'",
    ),
    Protection(
        "static-reads-leakproof",
        "schema_audit/sources/ddl/routines.py",
        "        fn.leakproof = bool(arg.boolval)",
        "        pass",
        "tests/test_init_exact6.py::test_static_init_agrees_with_the_live_catalog",
    ),
    Protection(
        "diff-compares-view-queries",
        "schema_audit/modeldiff.py",
        "    _diff_query(obj, a.definition, b.definition, add)",
        "    pass",
        "tests/test_static_leftovers7.py -k diff_compares",
    ),
    Protection(
        "diff-view-cast-only-is-undecided-not-equal",
        "schema_audit/modeldiff.py",
        "    if same is True:",
        "    if same is not False:",
        "tests/test_static_leftovers7.py -k diff_compares",
    ),
    Protection(
        "rule-used-column-refused",
        "schema_audit/sources/ddl/drops.py",
        "    if (users or used_by) and not cascade:",
        "    if users and not cascade:",
        "tests/test_static_leftovers7.py -k column_a_rule_uses",
    ),
    Protection(
        "primary-key-name-compared",
        "schema_audit/kinds/primary_key.py",
        '    if "name" in req.props and req.props["name"] != pk.name:',
        "    if False:",
        "tests/test_init_exact7.py::test_a_change_after_init_fails -k 'renamed'",
    ),
    Protection(
        "primary-key-comment-compared",
        "schema_audit/kinds/primary_key.py",
        "    diffs += comment_diffs(req.props, pk.comment)",
        "    pass",
        "tests/test_init_exact7.py::test_a_change_after_init_fails -k 'comment and (dropped or changed)'",
    ),
    Protection(
        "strict-tables-holds-unstated-primary-key-comment",
        "schema_audit/kinds/table.py",
        '            out.append(f"COMMENT ON CONSTRAINT {pk.name}")',
        "            pass",
        "tests/test_init_exact7.py::test_a_change_after_init_fails -k 'comment and added'",
    ),
    Protection(
        "function-cost-rows-compared",
        "schema_audit/kinds/function.py",
        "        if prop in props and float(props[prop]) != value:",
        "        if False:",
        "tests/test_init_exact7.py::test_a_change_after_init_fails -k 'changed or reset'",
    ),
    Protection(
        "strict-functions-holds-unstated-cost-rows",
        "schema_audit/kinds/strict_functions.py",
        "                    if k not in other.props",
        "                    if False",
        "tests/test_init_exact7.py::test_a_change_after_init_fails -k 'function and set'",
    ),
    Protection(
        "static-reads-cost-rows",
        "schema_audit/sources/ddl/routines.py",
        "        setattr(fn, opt.defname, str(estimate))",
        "        pass",
        "tests/test_init_exact7.py::test_init_then_audit_of_the_same_database_passes",
    ),
]


def check(protection: Protection) -> bool:
    path = ROOT / protection.file
    original = path.read_text()
    if original.count(protection.code) != 1:
        raise SystemExit(f"{protection.name}: the protected code is not found once in {path}")
    try:
        path.write_text(original.replace(protection.code, protection.removed))
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider"]
            + protection.tests.split(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
    finally:
        path.write_text(original)
    return proc.returncode != 0


def main(names: list[str]) -> int:
    chosen = [p for p in PROTECTIONS if not names or p.name in names]
    missed = 0
    for protection in chosen:
        caught = check(protection)
        missed += not caught
        print(
            f"{'CAUGHT' if caught else 'MISSED'} {protection.name} ({protection.tests})", flush=True
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
