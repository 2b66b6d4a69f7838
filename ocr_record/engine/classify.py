"""A small glyph classifier of our own, shipped with the repo (``data/glyphs.npz``).

It is a one-hidden-layer perceptron over a size-normalised picture of one glyph,
trained by ``python -m bench.train_classifier`` on letters rendered only in the
DejaVu and Noto fonts (with blur, noise, rotation, JPEG and speck augmentation),
pushed through the same ``ink_map``/``segment`` steps the engine uses. Besides the
52 letters it knows a ``JUNK`` class (two letters glued together, blobs, specks),
which tells the recogniser when a piece should be cut or merged.

The glyph is scaled to fit a square, so a letter's size is lost on purpose: ``c``
and ``C`` look the same here and case is decided later from the line's geometry.
Inference is two matrix products in numpy: well under a millisecond per glyph.
"""

import logging
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image

from ocr_record.engine.errors import EngineUnavailable

logger = logging.getLogger(__name__)

LETTERS: str = string.ascii_letters
JUNK: str = "#"
CLASSES: str = LETTERS + JUNK
# Side of the square picture the classifier sees, and of the stretched thumbnail.
SQUARE: int = 20
THUMB: int = 10
FEATURES: int = SQUARE * SQUARE + THUMB * THUMB + 2
MODEL_PATH: Path = Path(__file__).with_name("data") / "glyphs.npz"


def _resize(values: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    image = Image.fromarray(values.astype(np.float32), mode="F")
    # BOX averages every source pixel: thin strokes survive strong downscaling.
    resample = Image.Resampling.BOX if values.shape[1] > size[0] else Image.Resampling.BILINEAR
    return np.asarray(image.resize(size, resample), dtype=np.float32)


def features(ink: np.ndarray) -> np.ndarray:
    """Feature vector of one glyph given its ink crop (0..1, background 0)."""
    height, width = ink.shape
    side = max(height, width)
    square = np.zeros((side, side), dtype=np.float32)
    top, left = (side - height) // 2, (side - width) // 2
    square[top : top + height, left : left + width] = ink
    pictured = _resize(square, (SQUARE, SQUARE))
    thumb = _resize(ink, (THUMB, THUMB))
    peak = max(float(pictured.max()), 1e-6)
    aspect = np.log(height / width) if width else 0.0
    return np.concatenate(
        [
            (pictured / peak).ravel(),
            (thumb / max(float(thumb.max()), 1e-6)).ravel(),
            [aspect, float(ink.mean())],
        ]
    ).astype(np.float32)


def glyph_ink(ink: np.ndarray, glyph) -> np.ndarray:
    """The glyph's own ink: its bounding box, keeping only pixels near its mask."""
    crop = ink[glyph.y0 : glyph.y1, glyph.x0 : glyph.x1]
    # One pixel of slack keeps the anti-aliased edge that the threshold cut off
    # (a 3x3 dilation done with slices: scipy's is ten times slower on tiny arrays).
    padded = np.pad(glyph.mask, 1)
    near = np.zeros_like(glyph.mask)
    height, width = glyph.mask.shape
    for dy in range(3):
        for dx in range(3):
            near |= padded[dy : dy + height, dx : dx + width]
    return np.where(near, crop, 0.0).astype(np.float32)


@dataclass(frozen=True)
class Model:
    mean: np.ndarray
    scale: np.ndarray
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def probabilities(self, rows: np.ndarray) -> np.ndarray:
        """Class probabilities (columns in ``CLASSES`` order) for feature ``rows``."""
        x = (rows - self.mean) / self.scale
        # einsum, not @: for a handful of rows BLAS would start its thread pool, and
        # those threads fight Tesseract and the other workers for the two cores (5 ms
        # instead of 0.2 ms per call measured here).
        hidden = np.maximum(np.einsum("ij,jk->ik", x, self.w1) + self.b1, 0.0)
        logits = np.einsum("ij,jk->ik", hidden, self.w2) + self.b2
        logits -= logits.max(axis=1, keepdims=True)
        odds = np.exp(logits)
        return odds / odds.sum(axis=1, keepdims=True)


@cache
def load_model(path: Path = MODEL_PATH) -> Model:
    try:
        with np.load(path) as data:
            arrays = {
                k: data[k].astype(np.float32) for k in ("mean", "scale", "w1", "b1", "w2", "b2")
            }
            classes = str(data["classes"])
    except (OSError, KeyError, ValueError) as exc:
        raise EngineUnavailable(f"The glyph classifier {path} cannot be loaded: {exc}") from exc
    if classes != CLASSES or arrays["w1"].shape[0] != FEATURES:
        raise EngineUnavailable(f"The glyph classifier {path} does not match this engine.")
    return Model(**arrays)
