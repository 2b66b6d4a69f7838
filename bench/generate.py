"""Deterministic generator of labelled letter images for the benchmark.

Every sample is rebuilt from a seed, so the set is identical on every machine with
the same fonts and Pillow. Groups:

- ``single``: every letter A-Z a-z alone, in each font of the set, at assorted sizes,
  colours (dark-on-light, light-on-dark, coloured, transparent PNG) and file formats.
- ``string``: random strings of 3-8 letters with the font's natural spacing, sometimes
  with one space in them.
- ``degraded``: single letters and strings with one or two of: blur, noise, rotation
  up to 5 degrees, JPEG quality 15-35, low contrast, specks.

Fonts: ``tune`` holds the DejaVu and Noto (fonts-noto-core) families, the only ones
the engine is tuned or trained on; ``holdout`` holds Liberation and GNU FreeFont,
kept for an independent check.

``python -m bench.generate --out bench/out`` writes the images and a ``labels.csv``;
the runner generates the same samples in memory.
"""

from __future__ import annotations

import argparse
import csv
import io
import logging
import random
import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

logger = logging.getLogger(__name__)

DEJAVU = "/usr/share/fonts/truetype/dejavu/"
NOTO = "/usr/share/fonts/truetype/noto/"
LIBERATION = "/usr/share/fonts/truetype/liberation2/"
FREEFONT = "/usr/share/fonts/truetype/freefont/"

FONT_SETS: dict[str, tuple[str, ...]] = {
    "tune": (
        DEJAVU + "DejaVuSans.ttf",
        DEJAVU + "DejaVuSans-Bold.ttf",
        DEJAVU + "DejaVuSerif.ttf",
        DEJAVU + "DejaVuSerif-Bold.ttf",
        DEJAVU + "DejaVuSansMono.ttf",
        DEJAVU + "DejaVuSansCondensed.ttf",
        NOTO + "NotoSans-Regular.ttf",
        NOTO + "NotoSans-Bold.ttf",
        NOTO + "NotoSerif-Regular.ttf",
        NOTO + "NotoSerif-Bold.ttf",
        NOTO + "NotoSansDisplay-Regular.ttf",
        NOTO + "NotoSerifDisplay-Regular.ttf",
    ),
    "holdout": (
        LIBERATION + "LiberationSans-Regular.ttf",
        LIBERATION + "LiberationSans-Bold.ttf",
        LIBERATION + "LiberationSerif-Regular.ttf",
        LIBERATION + "LiberationSerif-Bold.ttf",
        LIBERATION + "LiberationMono-Regular.ttf",
        FREEFONT + "FreeSans.ttf",
        FREEFONT + "FreeSansBold.ttf",
        FREEFONT + "FreeSerif.ttf",
        FREEFONT + "FreeSerifBold.ttf",
        FREEFONT + "FreeMono.ttf",
    ),
}

LETTERS: str = string.ascii_letters
GROUPS: tuple[str, ...] = ("single", "string", "degraded")
# Samples per group in the default run; --quick divides them by QUICK_FACTOR.
DEFAULT_COUNTS: dict[str, int] = {"single": 156, "string": 150, "degraded": 150}
QUICK_FACTOR: int = 3
SEED: int = 20261125

# Text height in pixels (height of a capital letter), small to large.
TEXT_HEIGHTS: tuple[int, ...] = (14, 16, 20, 24, 32, 40, 56, 80, 120, 180)
DEGRADED_HEIGHTS: tuple[int, ...] = (18, 22, 28, 36, 48, 64)
FORMATS: tuple[str, ...] = ("PNG", "JPEG", "GIF", "BMP", "WEBP")
DEGRADATIONS: tuple[str, ...] = (
    "blur",
    "noise",
    "rotate",
    "jpeg",
    "contrast",
    "specks",
)


@dataclass(frozen=True)
class Sample:
    """One labelled image: ``label`` is the letter sequence the engine should return."""

    id: str
    group: str
    font_set: str
    font: str
    text: str
    label: str
    style: str
    format: str
    text_height: int
    degradations: tuple[str, ...]
    data: bytes


