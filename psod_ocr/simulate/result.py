"""The result type shared by the capture simulators."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np

from .encode import decode_image

__all__ = ["Capture", "CaptureKind", "plain"]

CaptureKind = Literal["kvm_screenshot", "phone_photo"]


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class Capture:
    """A simulated capture as a user would upload it, plus the ground truth to score a reader.

    `quad` holds the framebuffer's corners (4x2, x then y, clockwise from top-left) in the
    displayed image, i.e. after EXIF orientation, in pixel-edge coordinates: an unscaled
    1024x768 screenshot has corners (0, 0), (1024, 0), (1024, 768), (0, 768). A cropped
    screenshot may have corners outside the image. `params` records every random choice, so a
    failure can be reproduced and explained.
    """

    image_bytes: bytes
    format: str
    kind: CaptureKind
    quad: np.ndarray
    params: dict[str, Any]

    @cached_property
    def rgb(self) -> np.ndarray:
        """`image_bytes` decoded as a correct loader would (EXIF orientation applied), RGB uint8.

        Decoded on first use: a 12 MP JPEG takes a noticeable fraction of the simulation time.
        """
        return decode_image(self.image_bytes)

    @property
    def size(self) -> tuple[int, int]:
        """Displayed (width, height)."""
        return int(self.rgb.shape[1]), int(self.rgb.shape[0])


def plain(value: Any) -> Any:
    """Recursively turn numpy scalars/arrays and tuples into JSON-friendly Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value
