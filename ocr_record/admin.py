"""Review in the Django admin: see each image, correct its letters, re-run, export."""

import io
import string
import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from ocr_record import dataset, services, stored_images
from ocr_record.engine import EngineError, load_image
from ocr_record.models import OcrRecord

LETTERS = frozenset(string.ascii_letters)
# Confidence bands for the filter, lowest first: (query value, label, lower, upper).
CONFIDENCE_BANDS = [
    ("low", "below 50", None, 50),
    ("medium", "50 to 80", 50, 80),
    ("high", "80 and above", 80, None),
]


class OcrRecordForm(forms.ModelForm):
    """The letters as one line of text ("Hello"); spaces between letters are ignored."""

    letters = forms.CharField(
        label="识别结果 (letters)",
        required=False,
        max_length=1000,
        help_text="The letters the image shows, A-Z and a-z only, e.g. Hello. Leave "
        "empty for an image without letters. Saving marks the record reviewed.",
        widget=forms.TextInput(attrs={"class": "vTextField ocr-letters-input", "size": 40}),
    )

    class Meta:
        model = OcrRecord
        fields: list[str] = []

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["letters"].initial = "".join(self.instance.content or [])

    def clean_letters(self) -> list[str]:
        text = "".join(self.cleaned_data["letters"].split())
        wrong = sorted({char for char in text if char not in LETTERS})
        if wrong:
            raise forms.ValidationError(
                "Only the letters A-Z and a-z are allowed; not: %(wrong)s.",
                code="not_letters",
                params={"wrong": " ".join(repr(char) for char in wrong)},
            )
        return list(text)

    def save(self, commit: bool = True) -> OcrRecord:
        self.instance.content = self.cleaned_data["letters"]
        return super().save(commit=commit)


class ReviewedFilter(admin.SimpleListFilter):
    title = "reviewed"
    parameter_name = "reviewed"

    def lookups(self, request, model_admin):
        return [("no", "Not reviewed"), ("yes", "Reviewed")]

    def queryset(self, request, queryset: QuerySet[OcrRecord]) -> QuerySet[OcrRecord]:
        if self.value() == "no":
            return queryset.filter(reviewed_at__isnull=True)
        if self.value() == "yes":
            return queryset.filter(reviewed_at__isnull=False)
        return queryset


class ConfidenceFilter(admin.SimpleListFilter):
    """Engine confidence bands, lowest first; picking one lists its lowest first."""

    title = "engine confidence"
    parameter_name = "confidence"

    def lookups(self, request, model_admin):
        return [(value, label) for value, label, _, _ in CONFIDENCE_BANDS] + [
            ("unknown", "unknown")
        ]

    def queryset(self, request, queryset: QuerySet[OcrRecord]) -> QuerySet[OcrRecord]:
        if self.value() == "unknown":
            return queryset.filter(confidence__isnull=True)
        for value, _label, lower, upper in CONFIDENCE_BANDS:
            if self.value() == value:
                condition = Q(confidence__isnull=False)
                if lower is not None:
                    condition &= Q(confidence__gte=lower)
                if upper is not None:
                    condition &= Q(confidence__lt=upper)
                return queryset.filter(condition)
        return queryset


