"""From a normalised greyscale image to letters: the engine's reading pipeline.

1. ``preprocess.ink_map``: polarity, contrast, noise, size -> ink map and mask.
2. ``segment.segment``: connected components grouped into glyphs (dots joined,
   specks dropped), left to right.
3. Every glyph is scored by our own classifier (``classify``). Glyphs it does not
   recognise are repaired: neighbours that only make sense together are merged
   (a letter broken at a hairline) and wide pieces are cut at ink valleys
   (touching letters); a repair is kept only when the classifier is surer after it.
4. Glyphs the classifier is not sure about are read again by Tesseract in
   single-character mode (``--psm 10``) on a clean, padded picture of that glyph
   alone, and the two votes are combined.
5. Case: for letters whose capital and small forms have the same shape
   (``c o s u v w x z``) the size-free classifier cannot tell, so case is decided
   from the glyph's height against its neighbours (cap height versus x-height).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
from PIL import Image

from ocr_record.engine.classify import CLASSES, LETTERS, features, glyph_ink, load_model
from ocr_record.engine.preprocess import ink_map
from ocr_record.engine.segment import Glyph, _merge, cut, segment, split_candidates

logger = logging.getLogger(__name__)

# Letters whose capital is the small letter scaled up: only size tells them apart.
CASE_PAIRS: str = "cosuvwxz"
# "I" and "l" are one glyph in most sans faces; they share their votes.
SAME_GLYPH: dict[str, str] = {"I": "l", "l": "I"}
JUNK_INDEX: int = CLASSES.index("#")
N_LETTERS: int = len(LETTERS)

# The classifier is trusted alone above this (case-folded) probability; below it
# Tesseract reads the glyph too.
TRUST: float = 0.9
# Weight of Tesseract's vote (its confidence / 100) against the classifier's probability.
TESSERACT_WEIGHT: float = 0.6
# Repairs are tried on glyphs less sure than this, and kept when the result beats it.
REPAIR_BELOW: float = 0.75
# A glyph whose best letter is less likely than this (and that Tesseract does not
# read either) is not a letter at all.
REJECT_BELOW: float = 0.25
# Height, in pixels, of the glyph picture Tesseract gets, and its white margin.
TESSERACT_HEIGHT: int = 40
TESSERACT_PAD: int = 12
MAX_SPLIT_DEPTH: int = 3


def _fold_matrix() -> np.ndarray:
    """Matrix that adds each letter's probability to its shape twin's (c+C, I+l)."""
    fold = np.eye(len(CLASSES), dtype=np.float32)
    for i, letter in enumerate(LETTERS):
        twins = []
        if letter.lower() in CASE_PAIRS:
            twins.append(letter.swapcase())
        if letter in SAME_GLYPH:
            twins.append(SAME_GLYPH[letter])
        for twin in twins:
            fold[LETTERS.index(twin), i] = 1.0
    return fold


FOLD: np.ndarray = _fold_matrix()


@dataclass
class Read:
    """One glyph and what the readers think it is."""

    glyph: Glyph
    probs: np.ndarray  # classifier probabilities over CLASSES
    letter: str = ""
    confidence: float = 0.0

    @property
    def folded(self) -> np.ndarray:
        return self.probs @ FOLD

    @property
    def sureness(self) -> float:
        """Probability of the best letter, case twins counted together; junk is 0."""
        return float(self.folded[:N_LETTERS].max())


class Reader:
    """Reads one image; ``backend`` is the Tesseract backend used for second opinions."""

    def __init__(self, backend) -> None:
        self.backend = backend
        self.model = load_model()

    def _classify(self, ink: np.ndarray, glyphs: list[Glyph]) -> list[Read]:
        if not glyphs:
            return []
        rows = np.stack([features(glyph_ink(ink, g)) for g in glyphs])
        return [
            Read(g, p)
            for g, p in zip(glyphs, self.model.probabilities(rows), strict=True)
        ]

    def read(self, image: Image.Image) -> tuple[list[str], list[float]]:
        inked = ink_map(image)
        if inked is None:
            return [], []
        glyphs = segment(inked.mask)
        if not glyphs:
            return [], []
        line_height = max(g.height for g in glyphs)
        reads = self._classify(inked.ink, glyphs)
        reads = self._merge_broken(inked.ink, reads, line_height)
        reads = [
            piece for r in reads for piece in self._split_touching(inked.ink, r, 0)
        ]
        for r in reads:
            self._decide(inked.ink, r)
        reads = [r for r in reads if r.letter]
        _decide_case(reads)
        return [r.letter for r in reads], [round(100 * r.confidence, 1) for r in reads]

    def _merge_broken(
        self, ink: np.ndarray, reads: list[Read], line_height: int
    ) -> list[Read]:
        index = 0
        while index < len(reads) - 1:
            a, b = reads[index], reads[index + 1]
            close = b.glyph.x0 - a.glyph.x1 <= 0.15 * line_height
            if close and min(a.sureness, b.sureness) < REPAIR_BELOW:
                (merged,) = self._classify(ink, [_merge(a.glyph, b.glyph)])
                if merged.sureness > max(a.sureness, b.sureness, REPAIR_BELOW):
                    reads[index : index + 2] = [merged]
                    continue
            index += 1
        return reads

    def _split_touching(self, ink: np.ndarray, read: Read, depth: int) -> list[Read]:
        glyph = read.glyph
        if depth >= MAX_SPLIT_DEPTH or read.sureness >= REPAIR_BELOW or glyph.width < 4:
            return [read]
        best: tuple[float, list[Read]] | None = None
        for column in split_candidates(glyph):
            halves = cut(glyph, column)
            if halves is None:
                continue
            pair = self._classify(ink, list(halves))
            score = min(p.sureness for p in pair)
            if best is None or score > best[0]:
                best = (score, pair)
        if best is None or best[0] <= max(read.sureness, 0.5):
            return [read]
        return [
            piece for p in best[1] for piece in self._split_touching(ink, p, depth + 1)
        ]

    def _decide(self, ink: np.ndarray, read: Read) -> None:
        """Pick the letter: classifier alone when sure, else with Tesseract's vote."""
        scores = read.probs[:N_LETTERS].copy()
        folded = read.folded[:N_LETTERS]
        if read.sureness < TRUST and self.backend is not None:
            for text, confidence in self.backend.read(
                _tesseract_picture(ink, read.glyph)
            ):
                letter = text[:1]
                if letter not in LETTERS:
                    continue
                vote = TESSERACT_WEIGHT * (confidence / 100 if confidence >= 0 else 0.7)
                # The vote goes to the letter and its shape twins (c/C, I/l): Tesseract's
                # case for those is no better than ours, which the line geometry sets.
                twins = np.flatnonzero(FOLD[:N_LETTERS, LETTERS.index(letter)])
                scores[twins] += vote
                folded = scores @ FOLD[:N_LETTERS, :N_LETTERS]
                break
        best = int(np.argmax(scores))
        confidence = float(folded[best])
        if confidence < REJECT_BELOW:
            return
        read.letter = LETTERS[best]
        read.confidence = min(confidence, 1.0)


