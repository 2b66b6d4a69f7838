"""Train the engine's glyph classifier and write ``ocr_record/engine/data/glyphs.npz``.

    python -m bench.train_classifier

Deterministic (fixed seeds, single-threaded BLAS recommended): letters are rendered
only in DejaVu and Noto fonts (the ``tune`` families, never the holdout ones), with
random size, colour and degradation, then cut out by the engine's own ``ink_map`` and
``segment`` so the classifier sees glyphs exactly as the engine will. Needs
scikit-learn (a development requirement; the engine itself only needs numpy).
"""

from __future__ import annotations

import argparse
import glob
import logging
import random
import time

import numpy as np
from PIL import ImageFilter

from bench.generate import DEGRADATIONS, LETTERS, _style, random_text, render
from ocr_record.engine.classify import CLASSES, JUNK, MODEL_PATH, features, glyph_ink
from ocr_record.engine.images import load_image
from ocr_record.engine.preprocess import ink_map
from ocr_record.engine.segment import Glyph, merge, segment

logger = logging.getLogger(__name__)

SEED: int = 7
# Only DejaVu and Noto (fonts-noto-core) Latin faces: the holdout families stay unseen.
TRAIN_FONTS: tuple[str, ...] = tuple(
    sorted(
        [
            f
            for f in glob.glob("/usr/share/fonts/truetype/dejavu/DejaVu*.ttf")
            if "MathTeX" not in f and "ExtraLight" not in f
        ]
        + glob.glob("/usr/share/fonts/truetype/noto/NotoSans-*.ttf")
        + glob.glob("/usr/share/fonts/truetype/noto/NotoSerif-*.ttf")
        + glob.glob("/usr/share/fonts/truetype/noto/NotoSansDisplay-*.ttf")
        + glob.glob("/usr/share/fonts/truetype/noto/NotoSerifDisplay-*.ttf")
    )
)
HEIGHTS: tuple[int, ...] = (12, 14, 16, 18, 20, 24, 28, 32, 40, 48, 64, 90)


def _degradations(rng: random.Random) -> tuple[str, ...]:
    roll = rng.random()
    if roll < 0.45:
        return ()
    return tuple(sorted(rng.sample(DEGRADATIONS, 1 if roll < 0.85 else 2)))


def _glyphs(data: bytes, stroke: int = 0) -> tuple[np.ndarray, list[Glyph]] | None:
    image = load_image(data)
    if stroke:
        # Bolder or lighter strokes than the font has, so stroke weight is not learnt
        # as part of a letter's identity (min filter thickens dark ink, max thins it).
        image = image.filter(ImageFilter.MinFilter(3) if stroke < 0 else ImageFilter.MaxFilter(3))
    ink = ink_map(image)
    if ink is None:
        return None
    return ink.ink, segment(ink.mask)


def _main_glyph(glyphs: list[Glyph]) -> Glyph:
    """For a lone letter: its largest piece plus any piece stacked on it."""
    glyphs = sorted(glyphs, key=lambda g: g.mask.sum(), reverse=True)
    main = glyphs[0]
    for other in glyphs[1:]:
        shared = min(main.x1, other.x1) - max(main.x0, other.x0)
        if shared >= 0.3 * min(main.width, other.width):
            main = merge(main, other)
    return main


