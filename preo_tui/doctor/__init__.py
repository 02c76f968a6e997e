"""``preo-tui doctor``: check a Preo server against the client's operation registry.

No Textual here (the app's doctor screen in ``preo_tui/ui/doctor/`` renders the same report):
``checks`` runs the operations, ``fields`` compares answers with the models, ``suggest``
finds neighbour paths for missing operations, ``report`` counts and renders the result.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .checks import Doctor, WriteRefused, run_doctor
    from .report import Finding, OperationResult, Report, render
    from .writes import UNROUTABLE_URL

#: Imported on first use: ``preo-tui``'s parser imports ``preo_tui.doctor.cli`` on every start
#: and must not pay for the API client's models.
_LAZY = {
    "Doctor": "checks",
    "WriteRefused": "checks",
    "run_doctor": "checks",
    "Finding": "report",
    "OperationResult": "report",
    "Report": "report",
    "render": "report",
    "UNROUTABLE_URL": "writes",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(name)
    return getattr(import_module(f"{__name__}.{module}"), name)


__all__ = [
    "UNROUTABLE_URL",
    "Doctor",
    "Finding",
    "OperationResult",
    "Report",
    "WriteRefused",
    "render",
    "run_doctor",
]
