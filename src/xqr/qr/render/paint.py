"""Gradients over the symbol: their geometry (shared by SVG, PNG and PDF) and colour ramps."""

from __future__ import annotations

import functools
import math

from xqr.qr.render.design import Gradient, hex_to_rgb


def gradient_stops(gradient: Gradient) -> tuple[tuple[float, str], ...]:
    """(offset 0–1, colour) of each stop, evenly spaced."""
    last = len(gradient.colors) - 1
    return tuple((index / last, colour) for index, colour in enumerate(gradient.colors))


def linear_ends(
    gradient: Gradient, x: float, y: float, side: float
) -> tuple[float, float, float, float]:
    """Start and end points of a linear gradient over the square (x, y, side): along its angle
    (0° left to right, 90° top to bottom), from the first corner it meets to the last."""
    angle = math.radians(gradient.angle)
    dx, dy = math.cos(angle), math.sin(angle)
    reach = side / 2 * (abs(dx) + abs(dy))
    cx, cy = x + side / 2, y + side / 2
    return cx - dx * reach, cy - dy * reach, cx + dx * reach, cy + dy * reach


def radial_extent(x: float, y: float, side: float) -> tuple[float, float, float]:
    """Centre and radius of a radial gradient over the square: it reaches the corners."""
    return x + side / 2, y + side / 2, side / math.sqrt(2)


@functools.lru_cache(maxsize=64)
def ramp(colors: tuple[str, ...]) -> tuple[list[int], list[int], list[int]]:
    """Per-channel lookup tables mapping 0–255 along a gradient to its colour."""
    stops = [hex_to_rgb(colour) for colour in colors]
    segments = len(stops) - 1
    channels: tuple[list[int], list[int], list[int]] = ([], [], [])
    for level in range(256):
        position = level / 255 * segments
        index = min(int(position), segments - 1)
        t = position - index
        start, end = stops[index], stops[index + 1]
        for channel in range(3):
            channels[channel].append(round(start[channel] + (end[channel] - start[channel]) * t))
    return channels
