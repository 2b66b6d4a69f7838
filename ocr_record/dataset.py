"""Labelled datasets: reviewed records as test cases for the benchmark.

The format (a ZIP, or the folder it unpacks to)::

    labels.tsv        one line per image: <file name> TAB <letters>, UTF-8, "\\n"
    images/<md5>.png  the image files, named by the MD5 of their bytes

``<letters>`` is the letters the image shows, A-Z a-z, written together ("Hello");
it is empty for an image without letters. Lines starting with ``#`` are comments.
``read_dataset(path)`` reads either form and yields ``LabelledImage`` items.
"""

import string
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

LABELS_FILE = "labels.tsv"
IMAGES_DIR = "images"
LETTERS = frozenset(string.ascii_letters)


class DatasetError(ValueError):
    """The dataset does not follow the format."""


@dataclass(frozen=True)
class LabelledImage:
    name: str  # the file name as written in labels.tsv ("images/<md5>.png")
    data: bytes  # the image file's bytes
    letters: list[str]  # the correct letters, one string each


def format_labels_line(name: str, letters: Iterable[str]) -> str:
    text = "".join(letters)
    if "\t" in name or "\n" in name:
        raise DatasetError(f"A file name cannot hold a tab or a new line: {name!r}.")
    if not set(text) <= LETTERS:
        raise DatasetError(f"Letters must be A-Z a-z, got {text!r} for {name}.")
    return f"{name}\t{text}\n"


def parse_labels(text: str) -> list[tuple[str, list[str]]]:
    """``(file name, letters)`` pairs from the text of a labels file."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        name, tab, letters = line.partition("\t")
        if not tab:
            raise DatasetError(f"{LABELS_FILE} line {number}: expected <file>TAB<letters>.")
        if not set(letters) <= LETTERS:
            raise DatasetError(f"{LABELS_FILE} line {number}: letters must be A-Z a-z.")
        path = PurePosixPath(name)
        if path.is_absolute() or ".." in path.parts or not name:
            raise DatasetError(f"{LABELS_FILE} line {number}: bad file name {name!r}.")
        entries.append((name, list(letters)))
    return entries


def write_dataset(items: Iterable[tuple[str, bytes, list[str]]], target) -> int:
    """Write ``(file name, bytes, letters)`` items as a dataset ZIP to a file object.

    Returns the number of images written.
    """
    lines = ["# file\tletters (A-Z a-z; empty: no letters)\n"]
    count = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data, letters in items:
            lines.append(format_labels_line(name, letters))
            archive.writestr(name, data)
            count += 1
        archive.writestr(LABELS_FILE, "".join(lines))
    return count


def read_dataset(path: str | Path) -> Iterator[LabelledImage]:
    """The labelled images of a dataset ZIP or of the folder it was unpacked to."""
    path = Path(path)
    if path.is_dir():
        labels = (path / LABELS_FILE).read_text(encoding="utf-8")
        for name, letters in parse_labels(labels):
            yield LabelledImage(name, (path / name).read_bytes(), letters)
        return
    with zipfile.ZipFile(path) as archive:
        try:
            labels = archive.read(LABELS_FILE).decode("utf-8")
        except KeyError as exc:
            raise DatasetError(f"{path} has no {LABELS_FILE}.") from exc
        for name, letters in parse_labels(labels):
            yield LabelledImage(name, archive.read(name), letters)
