"""``manage.py recognise_folder PATH``: recognise every image in a folder as the API would."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from ocr_record import services
from ocr_record.engine import EngineError, EngineUnavailable
from ocr_record.models import OcrRecord


class Command(BaseCommand):
    help = (
        "Recognise the images in a folder and store a record for each, exactly as "
        "POST /api/ocr_record/parse_letter/ does (an image seen before keeps its record)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("path", type=Path, help="the folder of images")
        parser.add_argument(
            "--pattern",
            default="*",
            help="which file names to read, a glob such as '*.png' (default: all files)",
        )
        parser.add_argument("--recursive", action="store_true", help="look in sub-folders too")
        parser.add_argument("--show-letters", action="store_true", help="print each file's letters")

    def handle(self, *args, path: Path, pattern: str, recursive: bool, **options) -> None:
        if not path.is_dir():
            raise CommandError(f"{path} is not a folder.")
        files = sorted(
            p for p in (path.rglob(pattern) if recursive else path.glob(pattern)) if p.is_file()
        )
        if not files:
            raise CommandError(f"No files match {pattern!r} in {path}.")

        new = known = 0
        failed: list[str] = []
        progress = tqdm(files, unit="image", file=_Unended(self.stderr), dynamic_ncols=True)
        for file in progress:
            progress.set_postfix_str(file.name, refresh=False)
            try:
                outcome = self._recognise(file)
            except EngineUnavailable as exc:
                progress.close()
                raise CommandError(f"The OCR engine cannot run: {exc}") from exc
            except (EngineError, OSError, _TooLarge) as exc:
                failed.append(f"{file}: {exc}")
                continue
            record, created = outcome
            new += created
            known += not created
            if options["show_letters"]:
                progress.write(f"{file}\t{''.join(record.content)}", file=_Unended(self.stdout))
        progress.close()

        for line in failed:
            self.stderr.write(f"failed: {line}")
        self.stdout.write(
            f"{len(files)} file(s): {new} new record(s), {known} already known, "
            f"{len(failed)} failed."
        )
        if failed:
            raise CommandError(f"{len(failed)} of {len(files)} file(s) could not be recognised.")

    def _recognise(self, file: Path) -> tuple[OcrRecord, bool]:
        size = file.stat().st_size
        if size > settings.OCR_MAX_UPLOAD_BYTES:
            raise _TooLarge(
                f"{size} bytes is larger than the upload limit of "
                f"{settings.OCR_MAX_UPLOAD_BYTES} bytes"
            )
        data = file.read_bytes()
        image_md5 = services.md5_hex(data)
        existed = OcrRecord.objects.filter(image_md5=image_md5).exists()
        record = services.parse_letters(data=data, image_md5=image_md5)
        return record, not existed


class _TooLarge(Exception):
    pass


class _Unended:
    """A command's output stream without the new line Django adds to every write,
    so that the progress bar redraws in place."""

    def __init__(self, wrapper) -> None:
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()
