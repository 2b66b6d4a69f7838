"""Decoding and normalising uploaded images with Pillow.

Every upload ends as an 8-bit greyscale image with dark or light text on a flat
background: EXIF orientation applied, transparency flattened onto white, palette,
CMYK, 16-bit and float images converted. Only the first frame of an animated GIF
or multi-page TIFF is read.
"""

import io
import logging
import warnings

import numpy as np
from PIL import Image, ImageOps

from ocr_record.engine.errors import ImageTooLarge, InvalidImage, UnsupportedImageFormat

logger = logging.getLogger(__name__)

# Pillow format names we accept ("MPO" is what Pillow calls many camera JPEGs).
SUPPORTED_FORMATS: tuple[str, ...] = ("PNG", "JPEG", "MPO", "GIF", "BMP", "WEBP", "TIFF")
DEFAULT_MAX_PIXELS: int = 25_000_000


def load_image(data: bytes, *, max_pixels: int = DEFAULT_MAX_PIXELS) -> Image.Image:
    """Decode ``data`` and return it as a normalised greyscale ("L") image."""
    if not data:
        raise InvalidImage("The uploaded file is empty.")
    image = _open(data, max_pixels=max_pixels)
    try:
        image.seek(0)
        image.load()
        image = ImageOps.exif_transpose(image)
        return _to_greyscale(image)
    except InvalidImage:
        raise
    except Exception as exc:
        # Truncated data (OSError), bad structures (SyntaxError, ValueError, struct.error,
        # IndexError...) and broken EXIF all mean the same to the client.
        logger.info("Could not decode image: %r", exc)
        raise InvalidImage("The image is truncated or corrupt and cannot be read.") from exc


def _open(data: bytes, *, max_pixels: int) -> Image.Image:
    with warnings.catch_warnings():
        # Our own pixel limit applies below; Pillow's global one must not fire first.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
        except Image.DecompressionBombError as exc:
            raise ImageTooLarge(_too_large_message(max_pixels)) from exc
        except Exception as exc:  # UnidentifiedImageError, OSError, SyntaxError, ValueError...
            logger.info("Could not identify image: %r", exc)
            raise InvalidImage(
                "The file is not an image that can be read. "
                f"Send one of: {', '.join(_public_formats())}."
            ) from exc
    if image.format not in SUPPORTED_FORMATS:
        raise UnsupportedImageFormat(
            f"Image format {image.format} is not supported. "
            f"Send one of: {', '.join(_public_formats())}."
        )
    width, height = image.size
    if width < 1 or height < 1:
        raise InvalidImage("The image has no pixels.")
    if width * height > max_pixels:
        raise ImageTooLarge(_too_large_message(max_pixels, width, height))
    return image


def _public_formats() -> list[str]:
    return [name for name in SUPPORTED_FORMATS if name != "MPO"]


def _too_large_message(max_pixels: int, width: int = 0, height: int = 0) -> str:
    size = f" ({width}x{height})" if width and height else ""
    return f"The image has too many pixels{size}; the limit is {max_pixels} pixels."


def _to_greyscale(image: Image.Image) -> Image.Image:
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I", "F"):
        return _scale_to_8_bit(image)
    if mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    elif mode == "PA":
        image = image.convert("RGBA")
    elif mode not in ("L", "LA", "RGB", "RGBA"):
        # CMYK, YCbCr, LAB, HSV, 1, La, RGBa...
        image = image.convert("RGBA" if "A" in mode or "a" in mode else "RGB")
    if image.mode in ("LA", "RGBA"):
        background = Image.new("RGBA", image.size, (255, 255, 255, 255))
        background.alpha_composite(image.convert("RGBA"))
        image = background
    return image.convert("L")


def _scale_to_8_bit(image: Image.Image) -> Image.Image:
    """Map 16-bit and float samples onto 0..255 by their actual range."""
    pixels = np.asarray(image, dtype=np.float64)
    if pixels.ndim != 2 or pixels.size == 0:
        raise InvalidImage("The image has no readable pixels.")
    pixels = np.nan_to_num(pixels, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(pixels.min()), float(pixels.max())
    if high - low < 1e-9:
        scaled = np.full(pixels.shape, 255, dtype=np.uint8)
    else:
        scaled = ((pixels - low) * (255.0 / (high - low))).round().astype(np.uint8)
    return Image.fromarray(scaled, mode="L")
