"""Ten digits drawn as strokes, for readers without a mouse, the tests and the measurements of notebook 12.

Each sketch is what `DrawCanvas` sends: a list of strokes, each a list of [x, y] points in [0, 1]
(x to the right, y down). They are written as simple curves (circles, arcs, straight lines), the way
a quick hand draws a digit, not taken from MNIST.

    DrawCanvas(strokes=SKETCHES[4])     # a drawn 4 to start from
    strokes_to_digit(SKETCHES[4])       # as the players see it, (1, 28, 28)
"""

from __future__ import annotations

import math


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 16) -> list:
    """Points on an ellipse from angle `start` to `end` (degrees; 0 = right, 90 = down)."""
    return [
        [cx + rx * math.cos(math.radians(a)), cy + ry * math.sin(math.radians(a))]
        for a in (start + (end - start) * i / (n - 1) for i in range(n))
    ]


def _figure_eight(n: int = 40) -> list:
    t = [2 * math.pi * i / (n - 1) for i in range(n)]
    return [[0.5 + 0.17 * math.sin(2 * a), 0.5 - 0.34 * math.cos(a)] for a in t]


def _rounded(strokes: list) -> list:
    return [[[round(x, 3), round(y, 3)] for x, y in stroke] for stroke in strokes]


#: digit -> strokes, each a list of [x, y] points in [0, 1].
SKETCHES: dict[int, list[list[list[float]]]] = {
    digit: _rounded(strokes)
    for digit, strokes in {
        0: [_arc(0.5, 0.5, 0.2, 0.33, -90, 270, 32)],
        1: [[[0.42, 0.28], [0.55, 0.15], [0.55, 0.85]]],
        2: [_arc(0.5, 0.33, 0.19, 0.17, 200, 380) + [[0.3, 0.83], [0.73, 0.83]]],
        3: [_arc(0.48, 0.32, 0.18, 0.16, 200, 450), _arc(0.48, 0.66, 0.2, 0.18, -90, 150)],
        4: [[[0.6, 0.15], [0.28, 0.6], [0.76, 0.6]], [[0.6, 0.36], [0.6, 0.88]]],
        5: [[[0.7, 0.17], [0.36, 0.17], [0.33, 0.46]] + _arc(0.5, 0.63, 0.2, 0.2, 230, 500)],
        6: [[[0.63, 0.15], [0.45, 0.35]] + _arc(0.5, 0.66, 0.19, 0.2, 200, 560)],
        7: [[[0.27, 0.2], [0.73, 0.2], [0.42, 0.86]]],
        8: [_figure_eight()],
        9: [_arc(0.5, 0.35, 0.18, 0.18, 0, 360, 24), [[0.68, 0.35], [0.62, 0.86]]],
    }.items()
}
