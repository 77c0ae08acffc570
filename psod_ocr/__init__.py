"""psod-ocr: VMware ESX/ESXi purple diagnostic screens, from pictures or text, to reports.

``read_text`` and ``Report`` are imported on first use: the ``psod-ocr`` command imports this
package before anything else and must be able to handle Ctrl-C before the heavy imports start.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .pipeline import read_text
    from .report import Report

__version__ = "0.1.0"
__all__ = ["Report", "__version__", "read_text"]


def __getattr__(name: str) -> Any:
    if name == "read_text":
        from .pipeline import read_text

        return read_text
    if name == "Report":
        from .report import Report

        return Report
    raise AttributeError(f"module 'psod_ocr' has no attribute {name!r}")
