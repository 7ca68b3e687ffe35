"""``python -m schema_audit.cli``: the same entry point as the ``schema-audit`` script."""

from schema_audit.cli.entry import main

main()
