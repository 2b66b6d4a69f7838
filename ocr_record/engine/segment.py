"""Cutting an ink map into glyphs, one letter each, in reading order.

Connected components are the starting point. Components are then grouped and
filtered so that each group is one letter:

- specks (tiny components far from any letter) are dropped;
- a component stacked above or below another with most of its width inside the
  other's (the dot of ``i``/``j``, a glyph broken by a faint stroke) joins it;
- a group much wider than a letter can be (touching glyphs) is cut later by the
  recogniser, which tries the ink valleys here and keeps the cut the classifier
  is surer about (see ``split_candidates``).
"""

import logging
from dataclasses import dataclass

import numpy as np
from scipy import ndimage

logger = logging.getLogger(__name__)

# A component smaller than this fraction of the largest one is a speck unless it
# is stacked on a letter (the dot of i/j is about 3-6 % of a letter's area).
SPECK_AREA: float = 0.012
DOT_AREA: float = 0.25
# Share of the narrower width two stacked components must share to be one glyph.
STACK_OVERLAP: float = 0.5
# Largest gap between a dot and its stem, as a share of the stem's height.
DOT_GAP: float = 0.45
# Components shorter than this fraction of the line height and not stacked on a
# letter are noise (a letter is never that small next to its neighbours).
MIN_HEIGHT: float = 0.22
# Ink covering this share of its box, in a box less than BLOCK_ASPECT times taller than
# wide, is a solid patch rather than a letter.
BLOCK_FILL: float = 0.9
EDGE_BLOCK_FILL: float = 0.7
BLOCK_ASPECT: float = 2.5
EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


@dataclass
class Glyph:
    """One letter candidate: bounding box (x0, y0, x1, y1 exclusive) and its own ink."""

    x0: int
    y0: int
    x1: int
    y1: int
    mask: np.ndarray  # bool, shape (y1 - y0, x1 - x0): pixels of this glyph only

    @property
    def width(self) -> int:
        return self.x1 - self.x0

    @property
    def height(self) -> int:
        return self.y1 - self.y0


def merge(a: Glyph, b: Glyph) -> Glyph:
    x0, y0 = min(a.x0, b.x0), min(a.y0, b.y0)
    x1, y1 = max(a.x1, b.x1), max(a.y1, b.y1)
    mask = np.zeros((y1 - y0, x1 - x0), dtype=bool)
    for g in (a, b):
        mask[g.y0 - y0 : g.y1 - y0, g.x0 - x0 : g.x1 - x0] |= g.mask
    return Glyph(x0, y0, x1, y1, mask)


def _x_overlap(a: Glyph, b: Glyph) -> float:
    shared = min(a.x1, b.x1) - max(a.x0, b.x0)
    return shared / max(1, min(a.width, b.width))


def _y_overlap(a: Glyph, b: Glyph) -> float:
    shared = min(a.y1, b.y1) - max(a.y0, b.y0)
    return shared / max(1, min(a.height, b.height))


def components(mask: np.ndarray) -> list[Glyph]:
    labels, _count = ndimage.label(mask, structure=EIGHT_CONNECTED)
    glyphs = []
    for index, box in enumerate(ndimage.find_objects(labels), start=1):
        if box is None:
            continue
        ys, xs = box
        glyphs.append(Glyph(xs.start, ys.start, xs.stop, ys.stop, labels[box] == index))
    return glyphs


def _joins(part: Glyph, host: Glyph) -> bool:
    """Whether ``part`` belongs to the (larger) ``host``: an i/j dot or a broken-off piece."""
    centre = (part.x0 + part.x1) / 2
    if not host.x0 - 1 <= centre <= host.x1 + 1:
        return False
    if _y_overlap(part, host) > 0.2:
        # Side by side with the host: only a sliver inside its box is part of it.
        return _x_overlap(part, host) >= 0.9 and part.mask.sum() < DOT_AREA * host.mask.sum()
    gap = max(host.y0 - part.y1, part.y0 - host.y1, 0)
    # A dot sits close above its stem; a speck far away is not a dot.
    return _x_overlap(part, host) >= STACK_OVERLAP and gap <= DOT_GAP * host.height


