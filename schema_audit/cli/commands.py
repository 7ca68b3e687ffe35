"""The ``schema-audit`` Typer app: global options, configuration, and the command table.

Each command lives in its own module, ``schema_audit/cli/<name>.py``, as a function of the
same name; :data:`COMMANDS` lists them in the order ``--help`` shows. A command's module
is imported only when that command runs or its help is asked for (``--help`` of the whole
tool loads them all for their one-line summaries), so no command pays for another's
imports.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, MutableMapping
from typing import Annotated, Any

import typer
import typer.core
import typer.main

from schema_audit.cli import coerce
from schema_audit.cli.version import version_line

#: Command name -> module under schema_audit/cli/ (the function has the module's name).
COMMANDS: dict[str, str] = {
    "audit": "audit",
    "merge": "merge",
    "inspect": "inspect",
    "validate-spec": "validate_spec",
    "spec-schema": "spec_schema",
    "config": "config",
    "init": "init",
    "lint-migrations": "lint_migrations",
    "diff": "diff",
}


def load_command(name: str) -> Any:
    """Import one command's module and build its Click command (option values named)."""
    module_name = COMMANDS[name]
    function = getattr(importlib.import_module(f"schema_audit.cli.{module_name}"), module_name)
    single = typer.Typer(rich_markup_mode=None, add_completion=False)
    single.command(name, cls=Command)(function)
    command = typer.main.get_command(single)
    name_option_values(command)
    return command


class Command(typer.core.TyperCommand):
    """A Typer command whose option values are converted without pydantic where plain (``coerce``)
    and whose option values and arguments may not be empty."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        coerce.install(self.get_params(ctx))
        empty = [] if ctx.resilient_parsing else empty_values(self, ctx, args)  # completion
        if empty:
            from schema_audit.cli.common import fail

            name, option = empty[0]
            fail(
                [
                    f"{name}: empty value; "
                    + ("give one or leave the option out" if option else "give one")
                ]
            )
        return super().parse_args(ctx, args)


def empty_values(command: Any, ctx: Any, args: list[str]) -> list[tuple[str, bool]]:
    """The options and arguments given an empty string on the command line (``--schema ''``),
    each as (its name, whether it is an option).

    No option of this tool has a meaning for an empty value: typer would turn ``--output-dir
    ''`` into the current directory, ``--schema ''`` into a schema named nothing and
    ``--search-path ''`` into no option at all, each silently. Empty environment variables
    are unset as far as Click is concerned and never reach here. Arguments Click cannot
    parse are left to its own parse, which reports them.
    """
    try:
        opts, _, _ = command.make_parser(ctx).parse_args(args=list(args))
    except Exception:  # a usage error: the real parse says it in Click's words
        return []
    out = []
    for param in command.get_params(ctx):
        value = opts.get(param.name)
        values = value if isinstance(value, (list, tuple)) else (value,)
        if any(v == "" for v in values):
            long = [o for o in getattr(param, "opts", None) or [] if o.startswith("--")]
            is_option = getattr(param, "param_type_name", "") == "option"
            out.append((long[0], True) if is_option and long else (str(param.name).upper(), False))
    return out


class _Commands(MutableMapping[str, Any]):
    """The group's commands by name: every name known at once, each built on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}
        self._names = list(COMMANDS)

    def __getitem__(self, name: str) -> Any:
        if name not in self._built:
            if name not in COMMANDS:
                raise KeyError(name)
            self._built[name] = load_command(name)
        return self._built[name]

    def __setitem__(self, name: str, command: Any) -> None:
        if name not in self._names:
            self._names.append(name)
        self._built[name] = command

    def __delitem__(self, name: str) -> None:
        self._names.remove(name)
        self._built.pop(name, None)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._names))

    def __len__(self) -> int:
        return len(self._names)


class LazyGroup(typer.core.TyperGroup):
    """A Typer group whose commands are imported when used, not when the tool starts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commands = _Commands()
        for name, command in dict(self.commands).items():
            commands[name] = command
        self.commands = commands

    def list_commands(self, ctx: Any) -> list[str]:
        return list(self.commands)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # here, not in __init__: typer appends its completion options after building the group
        coerce.install(self.get_params(ctx))
        return super().parse_args(ctx, args)


app = typer.Typer(
    name="schema-audit",
    help="Audit a PostgreSQL schema against a written specification and report PASS/FAIL with evidence.",
    cls=LazyGroup,
    no_args_is_help=True,
    add_completion=True,
    pretty_exceptions_enable=False,
    # Plain Click help: typer's rich panels print a `<bool>` metavar after every flag and
    # import rich for a --help that should answer at once.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(version_line())
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Audit a PostgreSQL schema against a spec.

    Defaults for the options can live in schema-audit.toml or [tool.schema-audit] in pyproject.toml
    (current directory); the command line wins. `schema-audit config` shows what applies.
    """
    from schema_audit.cli.common import fail
    from schema_audit.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        fail([str(exc)])
    ctx.default_map = {**(ctx.default_map or {}), **config.default_map()}
    ctx.obj = config


def name_option_values(command: Any) -> None:
    """Name each option's value after what it holds (``--dsn DSN``, ``--spec PATH``, ``--lock-timeout N``).

    Typer shows the Python annotation instead (``<str>``, ``<list[str]>``), which tells a user
    nothing about what to type; choices keep their ``[a|b]`` list and flags take no value.
    """
    for param in command.params:
        if getattr(param, "is_flag", False) or param.metavar is not None:
            continue
        bare = param.bare_type() if hasattr(param, "bare_type") else ""
        if "Path" in bare:
            param.metavar = "PATH"
        elif bare in ("int", "list[int]"):
            param.metavar = "N"
        elif bare in ("str", "list[str]"):
            longest = max(param.opts, key=len).lstrip("-")
            param.metavar = "NAME=VALUE" if longest == "var" else longest.upper().replace("-", "_")