def build(copies: int, strings: int, pairs: int) -> tuple[np.ndarray, np.ndarray]:
    rows: list[np.ndarray] = []
    labels: list[int] = []
    rng = random.Random(SEED)

    def add(data: bytes, text: str, height: int = 0) -> None:
        stroke = rng.choice((-1, 1)) if height >= 28 and rng.random() < 0.3 else 0
        found = _glyphs(data, stroke)
        if found is None or not found[1]:
            return
        ink, glyphs = found
        letters = text.replace(" ", "")
        if len(letters) == 1 or text == JUNK:
            main = _main_glyph(glyphs)
            rows.append(features(glyph_ink(ink, main)))
            labels.append(CLASSES.index(letters if len(letters) == 1 else JUNK))
        elif len(glyphs) == len(letters):
            for glyph, letter in zip(glyphs, letters, strict=True):
                rows.append(features(glyph_ink(ink, glyph)))
                labels.append(CLASSES.index(letter))

    for font in TRAIN_FONTS:
        for letter in LETTERS:
            for _ in range(copies):
                height = rng.choice(HEIGHTS)
                style = _style(rng)
                fmt = "PNG" if style == "transparent" else rng.choice(("PNG", "JPEG", "WEBP"))
                data = render(
                    letter,
                    font,
                    height,
                    rng=rng,
                    style=style,
                    fmt=fmt,
                    degradations=_degradations(rng),
                )
                add(data, letter, height)
    # Strings: letters cut out of a line, where the segmenter found one glyph per letter.
    for _ in range(strings):
        font = rng.choice(TRAIN_FONTS)
        text = random_text(rng)
        height = rng.choice(HEIGHTS)
        data = render(
            text,
            font,
            height,
            rng=rng,
            style=_style(rng),
            fmt=rng.choice(("PNG", "JPEG", "WEBP")),
            degradations=_degradations(rng),
        )
        add(data, text, height)
    # Junk: two letters squeezed together (what the segmenter finds when letters touch).
    for _ in range(pairs):
        font = rng.choice(TRAIN_FONTS)
        pair = rng.choice(LETTERS) + rng.choice(LETTERS)
        data = _squeezed(pair, font, rng.choice(HEIGHTS), rng)
        found = _glyphs(data)
        if found is None or len(found[1]) != 1:
            continue  # not touching after all
        ink, glyphs = found
        rows.append(features(glyph_ink(ink, glyphs[0])))
        labels.append(CLASSES.index(JUNK))
    # Junk: specks and blobs (what noise leaves behind), and three glued letters.
    for _ in range(pairs // 3):
        data = _blob(rng)
        found = _glyphs(data)
        if found is None or not found[1]:
            continue
        ink, glyphs = found
        rows.append(features(glyph_ink(ink, _main_glyph(glyphs))))
        labels.append(CLASSES.index(JUNK))
    for _ in range(pairs // 3):
        font = rng.choice(TRAIN_FONTS)
        triple = "".join(rng.choice(LETTERS) for _ in range(3))
        found = _glyphs(_squeezed(triple, font, rng.choice(HEIGHTS), rng))
        if found is None or len(found[1]) != 1:
            continue
        ink, glyphs = found
        rows.append(features(glyph_ink(ink, glyphs[0])))
        labels.append(CLASSES.index(JUNK))
    return np.stack(rows), np.array(labels)


def _blob(rng: random.Random) -> bytes:
    import io

    from PIL import Image, ImageDraw, ImageFilter

    size = rng.randint(12, 80)
    image = Image.new("L", (size * 2, size * 2), 255)
    draw = ImageDraw.Draw(image)
    kind = rng.random()
    x, y = size / 2 + rng.uniform(0, size / 2), size / 2 + rng.uniform(0, size / 2)
    if kind < 0.5:  # a speck or a smudge
        rx, ry = rng.uniform(0.1, 0.5) * size, rng.uniform(0.1, 0.5) * size
        draw.ellipse((x - rx, y - ry, x + rx, y + ry), fill=rng.randint(0, 80))
    elif kind < 0.8:  # a scribble
        points = [
            (x + rng.uniform(-1, 1) * size / 2, y + rng.uniform(-1, 1) * size / 2)
            for _ in range(rng.randint(3, 6))
        ]
        draw.line(points, fill=0, width=max(1, size // rng.randint(6, 12)))
    else:  # a filled box
        draw.rectangle((x - size / 3, y - size / 3, x + size / 3, y + size / 4), fill=0)
    if rng.random() < 0.4:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _squeezed(letters: str, font_path: str, height: int, rng: random.Random) -> bytes:
    import io

    from PIL import Image, ImageDraw

    from bench.generate import _cap_ratio, _font

    font = _font(font_path, max(6, round(height / _cap_ratio(font_path))))
    boxes = [font.getbbox(letter) for letter in letters]
    width = sum(box[2] - box[0] for box in boxes) + 2 * height
    image = Image.new("L", (int(width), int(height * 2.5)), 255)
    draw = ImageDraw.Draw(image)
    x = height // 2
    for letter, box in zip(letters, boxes, strict=True):
        draw.text((x - box[0], height // 2), letter, font=font, fill=0)
        x += box[2] - box[0] - rng.uniform(0.0, 0.25) * height
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def train(rows: np.ndarray, labels: np.ndarray, hidden: int) -> dict[str, np.ndarray]:
    from sklearn.neural_network import MLPClassifier

    mean = rows.mean(axis=0)
    scale = rows.std(axis=0) + 1e-3
    model = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        alpha=1e-4,
        batch_size=256,
        learning_rate_init=1e-3,
        max_iter=60,
        early_stopping=True,
        validation_fraction=0.1,
        n_iter_no_change=8,
        random_state=SEED,
    )
    model.fit((rows - mean) / scale, labels)
    logger.warning("validation accuracy %.4f", model.best_validation_score_)
    # sklearn's classes_ are the sorted label indices; reorder the output layer to CLASSES.
    w2 = np.zeros((hidden, len(CLASSES)), dtype=np.float32)
    b2 = np.full(len(CLASSES), -30.0, dtype=np.float32)
    for column, class_index in enumerate(model.classes_):
        w2[:, class_index] = model.coefs_[1][:, column]
        b2[class_index] = model.intercepts_[1][column]
    return {
        "mean": mean.astype(np.float32),
        "scale": scale.astype(np.float32),
        "w1": model.coefs_[0].astype(np.float32),
        "b1": model.intercepts_[0].astype(np.float32),
        "w2": w2,
        "b2": b2,
        "classes": np.array(CLASSES),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=10, help="renderings per letter and font")
    parser.add_argument("--strings", type=int, default=8000)
    parser.add_argument("--pairs", type=int, default=4000)
    parser.add_argument("--hidden", type=int, default=512)
    parser.add_argument("--out", default=str(MODEL_PATH))
    args = parser.parse_args()
    start = time.perf_counter()
    rows, labels = build(args.copies, args.strings, args.pairs)
    print(f"{len(rows)} glyphs from {len(TRAIN_FONTS)} fonts in {time.perf_counter() - start:.0f}s")
    arrays = train(rows, labels, args.hidden)
    # float16 halves the file; the classifier's answers do not change measurably.
    arrays = {k: (v.astype(np.float16) if v.dtype == np.float32 else v) for k, v in arrays.items()}
    np.savez_compressed(args.out, **arrays)
    print(f"wrote {args.out} in {time.perf_counter() - start:.0f}s")


if __name__ == "__main__":
    main()
