"""OpenAPI generation tuned to the published contract (docs/django-ocr-v1.0.0)."""

from drf_spectacular.openapi import AutoSchema


class ContractAutoSchema(AutoSchema):
    def _get_serializer_field_meta(self, field, direction):
        meta = super()._get_serializer_field_meta(field, direction)
        # drf-spectacular drops a label that only re-cases the field name ("Id" for id);
        # the published contract keeps it when it was given explicitly. DRF fills in a
        # label for every bound field, so only the constructor's arguments tell.
        explicit_label = getattr(field, "_kwargs", {}).get("label")
        if explicit_label and "title" not in meta:
            meta["title"] = str(explicit_label)
        return meta