@cache
def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


@cache
def _cap_ratio(path: str) -> float:
    """Cap height / font size for ``path``, so text heights mean the same in every font."""
    font = _font(path, 200)
    _left, top, _right, bottom = font.getbbox("H")
    return (bottom - top) / 200


def _luminance(rgb: tuple[int, int, int]) -> float:
    return 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]


def _colours(rng: random.Random, style: str, low_contrast: bool) -> tuple[tuple, tuple]:
    """Foreground and background colours for ``style``."""
    if low_contrast:
        base = rng.randint(90, 200)
        gap = rng.randint(40, 60)
        fg, bg = (base - gap // 2,) * 3, (base + gap // 2,) * 3
        return (fg, bg) if style != "light-on-dark" else (bg, fg)
    if style == "dark-on-light" or style == "transparent":
        return (rng.randint(0, 60),) * 3, (rng.randint(200, 255),) * 3
    if style == "light-on-dark":
        return (rng.randint(200, 255),) * 3, (rng.randint(0, 70),) * 3
    while True:  # coloured: any two colours far enough apart in luminance
        fg = tuple(rng.randint(0, 255) for _ in range(3))
        bg = tuple(rng.randint(0, 255) for _ in range(3))
        if abs(_luminance(fg) - _luminance(bg)) >= 90:
            return fg, bg


def random_text(rng: random.Random) -> str:
    length = rng.randint(3, 8)
    text = "".join(rng.choice(LETTERS) for _ in range(length))
    if rng.random() < 0.25:
        cut = rng.randint(1, length - 1)
        text = text[:cut] + " " + text[cut:]
    return text


def render(
    text: str,
    font_path: str,
    text_height: int,
    *,
    rng: random.Random,
    style: str = "dark-on-light",
    fmt: str = "PNG",
    degradations: tuple[str, ...] = (),
) -> bytes:
    """Draw ``text`` and encode it as ``fmt``; deterministic for a given ``rng`` state."""
    size = max(6, round(text_height / _cap_ratio(font_path)))
    font = _font(font_path, size)
    fg, bg = _colours(rng, style, "contrast" in degradations)
    left, top, right, bottom = font.getbbox(text)
    margin_x = round(text_height * rng.uniform(0.2, 1.0)) + 2
    margin_y = round(text_height * rng.uniform(0.2, 0.8)) + 2
    width, height = right - left + 2 * margin_x, bottom - top + 2 * margin_y
    if style == "transparent":
        image = Image.new("RGBA", (width, height), (*bg, 0))
        ImageDraw.Draw(image).text((margin_x - left, margin_y - top), text, font=font, fill=fg)
    else:
        image = Image.new("RGB", (width, height), bg)
        ImageDraw.Draw(image).text((margin_x - left, margin_y - top), text, font=font, fill=fg)
    image = _degrade(image, degradations, rng=rng, bg=bg, fg=fg, text_height=text_height)
    return _encode(image, fmt, quality=rng.randint(15, 35) if "jpeg" in degradations else 90)


def _degrade(image, degradations, *, rng, bg, fg, text_height) -> Image.Image:
    if "rotate" in degradations:
        angle = rng.uniform(-5, 5)
        fill = (*bg, 0) if image.mode == "RGBA" else bg
        image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=fill)
    if "specks" in degradations:
        draw = ImageDraw.Draw(image)
        for _ in range(rng.randint(3, 12)):
            x, y = rng.randrange(image.width), rng.randrange(image.height)
            r = rng.uniform(0.5, max(1.0, text_height / 20))
            draw.ellipse((x - r, y - r, x + r, y + r), fill=fg)
    if "blur" in degradations:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 0.6) * text_height / 14))
    if "noise" in degradations:
        pixels = np.asarray(image).astype(np.float32)
        seed = rng.randrange(2**32)
        noise = np.random.default_rng(seed).normal(0, rng.uniform(10, 30), pixels.shape[:2])
        pixels[..., :3] += noise[..., None]
        image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode=image.mode)
    return image


