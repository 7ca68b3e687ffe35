"""Stand-ins for a module's heavy imports until the first use: keeps pglast off the live path.

``sqlnorm`` and ``policysem`` name pglast's node classes in nearly every function, so they
imported pglast (the parser, its ~300 node classes and enums: ~0.1 CPU s with the first
parse) at start-up. A live audit whose texts are equal as written never parses SQL, and a
live ``inspect`` never calls them at all. :func:`defer` puts a stand-in under each name in the
module's globals; touching one (an attribute such as ``ast.SelectStmt``, or a call) runs the
module's own import function, which rebinds every name to the real object. From then on the
module's functions find the real objects in their globals, at no extra cost per use.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Deferred:
    """One name of a module's globals that is not imported yet."""

    __slots__ = ("_bind", "_name", "_namespace")

    def __init__(self, namespace: dict[str, Any], name: str, bind: Callable[[], None]) -> None:
        self._namespace = namespace
        self._name = name
        self._bind = bind

    def _real(self) -> Any:
        self._bind()
        real = self._namespace[self._name]
        if isinstance(real, Deferred):  # the import function forgot this name: never loop
            raise ImportError(f"{self._name} is still deferred after its import ran")
        return real

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._real(), attr)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._real()(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<deferred {self._name}>"


def defer(namespace: dict[str, Any], bind: Callable[[], None], names: str) -> None:
    """Put a stand-in under each of ``names`` (space-separated) until ``bind`` imports them.

    ``bind`` must assign every name in ``namespace`` (``global`` + ``from … import …``).
    """
    for name in names.split():
        namespace[name] = Deferred(namespace, name, bind)
