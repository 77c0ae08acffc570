"""Where a photographed monitor lands in the picture: a pinhole camera looking at a tilted plane.

Modelling the pose in 3-D (yaw, pitch, roll, focal length) rather than jittering four corners
gives the keystone and foreshortening real phone photos show, and one homography then maps panel
pixels to photo pixels for the screen, the bezel and the ground-truth quad alike.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["MonitorPose", "Placement", "place_monitor", "warp_points"]


@dataclass(frozen=True)
class MonitorPose:
    """Monitor orientation relative to the camera, in degrees, and the lens field of view.

    `fill` is the wanted width of the framebuffer quad as a fraction of the image width;
    `shift` moves the monitor within the free margin (-1..1 per axis).
    """

    yaw: float
    pitch: float
    roll: float
    hfov: float
    fill: float
    shift: tuple[float, float]


@dataclass(frozen=True, eq=False)  # holds arrays: compare by identity
class Placement:
    """Homography from panel pixel coordinates (edge convention) to image coordinates."""

    homography: np.ndarray
    panel_quad: np.ndarray
    bezel_quad: np.ndarray


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[np.cos(y), 0, np.sin(y)], [0, 1, 0], [-np.sin(y), 0, np.cos(y)]])
    rx = np.array([[1, 0, 0], [0, np.cos(p), -np.sin(p)], [0, np.sin(p), np.cos(p)]])
    rz = np.array([[np.cos(r), -np.sin(r), 0], [np.sin(r), np.cos(r), 0], [0, 0, 1]])
    return rz @ rx @ ry


def warp_points(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Apply a 3x3 homography to an (N, 2) array of points."""
    pts = np.asarray(points, dtype=np.float64).reshape(-1, 1, 2)
    return cv2.perspectiveTransform(pts, homography).reshape(-1, 2)


def place_monitor(
    image_size: tuple[int, int],
    panel_size: tuple[int, int],
    fb_rect: tuple[float, float, float, float],
    bezel: tuple[float, float, float, float],
    pose: MonitorPose,
    margin: float = 0.02,
) -> Placement:
    """Project the panel into an image of `image_size` (w, h) so the framebuffer rectangle
    `fb_rect` (x0, y0, x1, y1 in panel pixels) spans about `pose.fill` of the width and stays
    inside the image. `bezel` is (left, top, right, bottom) in panel pixels.
    """
    width, height = image_size
    panel_w, panel_h = panel_size
    focal = width / (2 * np.tan(np.radians(pose.hfov) / 2))
    # Distance so that the panel roughly fills the wanted width when seen square-on.
    fb_w = fb_rect[2] - fb_rect[0]
    distance = focal * fb_w / (pose.fill * width)
    rotation = _rotation(pose.yaw, pose.pitch, pose.roll)

    def project(uv: np.ndarray) -> np.ndarray:
        plane = np.column_stack([uv[:, 0] - panel_w / 2, uv[:, 1] - panel_h / 2,
                                 np.zeros(len(uv))])
        cam = plane @ rotation.T + [0.0, 0.0, distance]
        return focal * cam[:, :2] / cam[:, 2:3]

    x0, y0, x1, y1 = fb_rect
    fb_uv = np.array([[x0, y0], [x1, y0], [x1, y1], [x0, y1]], dtype=np.float64)
    panel_uv = np.array([[0, 0], [panel_w, 0], [panel_w, panel_h], [0, panel_h]], dtype=float)
    bl, bt, br, bb = bezel
    bezel_uv = panel_uv + np.array([[-bl, -bt], [br, -bt], [br, bb], [-bl, bb]])
    fb_img = project(fb_uv)
    # Scale to the wanted fill (equivalent to a focal-length change), then fit and shift.
    span = fb_img[:, 0].max() - fb_img[:, 0].min()
    scale = pose.fill * width / span
    lo, hi = fb_img.min(axis=0) * scale, fb_img.max(axis=0) * scale
    room = np.array([width, height]) * (1 - 2 * margin) - (hi - lo)
    if (room < 0).any():
        shrink = float(np.min(np.array([width, height]) * (1 - 2 * margin) / (hi - lo)))
        scale *= shrink
        lo, hi = lo * shrink, hi * shrink
        room = np.maximum(np.array([width, height]) * (1 - 2 * margin) - (hi - lo), 0)
    centre_offset = np.array([width, height]) * margin + room * (np.array(pose.shift) + 1) / 2
    translate = centre_offset - lo

    def to_image(uv: np.ndarray) -> np.ndarray:
        return project(uv) * scale + translate

    homography = cv2.getPerspectiveTransform(
        panel_uv.astype(np.float32), to_image(panel_uv).astype(np.float32)
    )
    return Placement(
        homography=homography.astype(np.float64),
        panel_quad=to_image(panel_uv),
        bezel_quad=to_image(bezel_uv),
    )
