"""Exceptions raised by the engine; the API maps each to one HTTP status."""


class EngineError(Exception):
    """Base class for everything the engine raises on purpose."""


class InvalidImage(EngineError):
    """The bytes are not an image we can read (empty, corrupt, truncated, not an image)."""


class UnsupportedImageFormat(InvalidImage):
    """A real image, but in a format the service does not accept."""


class ImageTooLarge(InvalidImage):
    """The image declares more pixels than the configured limit (decompression bomb guard)."""


class EngineUnavailable(EngineError):
    """Tesseract or its language data cannot be loaded or run."""


class RecognitionTimeout(EngineError):
    """Reading the image took longer than the caller's time limit."""