@admin.register(OcrRecord)
class OcrRecordAdmin(admin.ModelAdmin):
    form = OcrRecordForm
    list_display = [
        "id",
        "thumbnail",
        "letters",
        "created_at",
        "image_md5",
        "image_size",
        "confidence_shown",
        "is_reviewed",
    ]
    list_display_links = ["id", "thumbnail"]
    list_filter = [
        ("created_at", admin.DateFieldListFilter),
        ReviewedFilter,
        ConfidenceFilter,
    ]
    list_select_related = ["reviewed_by"]
    search_fields = ["image_md5", "content_text"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    readonly_fields = [
        "id",
        "created_at",
        "image_md5",
        "image_size",
        "image_large",
        "engine_letters",
        "confidence_shown",
        "reviewed_at",
        "reviewed_by",
    ]
    fieldsets = [
        (None, {"fields": ["image_large", "letters", "engine_letters", "confidence_shown"]}),
        ("Review", {"fields": ["reviewed_at", "reviewed_by"]}),
        ("Record", {"fields": ["id", "created_at", "image_md5", "image_size"]}),
    ]
    actions = ["rerun_recognition", "export_dataset"]

    class Media:
        css = {"all": ["ocr_record/admin.css"]}

    # --- list and detail columns ----------------------------------------------------

    @admin.display(description="识别结果")
    def letters(self, record: OcrRecord) -> str:
        return " ".join(record.content)

    @admin.display(description="image")
    def thumbnail(self, record: OcrRecord) -> str:
        if not record.image:
            return self.get_empty_value_display()
        return format_html(
            '<img class="ocr-thumb" src="{}" alt="image of record {}" loading="lazy">',
            self._image_url(record),
            record.pk,
        )

    @admin.display(description="image")
    def image_large(self, record: OcrRecord) -> str:
        if not record.image:
            return "No image is stored for this record (OCR_STORE_IMAGES was off)."
        return format_html(
            '<a href="{0}" target="_blank" rel="noopener">'
            '<img class="ocr-large" src="{0}" alt="image of record {1}"></a>',
            self._image_url(record),
            record.pk,
        )

    @admin.display(description="engine's letters")
    def engine_letters(self, record: OcrRecord) -> str:
        return " ".join(record.engine_content) or "(none)"

    @admin.display(description="engine confidence", ordering="confidence")
    def confidence_shown(self, record: OcrRecord) -> str:
        if record.confidence is None:
            return "unknown"
        return f"{record.confidence:.0f}"

    @admin.display(description="reviewed", boolean=True, ordering="reviewed_at")
    def is_reviewed(self, record: OcrRecord) -> bool:
        return record.reviewed

    # --- behaviour --------------------------------------------------------------------

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # records come from uploads (the API or recognise_folder)

    def get_ordering(self, request: HttpRequest) -> list[str]:
        if request.GET.get(ConfidenceFilter.parameter_name):
            return ["confidence", "-created_at", "-id"]  # the least sure first
        return super().get_ordering(request)

    def save_model(self, request: HttpRequest, obj: OcrRecord, form, change: bool) -> None:
        if change:
            obj.reviewed_at = timezone.now()
            obj.reviewed_by = request.user
        super().save_model(request, obj, form, change)

    def get_urls(self):
        view = self.admin_site.admin_view(self.image_view)
        return [
            path("<path:object_id>/image/", view, name="ocr_record_ocrrecord_image"),
            *super().get_urls(),
        ]

    def _image_url(self, record: OcrRecord) -> str:
        return reverse("admin:ocr_record_ocrrecord_image", args=[record.pk])

    def image_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The stored image, to staff who may view records only (it is never public)."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        if not object_id.isdigit():
            raise Http404
        record = get_object_or_404(OcrRecord, pk=int(object_id))
        try:
            data = services.read_stored_image(record)
        except services.StoredImageMissing as exc:
            raise Http404(str(exc)) from exc
        kind = stored_images.sniff(data)
        if kind.browser_can_show:
            response = FileResponse(io.BytesIO(data), content_type=kind.content_type)
        else:  # TIFF: show the engine's normalised greyscale image as PNG
            try:
                image = load_image(data)
            except EngineError as exc:
                raise Http404("The stored image cannot be decoded.") from exc
            buffer = io.BytesIO()
            image.save(buffer, "PNG")
            response = HttpResponse(buffer.getvalue(), content_type="image/png")
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        response["Cache-Control"] = "private, max-age=3600"
        return response

    # --- actions ----------------------------------------------------------------------

    @admin.action(description="Re-run recognition on the selected records")
    def rerun_recognition(self, request: HttpRequest, queryset: QuerySet[OcrRecord]) -> None:
        done, missing, failed = 0, [], []
        for record in queryset:
            try:
                services.rerun_recognition(record)
            except services.StoredImageMissing:
                missing.append(record.pk)
            except EngineError as exc:
                failed.append(f"{record.pk} ({exc})")
            else:
                done += 1
        if done:
            self.message_user(
                request,
                f"Recognised {done} record(s) again. Reviewed letters were kept; the "
                "engine's letters and confidence were updated.",
                messages.SUCCESS,
            )
        if missing:
            self.message_user(
                request,
                f"Skipped {len(missing)} record(s) without a stored image: "
                f"{', '.join(map(str, missing))}.",
                messages.WARNING,
            )
        if failed:
            self.message_user(
                request, f"Recognition failed for: {'; '.join(failed)}.", messages.ERROR
            )

    @admin.action(description="Export selected reviewed records as a labelled dataset (ZIP)")
    def export_dataset(self, request: HttpRequest, queryset: QuerySet[OcrRecord]):
        reviewed = queryset.filter(reviewed_at__isnull=False).order_by("id")
        skipped: list[int] = []

        def items():
            for record in reviewed.iterator():
                try:
                    data = services.read_stored_image(record)
                except services.StoredImageMissing:
                    skipped.append(record.pk)
                    continue
                kind = stored_images.sniff(data)
                name = f"{dataset.IMAGES_DIR}/{record.image_md5}.{kind.extension}"
                yield name, data, record.content

        # FileResponse closes it once sent.
        archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115
        count = dataset.write_dataset(items(), archive)
        if count == 0:
            archive.close()
            self.message_user(
                request,
                "None of the selected records is reviewed and has a stored image; "
                "nothing to export.",
                messages.WARNING,
            )
            return None
        if skipped:
            self.message_user(
                request,
                f"Left out {len(skipped)} reviewed record(s) without a stored image: "
                f"{', '.join(map(str, skipped))}.",
                messages.WARNING,
            )
        archive.seek(0)
        stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
        return FileResponse(
            archive,
            as_attachment=True,
            filename=f"ocr-dataset-{stamp}.zip",
            content_type="application/zip",
        )
