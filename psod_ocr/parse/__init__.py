"""Text -> ``Screen``: the section parser for every ESX generation and for log text.

Imports nothing from the image side, so log collectors can use it alone.
"""

from .screen import ParseResult, parse_text

__all__ = ["ParseResult", "parse_text"]
