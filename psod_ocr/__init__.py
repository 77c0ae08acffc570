"""psod-ocr: VMware ESX/ESXi purple diagnostic screens, from pictures or text, to reports."""

from .pipeline import read_text
from .report import Report

__version__ = "0.1.0"
__all__ = ["Report", "__version__", "read_text"]
