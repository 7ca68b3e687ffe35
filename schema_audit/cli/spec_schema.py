"""``schema-audit spec-schema``: the JSON Schema of the spec format, for editors."""

from __future__ import annotations

import sys


def spec_schema() -> None:
    """Print the JSON Schema of the spec format (for editors: yaml-language-server).

    Example: schema-audit spec-schema > specs/spec.schema.json, then start the spec with
    the line  # yaml-language-server: $schema=./spec.schema.json
    """
    import json

    from schema_audit.spec.schema import SPEC_SCHEMA

    sys.stdout.write(json.dumps(SPEC_SCHEMA, indent=2) + "\n")
