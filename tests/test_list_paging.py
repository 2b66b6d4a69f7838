"""The record list's count and order stay exact with the fast paths of pagination.py."""

import hashlib

import pytest
from django.conf import settings
from django.db import connection

from ocr_record.models import OcrRecord
from ocr_record.pagination import exact_table_count

pytestmark = pytest.mark.django_db
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
LIST_URL = "/api/ocr_record/"


def make_records(texts_and_sizes):
    return [
        OcrRecord.objects.create(
            image_md5=hashlib.md5(f"{text}-{size}".encode()).hexdigest(),
            image_size=size,
            content=list(text),
        )
        for text, size in texts_and_sizes
    ]


def test_unfiltered_count_follows_inserts_and_deletes(api_client):
    records = make_records([("Ab", 10), ("Cd", 20), ("Ef", 30), ("Gh", 40)])
    OcrRecord.objects.bulk_create(
        [OcrRecord(image_md5=hashlib.md5(b"bulk%d" % n).hexdigest(), image_size=n) for n in (1, 2)]
    )
    assert api_client.get(LIST_URL).json()["count"] == 6

    records[0].delete()
    OcrRecord.objects.filter(image_size__lte=2).delete()

    assert api_client.get(LIST_URL).json()["count"] == 3
    assert api_client.get(LIST_URL, {"image_size__gte": 25}).json()["count"] == 2


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://...")
# Committed rows: PostgreSQL refuses TRUNCATE while the inserts' deferred foreign-key
# checks (reviewed_by) are still pending in the same transaction.
@pytest.mark.django_db(transaction=True)
def test_the_trigger_counter_matches_count_star_after_a_truncate():
    make_records([("Ab", 10), ("Cd", 20)])
    assert exact_table_count(OcrRecord.objects.all()) == 2

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {OcrRecord._meta.db_table}")
    make_records([("Xy", 5)])

    assert exact_table_count(OcrRecord.objects.all()) == 1 == OcrRecord.objects.count()


def test_a_small_search_result_keeps_the_default_order_newest_first(api_client):
    records = make_records([("Hello", 10), ("World", 20), ("Hello", 30), ("Help", 40)])

    body = api_client.get(LIST_URL, {"search": "hel"}).json()

    assert body["count"] == 3
    expected = [r.id for r in sorted(records, key=lambda r: (r.created_at, r.id), reverse=True)]
    assert [row["id"] for row in body["results"]] == [i for i in expected if i != records[1].id]


def test_a_small_result_keeps_the_requested_ordering_and_paging(api_client):
    make_records([(f"Zz{n}", size) for n, size in enumerate([50, 10, 40, 20, 30])])

    first = api_client.get(LIST_URL, {"search": "zz", "ordering": "-image_size", "page_size": 2})
    second = api_client.get(
        LIST_URL, {"search": "zz", "ordering": "-image_size", "page_size": 2, "page": 2}
    )

    assert first.json()["count"] == 5
    assert [row["image_size"] for row in first.json()["results"]] == [50, 40]
    assert [row["image_size"] for row in second.json()["results"]] == [30, 20]
