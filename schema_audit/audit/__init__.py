"""The audit's own machinery: judging requirements, findings, waivers, baselines, the result.

``schema_audit.audit`` is also what ``from schema_audit import audit`` finds once
this package has been imported (Python binds a subpackage to its name in the parent
package), so the package is callable and a call is :func:`schema_audit.api.audit`.
"""

from __future__ import annotations

import sys
import types
from typing import Any


class _CallablePackage(types.ModuleType):
    """This package, callable as the API's ``audit()``."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from schema_audit.api import audit

        return audit(*args, **kwargs)


sys.modules[__name__].__class__ = _CallablePackage