def _encode(image: Image.Image, fmt: str, *, quality: int = 90) -> bytes:
    buffer = io.BytesIO()
    if fmt == "JPEG":
        image.convert("RGB").save(buffer, "JPEG", quality=quality)
    elif fmt == "GIF":
        image.convert("RGB").quantize(64).save(buffer, "GIF")
    elif fmt == "BMP":
        image.convert("RGB").save(buffer, "BMP")
    elif fmt == "WEBP":
        image.save(buffer, "WEBP", quality=quality if quality < 90 else 95)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _style(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.5:
        return "dark-on-light"
    if roll < 0.65:
        return "light-on-dark"
    if roll < 0.85:
        return "coloured"
    return "transparent"


def generate(
    font_set: str = "tune", *, counts: dict[str, int] | None = None, seed: int = SEED
) -> list[Sample]:
    """All samples for ``font_set``; the same arguments always give the same bytes."""
    fonts = FONT_SETS[font_set]
    counts = counts or DEFAULT_COUNTS
    samples: list[Sample] = []
    for group in GROUPS:
        for index in range(counts.get(group, 0)):
            rng = random.Random(f"{seed}-{font_set}-{group}-{index}")
            font = fonts[index % len(fonts)] if group == "single" else rng.choice(fonts)
            degradations: tuple[str, ...] = ()
            if group == "single":
                text = LETTERS[index % len(LETTERS)]
                height = rng.choice(TEXT_HEIGHTS)
            elif group == "string":
                text = random_text(rng)
                height = rng.choice(TEXT_HEIGHTS[:8])
            else:
                text = rng.choice(LETTERS) if rng.random() < 0.4 else random_text(rng)
                height = rng.choice(DEGRADED_HEIGHTS)
                degradations = tuple(sorted(rng.sample(DEGRADATIONS, rng.choice((1, 1, 2)))))
            style = _style(rng)
            # Low contrast is grey on grey; and JPEG has no alpha channel to be transparent in.
            if ("contrast" in degradations and style in ("coloured", "transparent")) or (
                "jpeg" in degradations and style == "transparent"
            ):
                style = "dark-on-light"
            fmt = "PNG" if style == "transparent" else rng.choice(FORMATS)
            if "jpeg" in degradations:
                fmt = "JPEG"
            data = render(
                text,
                font,
                height,
                rng=rng,
                style=style,
                fmt=fmt,
                degradations=degradations,
            )
            samples.append(
                Sample(
                    id=f"{font_set}-{group}-{index:04d}",
                    group=group,
                    font_set=font_set,
                    font=Path(font).stem,
                    text=text,
                    label=text.replace(" ", ""),
                    style=style,
                    format=fmt,
                    text_height=height,
                    degradations=degradations,
                    data=data,
                )
            )
    return samples


def scaled_counts(quick: bool = False, limit: int | None = None) -> dict[str, int]:
    counts = {g: (n // QUICK_FACTOR if quick else n) for g, n in DEFAULT_COUNTS.items()}
    if limit is not None:
        counts = {g: min(n, limit) for g, n in counts.items()}
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="bench/out", help="folder for images and labels.csv")
    parser.add_argument("--fonts", choices=("tune", "holdout", "both"), default="both")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    font_sets = ("tune", "holdout") if args.fonts == "both" else (args.fonts,)
    with open(out / "labels.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "group", "font_set", "font", "label", "style", "degradations"])
        for font_set in font_sets:
            for sample in generate(font_set, counts=scaled_counts(args.quick)):
                name = f"{sample.id}.{sample.format.lower()}"
                (out / name).write_bytes(sample.data)
                writer.writerow(
                    [
                        name,
                        sample.group,
                        font_set,
                        sample.font,
                        sample.label,
                        sample.style,
                        "+".join(sample.degradations),
                    ]
                )
    print(f"wrote images and labels.csv to {out}")


if __name__ == "__main__":
    main()
