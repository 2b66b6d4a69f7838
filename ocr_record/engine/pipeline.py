"""From a normalised greyscale image to letters: the engine's reading pipeline.

1. ``preprocess.ink_map``: polarity, contrast, noise, size -> ink map and mask.
2. ``segment.segment``: connected components grouped into glyphs (dots joined,
   specks and solid patches dropped), left to right.
3. Every glyph is scored by our own classifier (``classify``). Neighbours that only
   make sense together (a letter broken at a hairline) are merged when the classifier
   is surer of the merge.
4. A glyph the classifier calls junk is usually touching letters: Tesseract's LSTM
   reads it as one word (``--psm 8``), and the cuts between the letters it read are
   placed by dynamic programming over the glyph's ink valleys (``Reader._align``).
   When Tesseract reads nothing there, the classifier's own cut is the fallback.
5. Glyphs the classifier is not sure about, and "detail twins" (c/e, C/G, O/Q), are
   read again by Tesseract in single-character mode (``--psm 10``) on a clean, padded
   picture of that glyph alone, and the two votes are combined.
6. Case: for letters whose capital and small forms have the same shape
   (``c o s u v w x z``) the size-free classifier cannot tell, so case is decided
   from how high the glyph reaches above the line's fitted baseline, against the
   x-height and cap-height letters next to it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import numpy as np
from PIL import Image
from scipy import ndimage

from ocr_record.engine.classify import CLASSES, LETTERS, features, glyph_ink, load_model
from ocr_record.engine.errors import RecognitionTimeout
from ocr_record.engine.preprocess import ink_map
from ocr_record.engine.segment import Glyph, cut, merge, segment, split_candidates

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
# Letters that differ from a twin only by a small detail (e's bar, Q's tail, G's spur):
# Tesseract is always asked about them and, when it is sure, it decides.
DETAIL_TWINS: dict[str, str] = {"c": "e", "C": "G", "O": "Q"}
DETAIL_CONFIDENCE: float = 80.0
DETAIL_CHECK: bool = True
# Repairs are tried on glyphs less sure than this, and kept when the result beats it.
REPAIR_BELOW: float = 0.75
# A glyph whose best letter is less likely than this (and that Tesseract does not
# read either) is not a letter at all.
REJECT_BELOW: float = 0.25
# Height, in pixels, of the glyph picture Tesseract gets, and its white margin.
TESSERACT_HEIGHT: int = 40
TESSERACT_PAD: int = 12
# Cut positions tried when aligning Tesseract's letters with a glyph of touching letters.
MAX_CUT_CANDIDATES: int = 10
# Page segmentation mode for touching letters: one word (the LSTM reads it whole).
WORD_PSM: int = 8
MAX_SPLIT_DEPTH: int = 3
# At most this many Tesseract reads per image, so a picture full of shapes (a photo, a
# pattern) costs tens of milliseconds, not seconds. Text of up to ~30 letters never
# comes close.
MAX_TESSERACT_READS: int = 16
# A "letter" shorter than this share of the line's median glyph height is a speck
# (x-height letters are about 0.7 of the median; dots and specks far less).
SPECK_SHARE: float = 0.45
# A glyph is cut only when the classifier thinks it is junk (letters glued together)
# at least this much, and a cut is kept when both halves score at least SPLIT_KEEP.
SPLIT_JUNK: float = 0.4
SPLIT_KEEP: float = 0.5


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
    tesseract: tuple[str, float] | None = None  # Tesseract's reading, when it was asked
    top: int = -1  # top row for the case decision (-1: the glyph's)
    letter: str = ""
    confidence: float = 0.0

    @property
    def folded(self) -> np.ndarray:
        return self.probs @ FOLD

    @property
    def junk(self) -> float:
        return float(self.probs[JUNK_INDEX])

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
        return [Read(g, p) for g, p in zip(glyphs, self.model.probabilities(rows), strict=True)]

    def read(
        self, image: Image.Image, *, deadline: float | None = None
    ) -> tuple[list[str], list[float]]:
        """Letters and confidences (0-100) left to right; ``deadline`` is a
        ``time.monotonic()`` value past which ``RecognitionTimeout`` is raised."""
        budget = _Budget(MAX_TESSERACT_READS, deadline)
        inked = ink_map(image)
        if inked is None:
            return [], []
        budget.check_time()
        glyphs = segment(inked.mask)
        if not glyphs:
            return [], []
        budget.check_time()
        line_height = max(g.height for g in glyphs)
        reads = self._classify(inked.ink, glyphs)
        reads = self._merge_broken(inked.ink, reads, line_height)
        budget.check_time()
        reads = [p for r in reads for p in self._separate(inked.ink, r, line_height, budget)]
        for r in reads:
            self._decide(inked.ink, r, budget)
        reads = _drop_specks([r for r in reads if r.letter])
        _decide_case(reads)
        return [r.letter for r in reads], [round(100 * r.confidence, 1) for r in reads]

    def _merge_broken(self, ink: np.ndarray, reads: list[Read], line_height: int) -> list[Read]:
        index = 0
        while index < len(reads) - 1:
            a, b = reads[index], reads[index + 1]
            close = b.glyph.x0 - a.glyph.x1 <= 0.15 * line_height
            if close and min(a.sureness, b.sureness) < REPAIR_BELOW:
                (merged,) = self._classify(ink, [merge(a.glyph, b.glyph)])
                if merged.sureness > max(a.sureness, b.sureness, REPAIR_BELOW):
                    reads[index : index + 2] = [merged]
                    continue
            index += 1
        return reads

    def _separate(
        self, ink: np.ndarray, read: Read, line_height: int, budget: _Budget
    ) -> list[Read]:
        """Letters in a glyph the classifier calls junk (touching letters, or not a letter).

        Tesseract reads the piece as a word (its LSTM needs no segmentation) and its
        symbol boxes say where to cut; each piece is then classified and voted on as
        usual. When Tesseract sees one letter, the glyph stays whole; when it sees
        none, the classifier's own cut at ink valleys is the fallback.
        """
        if read.junk < SPLIT_JUNK or read.glyph.width < 4 or self.backend is None:
            return [read]
        if not budget.take():
            return self._split_touching(ink, read, line_height)
        glyph = read.glyph
        picture, _scale = _tesseract_picture(ink, glyph)
        symbols = [
            sym for sym in self.backend.read_symbols(picture, psm=WORD_PSM) if sym[0][:1] in LETTERS
        ]
        if len(symbols) == 1:
            read.tesseract = (symbols[0][0][:1], symbols[0][1])
            return [read]
        if not symbols:
            return self._split_touching(ink, read, line_height)
        letters = [(text[:1], confidence) for text, confidence, _box in symbols]
        pieces = self._align(ink, glyph, [letter for letter, _c in letters])
        if pieces is None:
            return self._split_touching(ink, read, line_height)
        for piece, vote in zip(pieces, letters, strict=True):
            piece.tesseract = vote
            # A cut can keep a neighbour's serif at its edges: take the top of the middle.
            piece.top = _core_top(piece.glyph)
        return pieces

    def _align(self, ink: np.ndarray, glyph: Glyph, letters: list[str]) -> list[Read] | None:
        """Cut ``glyph`` into ``len(letters)`` pieces where the classifier best agrees.

        Tesseract's LSTM says which letters are there but its per-letter boxes are
        coarse, so the cuts are chosen among the ink valleys by dynamic programming:
        the sum over pieces of log P(piece is the letter Tesseract read there, or its
        case twin) is maximised.
        """
        count = len(letters)
        columns = _valleys(glyph, MAX_CUT_CANDIDATES)
        if len(columns) < count - 1:
            return None
        bounds = [0, *columns, glyph.width]
        spans = [
            (i, j)
            for i in range(len(bounds) - 1)
            for j in range(i + 1, len(bounds))
            if bounds[j] - bounds[i] >= 2
        ]
        pieces = {span: _columns(glyph, bounds[span[0]], bounds[span[1]]) for span in spans}
        spans = [span for span in spans if pieces[span] is not None]
        if not spans:
            return None
        reads = dict(zip(spans, self._classify(ink, [pieces[s] for s in spans]), strict=True))
        indices = [LETTERS.index(letter) for letter in letters]
        last = len(bounds) - 1
        # best[n][j]: best score of n pieces covering columns 0..bounds[j]; back: the cut.
        best = np.full((count + 1, len(bounds)), -np.inf)
        back = np.zeros((count + 1, len(bounds)), dtype=int)
        best[0][0] = 0.0
        for n in range(1, count + 1):
            for i, j in spans:
                if best[n - 1][i] == -np.inf:
                    continue
                score = best[n - 1][i] + np.log(reads[(i, j)].folded[indices[n - 1]] + 0.02)
                if score > best[n][j]:
                    best[n][j], back[n][j] = score, i
        if best[count][last] == -np.inf:
            return None
        chosen, j = [], last
        for n in range(count, 0, -1):
            i = back[n][j]
            chosen.append(reads[(i, j)])
            j = i
        return chosen[::-1]

    def _split_touching(
        self, ink: np.ndarray, read: Read, line_height: int, depth: int = 0
    ) -> list[Read]:
        """Cut a glyph the classifier calls junk (letters glued together) in two, recursively."""
        glyph = read.glyph
        if depth >= MAX_SPLIT_DEPTH or glyph.width < 4 or read.junk < SPLIT_JUNK:
            return [read]
        best: tuple[float, list[Read]] | None = None
        for column in split_candidates(glyph, max_cuts=5):
            halves = cut(glyph, column)
            if halves is None:
                continue
            pair = self._classify(ink, list(halves))
            # A half that is itself clearly two letters is a good cut too: it is cut again.
            score = min(max(p.sureness, p.junk) for p in pair)
            if best is None or score > best[0]:
                best = (score, pair)
        if best is None or best[0] < SPLIT_KEEP:
            return [read]
        return [
            piece for p in best[1] for piece in self._split_touching(ink, p, line_height, depth + 1)
        ]

    def _decide(self, ink: np.ndarray, read: Read, budget: _Budget) -> None:
        """Pick the letter: classifier alone when sure, else with Tesseract's vote."""
        scores = read.probs[:N_LETTERS].copy()
        folded = read.folded[:N_LETTERS]
        guess = LETTERS[int(np.argmax(scores))]
        detail = DETAIL_CHECK and guess in DETAIL_TWINS
        asks = read.tesseract is None and (read.sureness < TRUST or detail)
        if asks and self.backend is not None and budget.take():
            picture, _scale = _tesseract_picture(ink, read.glyph)
            for text, confidence in self.backend.read(picture):
                if text[:1] in LETTERS:
                    read.tesseract = (text[:1], confidence)
                    break
        if read.tesseract is not None:
            letter, confidence = read.tesseract
            if detail and letter in DETAIL_TWINS[guess] and confidence >= DETAIL_CONFIDENCE:
                # The told-apart detail (e's bar, Q's tail) is a pixel or two in the
                # classifier's 20 px picture; Tesseract sees it at 40 px.
                scores[LETTERS.index(letter)] = scores.max() + 0.01
            vote = TESSERACT_WEIGHT * (confidence / 100 if confidence >= 0 else 0.7)
            # The vote goes to the letter and its shape twins (c/C, I/l): Tesseract's
            # case for those is no better than ours, which the line geometry sets.
            twins = np.flatnonzero(FOLD[:N_LETTERS, LETTERS.index(letter)])
            scores[twins] += vote
            folded = scores @ FOLD[:N_LETTERS, :N_LETTERS]
        best = int(np.argmax(scores))
        confidence = float(folded[best])
        if confidence < REJECT_BELOW:
            return
        read.letter = LETTERS[best]
        read.confidence = min(confidence, 1.0)


