"""Sources: everything that yields a SchemaModel (live catalog, migrations, dumps, replay)."""