def _is_block(glyph: Glyph, shape: tuple[int, int]) -> bool:
    """A solid patch (a box, a shaded area), not a letter: only l and I are that solid,
    and they are tall and thin. Shading that runs into the image's edges is let off
    with a lower fill (bold or blurred letters are fuller than clean ones)."""
    if glyph.height >= BLOCK_ASPECT * glyph.width:
        return False
    fill = glyph.mask.sum() / max(1, glyph.width * glyph.height)
    edges = (glyph.x0 == 0) + (glyph.y0 == 0) + (glyph.x1 == shape[1]) + (glyph.y1 == shape[0])
    return bool(fill >= BLOCK_FILL or (fill >= EDGE_BLOCK_FILL and edges >= 2))


def segment(mask: np.ndarray) -> list[Glyph]:
    """Glyphs of ``mask`` from left to right (an empty list when there is no letter)."""
    parts = components(mask)
    if not parts:
        return []
    areas = np.array([p.mask.sum() for p in parts], dtype=np.float64)
    biggest = float(areas.max())
    keep = [p for p, a in zip(parts, areas, strict=True) if a >= SPECK_AREA * biggest]
    keep.sort(key=lambda g: g.mask.sum(), reverse=True)
    # Largest first: every smaller piece is offered to the letters already accepted.
    glyphs: list[Glyph] = []
    line_height = max(p.height for p in keep)
    for part in keep:
        host = None
        for index, glyph in enumerate(glyphs):
            if _joins(part, glyph):
                host = index
                break
        if host is not None:
            glyphs[host] = merge(glyphs[host], part)
        elif part.height >= MIN_HEIGHT * line_height:
            glyphs.append(part)
    glyphs = [g for g in glyphs if not _is_block(g, mask.shape)]
    if not glyphs:
        return []
    glyphs = [g for g in glyphs if g.height >= 0.3 * max(x.height for x in glyphs)]
    glyphs.sort(key=lambda g: (g.x0 + g.x1) / 2)
    return glyphs


def split_candidates(glyph: Glyph, *, max_cuts: int = 3) -> list[int]:
    """Columns (inside the glyph) where touching letters most likely meet."""
    if glyph.width < 6:
        return []
    profile = glyph.mask.sum(axis=0).astype(np.float64)
    low, high = int(glyph.width * 0.2), int(glyph.width * 0.8)
    if high - low < 2:
        return []
    window = profile[low:high]
    order = np.argsort(window, kind="stable")
    cuts: list[int] = []
    for offset in order:
        column = low + int(offset)
        if all(abs(column - c) > glyph.width * 0.1 for c in cuts):
            cuts.append(column)
        if len(cuts) == max_cuts:
            break
    return cuts


def cut(glyph: Glyph, column: int) -> tuple[Glyph, Glyph] | None:
    """Split ``glyph`` at ``column``; None when one side has no ink."""
    left_mask, right_mask = glyph.mask[:, :column], glyph.mask[:, column:]
    halves = []
    for sub, x0 in ((left_mask, glyph.x0), (right_mask, glyph.x0 + column)):
        rows = np.flatnonzero(sub.any(axis=1))
        cols = np.flatnonzero(sub.any(axis=0))
        if rows.size == 0:
            return None
        top, bottom = int(rows[0]), int(rows[-1]) + 1
        first, last = int(cols[0]), int(cols[-1]) + 1
        halves.append(
            Glyph(
                x0 + first,
                glyph.y0 + top,
                x0 + last,
                glyph.y0 + bottom,
                sub[top:bottom, first:last],
            )
        )
    return halves[0], halves[1]
