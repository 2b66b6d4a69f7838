from rest_framework.routers import DefaultRouter

from ocr_record.views import OcrRecordViewSet

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("ocr_record", OcrRecordViewSet, basename="ocr_record")

urlpatterns = router.urls
