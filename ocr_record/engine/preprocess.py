"""Turning a normalised greyscale image into an "ink map" the segmenter can cut.

The ink map is a float32 array in 0..1 where 1 is full ink and 0 is background,
whatever the original polarity (dark-on-light, light-on-dark, coloured, low
contrast). Large images are scaled down first: no letter needs more than a few
dozen pixels to be read, and every later step costs time per pixel.
"""

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

logger = logging.getLogger(__name__)

# Images whose shorter side is larger than this are scaled down before anything else.
# Text that fills such an image is still far taller than the ~24 px the readers need.
MAX_SHORT_SIDE: int = 256
# Below this spread between the darkest and lightest pixels there is nothing to read.
MIN_CONTRAST: float = 24.0
# Pixel noise above this (standard deviation of the background, 0..255) gets a median filter.
NOISY_BACKGROUND: float = 6.0
# Noise this large against the image's spread of values also gets a Gaussian blur.
NOISY_SHARE: float = 0.12
NOISE_BLUR: float = 1.0
# Faint ink (this fraction of the threshold) is kept where it touches strong ink.
WEAK_INK: float = 0.5


@dataclass(frozen=True)
class InkMap:
    """Ink strength per pixel (0 background .. 1 full ink) and the binary mask of ink."""

    ink: np.ndarray
    mask: np.ndarray
    scale: float  # ink-map pixels per original pixel


def _shrink(image: Image.Image) -> tuple[Image.Image, float]:
    short = min(image.size)
    if short <= MAX_SHORT_SIDE:
        return image, 1.0
    scale = MAX_SHORT_SIDE / short
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # reduce() then resize() is much faster than one high-quality resize of a big image.
    factor = int(1 / scale)
    if factor >= 2:
        image = image.reduce(factor)
    return image.resize(size, Image.Resampling.BILINEAR), scale


def _otsu(values: np.ndarray) -> float:
    """Otsu's threshold of ``values`` in 0..1 (64 bins is plenty for a two-level picture)."""
    hist, edges = np.histogram(values, bins=64, range=(0.0, 1.0))
    hist = hist.astype(np.float64)
    centres = (edges[:-1] + edges[1:]) / 2
    weight0 = np.cumsum(hist)
    weight1 = weight0[-1] - weight0
    sum0 = np.cumsum(hist * centres)
    mean0 = sum0 / np.maximum(weight0, 1)
    mean1 = (sum0[-1] - sum0) / np.maximum(weight1, 1)
    between = weight0 * weight1 * (mean0 - mean1) ** 2
    return float(edges[int(np.argmax(between)) + 1])


def ink_map(image: Image.Image) -> InkMap | None:
    """The ink map of ``image``, or None when the image is blank (nothing to read)."""
    small, scale = _shrink(image)
    pixels = np.asarray(small, dtype=np.float32)
    if pixels.size == 0:
        return None
    border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
    background = float(np.median(border))
    noise = float(np.std(border))
    if noise > NOISY_BACKGROUND and min(pixels.shape) >= 3:
        # Gaussian/salt noise: a 3x3 median keeps strokes and removes most of it; strong
        # noise against weak contrast also needs a blur, or the threshold makes confetti.
        pixels = ndimage.median_filter(pixels, size=3)
        spread = float(np.percentile(pixels, 99.5) - np.percentile(pixels, 0.5))
        if noise > NOISY_SHARE * max(spread, 1.0):
            pixels = ndimage.gaussian_filter(pixels, sigma=NOISE_BLUR)
        border = np.concatenate([pixels[0], pixels[-1], pixels[:, 0], pixels[:, -1]])
        background = float(np.median(border))
    low, high = np.percentile(pixels, (0.5, 99.5))
    # Ink is whichever side of the background has the stronger extreme: this handles
    # light-on-dark and coloured text without assuming a polarity.
    if background - low >= high - background:
        ink, span = background - pixels, background - low
    else:
        ink, span = pixels - background, high - background
    if span < MIN_CONTRAST:
        return None
    ink = np.clip(ink / span, 0.0, 1.0)
    threshold = min(max(_otsu(ink), 0.25), 0.6)
    # Hysteresis: faint pixels count as ink when they touch strong ink, so the hairlines
    # of high-contrast serif faces do not break letters into pieces.
    weak = ink > threshold * WEAK_INK
    labels, _count = ndimage.label(weak, structure=np.ones((3, 3), dtype=bool))
    strong_labels = np.unique(labels[ink > threshold])
    mask = np.isin(labels, strong_labels[strong_labels > 0])
    if not mask.any():
        return None
    return InkMap(ink=ink, mask=mask, scale=scale)
