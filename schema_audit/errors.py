"""One family of errors for everything the library can refuse to do.

Library code raises these with the problem stated in its own terms (a file and
line, an object, a server), never in terms of a command-line flag; the CLI
catches :class:`SchemaAuditError`, phrases each ``problems`` line for the user
and exits 2. Callers of the Python API catch the same class.
"""

from __future__ import annotations


class SchemaAuditError(Exception):
    """The audit could not run; ``problems`` holds one line per problem, password-free."""

    def __init__(self, *problems: str) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class UsageError(SchemaAuditError):
    """The request itself is inconsistent (two sources, an unknown rule group, …)."""


class BaselineError(SchemaAuditError):
    """A baseline file that cannot be read as one."""


class SourceChoiceError(UsageError):
    """Not exactly one source named; ``given`` lists the parameters that were (dsn, migrations, sql)."""

    def __init__(self, given: list[str]) -> None:
        super().__init__(
            "name exactly one source: a database (dsn), an Alembic project (migrations) or "
            "SQL (sql)" + (f"; got {', '.join(given)}" if given else "")
        )
        self.given = given


class ReplayTargetError(UsageError):
    """A replay was asked of a live database: replays only ever write to a scratch database."""

    def __init__(self) -> None:
        super().__init__(
            "a replay runs probes only on a scratch database it creates; it never writes to the "
            "database being audited: name a history (migrations or sql) instead of a dsn"
        )


class ReplayHistoryError(UsageError):
    """A replay needs exactly one history to replay."""

    def __init__(self) -> None:
        super().__init__("a replay needs exactly one history: migrations or sql")
