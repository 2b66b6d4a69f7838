"""Where and how an uploaded image is kept beside its record.

Files are named by the MD5 of their bytes, two levels deep so that no folder grows
too large: ``ocr/ab/abcdef....png``. The format is told from the file's first bytes
(the engine has already decoded and accepted the image), not from the client's name.
"""

from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.storage import Storage

STORED_IMAGE_DIR = "ocr"


@dataclass(frozen=True)
class ImageKind:
    extension: str
    content_type: str
    # Whether browsers show it in <img>; others are converted to PNG for the admin.
    browser_can_show: bool = True


PNG = ImageKind("png", "image/png")
JPEG = ImageKind("jpg", "image/jpeg")
GIF = ImageKind("gif", "image/gif")
BMP = ImageKind("bmp", "image/bmp")
WEBP = ImageKind("webp", "image/webp")
TIFF = ImageKind("tif", "image/tiff", browser_can_show=False)
UNKNOWN = ImageKind("bin", "application/octet-stream", browser_can_show=False)


def sniff(data: bytes) -> ImageKind:
    """The kind of image ``data`` holds, from its signature."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith(b"BM"):
        return BMP
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    return UNKNOWN


def stored_name(image_md5: str, data: bytes) -> str:
    """``ocr/ab/<md5>.<ext>`` for the image with these bytes."""
    return f"{STORED_IMAGE_DIR}/{image_md5[:2]}/{image_md5}.{sniff(data).extension}"


def store(storage: Storage, image_md5: str, data: bytes) -> tuple[str, bool]:
    """Write the image unless a file of that name (the same bytes) is there already.

    Returns the stored name and whether this call wrote it. A storage may pick
    another name when two writers race for the same one.
    """
    name = stored_name(image_md5, data)
    if storage.exists(name):
        return name, False
    return storage.save(name, ContentFile(data)), True