class _Budget:
    """How many more Tesseract reads one image may cost (a busy picture has hundreds of
    "glyphs"; past the budget the classifier decides alone), and until when.

    Every step between two checks is bounded (one Tesseract read of a small crop, or
    numpy over a downscaled image), so checking here stops a recognition soon after
    its time limit without leaving the process.
    """

    def __init__(self, reads: int, deadline: float | None = None) -> None:
        self.left = reads
        self.deadline = deadline

    def check_time(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise RecognitionTimeout("Reading the image took longer than its time limit.")

    def take(self) -> bool:
        self.check_time()
        self.left -= 1
        return self.left >= 0


def _drop_specks(reads: list[Read]) -> list[Read]:
    """Drop "letters" far smaller than the others in the line: specks read as c, o, i."""
    if len(reads) < 2:
        return reads
    heights = [r.glyph.height for r in reads]
    typical = float(np.median(heights))
    return [r for r, h in zip(reads, heights, strict=True) if h >= SPECK_SHARE * typical]


def _tesseract_picture(ink: np.ndarray, glyph: Glyph) -> tuple[Image.Image, float]:
    """The glyph alone, black on white, at the height Tesseract reads best; and the scale."""
    crop = glyph_ink(ink, glyph)
    picture = Image.fromarray((255 - 255 * crop).astype(np.uint8), mode="L")
    scale = TESSERACT_HEIGHT / max(glyph.height, 1)
    size = (max(1, round(glyph.width * scale)), TESSERACT_HEIGHT)
    picture = picture.resize(size, Image.Resampling.BICUBIC)
    canvas = Image.new("L", (size[0] + 2 * TESSERACT_PAD, size[1] + 2 * TESSERACT_PAD), 255)
    canvas.paste(picture, (TESSERACT_PAD, TESSERACT_PAD))
    return canvas, scale


def _valleys(glyph: Glyph, limit: int) -> list[int]:
    """Up to ``limit`` columns where the glyph has least ink (local minima), left to right."""
    profile = glyph.mask.sum(axis=0).astype(np.float64)
    if profile.size < 5:
        return []
    smooth = np.convolve(profile, np.ones(3) / 3, mode="same")
    inner = np.arange(2, profile.size - 2)
    minima = [int(c) for c in inner if smooth[c] <= smooth[c - 1] and smooth[c] <= smooth[c + 1]]
    minima.sort(key=lambda c: (smooth[c], c))
    chosen: list[int] = []
    for column in minima:
        if all(abs(column - other) > 1 for other in chosen):
            chosen.append(column)
        if len(chosen) == limit:
            break
    return sorted(chosen)


def _core_top(glyph: Glyph) -> int:
    """Top row of the ink in the middle 70 % of the glyph's columns."""
    margin = int(glyph.width * 0.15)
    rows = np.flatnonzero(glyph.mask[:, margin : glyph.width - margin].any(axis=1))
    return glyph.y0 + int(rows[0]) if rows.size else glyph.y0


def _columns(glyph: Glyph, left: int, right: int) -> Glyph | None:
    """The part of ``glyph`` between two of its columns, trimmed to its ink."""
    sub = glyph.mask[:, left:right]
    rows = np.flatnonzero(sub.any(axis=1))
    cols = np.flatnonzero(sub.any(axis=0))
    if rows.size == 0:
        return None
    top, bottom, first, last = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return Glyph(
        glyph.x0 + left + first,
        glyph.y0 + top,
        glyph.x0 + left + last,
        glyph.y0 + bottom,
        sub[top:bottom, first:last],
    )


# Letters whose top is at the x-height, and letters whose top is at cap/ascender height.
X_HEIGHT_LETTERS: str = "aemnrgpqy"
TALL_LETTERS: str = "ABDEFGHIJKLMNPQRTUYbdhkl"
# Letters that do not sit on the baseline (descenders, Q's tail, J in some faces).
OFF_BASELINE: str = "gjpqyQJ"
# With only capitals as reference, a glyph below this share of their height is small.
SMALL_SHARE: float = 0.86


def _body(read: Read) -> tuple[int, int]:
    """Top and bottom row of the glyph's main body: a speck that joined it as a "dot"
    must not move the line's reference heights."""
    glyph = read.glyph
    if read.top >= 0:
        return read.top, glyph.y1
    labels, count = ndimage.label(glyph.mask, structure=np.ones((3, 3), dtype=bool))
    if count <= 1:
        return glyph.y0, glyph.y1
    sizes = np.bincount(labels.ravel())[1:]
    rows = np.flatnonzero((labels == int(np.argmax(sizes)) + 1).any(axis=1))
    return glyph.y0 + int(rows[0]), glyph.y0 + int(rows[-1]) + 1


def _baseline(reads: list[Read], bodies: list[tuple[int, int]]) -> tuple[float, float]:
    """Slope and intercept of the line's baseline, fitted to glyphs that sit on it."""
    pairs = [(r, b) for r, b in zip(reads, bodies, strict=True) if r.letter not in OFF_BASELINE]
    pairs = pairs or list(zip(reads, bodies, strict=True))
    xs = np.array([(r.glyph.x0 + r.glyph.x1) / 2 for r, _b in pairs])
    bottoms = np.array([b[1] for _r, b in pairs], dtype=np.float64)
    if len(pairs) >= 3 and np.ptp(xs) > 0:
        slope, base = np.polyfit(xs, bottoms, 1)
        # Text rotated by at most a few degrees: a steeper fit is an outlier's doing.
        if abs(slope) <= 0.12:
            return float(slope), float(base)
    return 0.0, float(np.median(bottoms))


def _rises(reads: list[Read]) -> list[float]:
    """Each glyph's top above the line's baseline (fitted, so a tilted line works too)."""
    bodies = [_body(r) for r in reads]
    slope, base = _baseline(reads, bodies)
    return [
        slope * (r.glyph.x0 + r.glyph.x1) / 2 + base - top
        for r, (top, _bottom) in zip(reads, bodies, strict=True)
    ]


def _decide_case(reads: list[Read]) -> None:
    """Set the case of c/o/s/u/v/w/x/z glyphs from how high they reach above the baseline."""
    if len(reads) < 2:
        return
    if not any(r.letter.lower() in CASE_PAIRS for r in reads):
        return
    rises = _rises(reads)
    small = [h for r, h in zip(reads, rises, strict=True) if r.letter in X_HEIGHT_LETTERS]
    tall = [h for r, h in zip(reads, rises, strict=True) if r.letter in TALL_LETTERS]
    ambiguous = [
        (r, h) for r, h in zip(reads, rises, strict=True) if r.letter.lower() in CASE_PAIRS
    ]
    if small and tall:
        threshold = (float(np.median(small)) + float(np.median(tall))) / 2
    elif tall:
        threshold = SMALL_SHARE * float(np.median(tall))
    elif small:
        threshold = float(np.median(small)) / SMALL_SHARE
    else:
        heights = [h for _r, h in ambiguous]
        if max(heights) < min(heights) / SMALL_SHARE:
            # All of one size: nothing to compare with. Small letters are more common.
            threshold = max(heights) + 1
        else:
            threshold = SMALL_SHARE * max(heights)
    for r, h in ambiguous:
        r.letter = r.letter.upper() if h >= threshold else r.letter.lower()
