"""``preo-tui doctor``: check a Preo server against the client's operation registry.

No Textual here (the app's doctor screen in ``preo_tui/ui/doctor/`` renders the same report):
``checks`` runs the operations, ``fields`` compares answers with the models, ``suggest``
finds neighbour paths for missing operations, ``report`` counts and renders the result.
"""

from __future__ import annotations

from .checks import Doctor, WriteRefused, run_doctor
from .report import Finding, OperationResult, Report, render
from .writes import UNROUTABLE_URL

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
