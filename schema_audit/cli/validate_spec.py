"""``schema-audit validate-spec``: check a spec without auditing anything.

parse -> ``api.load_spec`` -> the effective spec (``--explain``) and one summary line ->
exit 2 on any problem, each with file:line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from schema_audit.cli.common import fail, stdout, variables
from schema_audit.cli.options import SpecAllowOpt, VarOpt


def validate_spec(
    spec: Annotated[Path, typer.Argument(help="Spec YAML to check.")],
    var: VarOpt = None,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="Print the effective spec (after extends:, merge keys and variables): every "
            "requirement with the file:line it came from.",
        ),
    ] = False,
    spec_allow: SpecAllowOpt = None,
) -> None:
    """Check a spec for typos and unknown keys without auditing anything.

    Example: schema-audit validate-spec specs/schema.yaml
    """
    from schema_audit import api
    from schema_audit.spec.load import SpecError

    try:
        loaded = api.load_spec(spec, variables(var), allowed_roots=spec_allow or ())
    except SpecError as exc:
        fail(exc.problems)
    if explain:
        from schema_audit.spec.explain import explain as explain_spec

        stdout(explain_spec(loaded))
    typer.echo(
        f"{spec}: OK ({len(loaded.requirements)} requirements, {len(loaded.questions)} questions)"
    )
