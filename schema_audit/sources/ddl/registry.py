"""Which function interprets which statement: one handler per pglast node type.

A family module registers its handlers with ``@handles(ast.CreateStmt)``; the interpreter
looks the node's exact type up here (pglast node classes have no subclasses). A statement
type nobody registered is recorded as not interpreted, never dropped (see
``DdlInterpreter._apply``). The families with sub-dispatch (ALTER TABLE subcommands,
RENAME and DROP object types) build their own tables with :func:`registrar`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from pglast import ast

    from schema_audit.sources.ddl.interpreter import DdlInterpreter

# (interpreter, statement node) -> None; raises ApplyError for what PostgreSQL would refuse
Handler = Callable[["DdlInterpreter", Any], None]
HANDLERS: dict[type[ast.Node], Handler] = {}

F = TypeVar("F", bound=Callable[..., None])


def registrar(table: dict[Any, Any]) -> Callable[..., Callable[[F], F]]:
    """A decorator factory filling ``table``: ``@on(key, …)`` maps each key to the function.

    A key registered twice is a programming error (two functions claiming one statement
    or subcommand), caught when the package is imported.
    """

    def on(*keys: Hashable) -> Callable[[F], F]:
        def register(function: F) -> F:
            for key in keys:
                if key in table:
                    raise RuntimeError(
                        f"{getattr(key, '__name__', key)} is registered twice: "
                        f"{table[key].__qualname__} and {function.__qualname__}"
                    )
                table[key] = function
            return function

        return register

    return on


handles = registrar(HANDLERS)
"""``@handles(ast.SomeStmt, …)``: the decorated function interprets statements of these types."""


def handler_for(node: ast.Node) -> Handler | None:
    """The registered handler of ``node``'s type, or None (not interpreted)."""
    return HANDLERS.get(type(node))
