"""A materialized view: like a view (columns, tables it reads), and its own indexes.

```yaml
materialized_views:
  daily_revenue:
    depends_on: [invoices]
    indexes:
      - {columns: [day], unique: true}
```

A plain view of that name does not satisfy it (nor the reverse): the finding says
which one exists.
"""

from __future__ import annotations

from schema_audit.kinds import requirement_kind
from schema_audit.kinds.view import SCHEMA, check_view, facets, recommend

requirement_kind(
    id="materialized_view",
    name="Materialized view",
    title="Materialized views",
    group="objects",
    hint="create the materialized view",
    spec="materialized_views.<view>",
    schema=SCHEMA,
    recommend=recommend,
    facets=facets,
    facets_on_table=True,
)(check_view)