def _tesseract_picture(ink: np.ndarray, glyph: Glyph) -> Image.Image:
    """The glyph alone, black on white, scaled to the height Tesseract reads best."""
    crop = glyph_ink(ink, glyph)
    picture = Image.fromarray((255 - 255 * crop).astype(np.uint8), mode="L")
    scale = TESSERACT_HEIGHT / max(glyph.height, 1)
    size = (max(1, round(glyph.width * scale)), TESSERACT_HEIGHT)
    picture = picture.resize(size, Image.Resampling.BICUBIC)
    canvas = Image.new(
        "L", (size[0] + 2 * TESSERACT_PAD, size[1] + 2 * TESSERACT_PAD), 255
    )
    canvas.paste(picture, (TESSERACT_PAD, TESSERACT_PAD))
    return canvas


# Letters whose height is the x-height, and letters that reach cap height.
X_HEIGHT_LETTERS: str = "aemnr"
TALL_LETTERS: str = "ABCDEFGHIKLMNOPRSTUVWXYZbdhkl"
# With only capitals as reference, a glyph below this share of their height is small.
SMALL_SHARE: float = 0.86


def _decide_case(reads: list[Read]) -> None:
    """Set the case of c/o/s/u/v/w/x/z glyphs from their height against the line."""
    if len(reads) < 2:
        return
    ambiguous = [r for r in reads if r.letter.lower() in CASE_PAIRS]
    if not ambiguous:
        return
    small = [r.glyph.height for r in reads if r.letter in X_HEIGHT_LETTERS]
    tall = [
        r.glyph.height
        for r in reads
        if r.letter in TALL_LETTERS and r.letter.lower() not in CASE_PAIRS
    ]
    if small and tall:
        threshold = (float(np.median(small)) + float(np.median(tall))) / 2
    elif tall:
        threshold = SMALL_SHARE * float(np.median(tall))
    elif small:
        threshold = float(np.median(small)) / SMALL_SHARE
    else:
        heights = [r.glyph.height for r in ambiguous]
        if max(heights) < min(heights) / SMALL_SHARE:
            # All of one size: nothing to compare with. Small letters are more common.
            threshold = max(heights) + 1
        else:
            threshold = SMALL_SHARE * max(heights)
    for r in ambiguous:
        r.letter = r.letter.upper() if r.glyph.height >= threshold else r.letter.lower()
