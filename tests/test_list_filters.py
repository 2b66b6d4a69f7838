"""GET /api/ocr_record/ and /api/ocr_record/{id}/: paging, filters, search, ordering."""

import datetime
import hashlib

import pytest
from django.utils import timezone

from ocr_record.models import OcrRecord
from tests.conftest import LIST_URL

pytestmark = pytest.mark.django_db

RECORD_FIELDS = {"id", "created_at", "image_md5", "image_size", "content"}


def make_record(number: int, *, content: list[str] | None = None, size: int | None = None):
    record = OcrRecord.objects.create(
        image_md5=hashlib.md5(str(number).encode()).hexdigest(),
        image_size=size if size is not None else 100 * number,
        content=content if content is not None else ["A"],
    )
    return record


def set_created_at(record: OcrRecord, when: datetime.datetime) -> None:
    OcrRecord.objects.filter(pk=record.pk).update(created_at=when)


def ids(response) -> list[int]:
    return [item["id"] for item in response.json()["results"]]


def test_an_empty_list_has_the_paginated_shape(api_client):
    response = api_client.get(LIST_URL)

    assert response.status_code == 200
    assert response.json() == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_record_has_exactly_the_contract_fields(api_client):
    record = make_record(1, content=["H", "i"], size=1234)

    item = api_client.get(LIST_URL).json()["results"][0]

    assert set(item) == RECORD_FIELDS
    assert item["id"] == record.id
    assert item["image_md5"] == record.image_md5
    assert item["image_size"] == 1234
    assert item["content"] == ["H", "i"]
    parsed = datetime.datetime.fromisoformat(item["created_at"].replace("Z", "+00:00"))
    assert parsed.tzinfo is not None


def test_detail_returns_one_record(api_client):
    record = make_record(7, content=["Z"])

    response = api_client.get(f"{LIST_URL}{record.id}/")

    assert response.status_code == 200
    assert response.json()["id"] == record.id
    assert response.json()["content"] == ["Z"]
    assert set(response.json()) == RECORD_FIELDS


@pytest.mark.parametrize("unknown", ["999999", "abc"])
def test_detail_of_an_unknown_id_is_404(api_client, unknown):
    make_record(1)

    response = api_client.get(f"{LIST_URL}{unknown}/")

    assert response.status_code == 404
    assert "detail" in response.json()


def test_default_page_is_20_newest_first_with_links(api_client):
    records = [make_record(n) for n in range(25)]
    base = timezone.now()
    for offset, record in enumerate(records):
        set_created_at(record, base - datetime.timedelta(minutes=offset))

    body = api_client.get(LIST_URL).json()

    assert body["count"] == 25
    assert ids(api_client.get(LIST_URL)) == [r.id for r in records[:20]]
    assert body["previous"] is None
    assert body["next"].endswith(f"{LIST_URL}?page=2")
    second = api_client.get(LIST_URL, {"page": 2}).json()
    assert [item["id"] for item in second["results"]] == [r.id for r in records[20:]]
    assert second["next"] is None
    assert second["previous"] is not None


def test_page_size_is_honoured_and_capped_at_100(api_client):
    OcrRecord.objects.bulk_create(
        OcrRecord(image_md5=hashlib.md5(str(n).encode()).hexdigest(), image_size=n, content=[])
        for n in range(105)
    )

    assert len(api_client.get(LIST_URL, {"page_size": 5}).json()["results"]) == 5
    assert len(api_client.get(LIST_URL, {"page_size": 1000}).json()["results"]) == 100


def test_a_page_past_the_end_is_404(api_client):
    make_record(1)

    response = api_client.get(LIST_URL, {"page": 3})

    assert response.status_code == 404
    assert response.json()["detail"] == "Invalid page."


def test_filter_by_id_and_by_md5(api_client):
    first, second = make_record(1), make_record(2)

    assert ids(api_client.get(LIST_URL, {"id": second.id})) == [second.id]
    assert ids(api_client.get(LIST_URL, {"image_md5": first.image_md5})) == [first.id]
    assert ids(api_client.get(LIST_URL, {"image_md5": first.image_md5.upper()})) == []


def test_filter_by_size_range_is_inclusive(api_client):
    small, middle, large = make_record(1, size=10), make_record(2, size=20), make_record(3, size=30)

    response = api_client.get(LIST_URL, {"image_size__gte": 20, "image_size__lte": 30})

    assert sorted(ids(response)) == sorted([middle.id, large.id])
    assert ids(api_client.get(LIST_URL, {"image_size__lte": 10})) == [small.id]


def test_filter_by_creation_time_range(api_client):
    old, recent = make_record(1), make_record(2)
    set_created_at(old, datetime.datetime(2024, 1, 1, 12, 0, tzinfo=datetime.UTC))
    set_created_at(recent, datetime.datetime(2025, 6, 1, 12, 0, tzinfo=datetime.UTC))

    assert ids(api_client.get(LIST_URL, {"created_at__gte": "2025-01-01T00:00:00Z"})) == [recent.id]
    assert ids(api_client.get(LIST_URL, {"created_at__lte": "2024-01-01T12:00:00+00:00"})) == [
        old.id
    ]
    between = {"created_at__gte": "2023-12-31", "created_at__lte": "2025-06-02"}
    assert sorted(ids(api_client.get(LIST_URL, between))) == sorted([old.id, recent.id])


@pytest.mark.parametrize(
    ("parameter", "value"),
    [
        ("created_at__lte", "not-a-date"),
        ("created_at__gte", "2025-13-45"),
        ("image_size__lte", "big"),
        ("image_size__gte", "1.5.3"),
        ("id", "one"),
    ],
)
def test_a_malformed_filter_is_a_400_naming_the_parameter(api_client, parameter, value):
    response = api_client.get(LIST_URL, {parameter: value})

    assert response.status_code == 400
    assert parameter in response.json()
    assert response.json()[parameter][0]


def test_search_matches_md5_and_letters(api_client):
    hello = make_record(1, content=list("Hello"))
    world = make_record(2, content=list("World"))

    assert ids(api_client.get(LIST_URL, {"search": "hello"})) == [hello.id]
    assert ids(api_client.get(LIST_URL, {"search": "orl"})) == [world.id]
    assert ids(api_client.get(LIST_URL, {"search": world.image_md5[:10]})) == [world.id]
    assert ids(api_client.get(LIST_URL, {"search": "nothing-like-it"})) == []


@pytest.mark.parametrize("field", ["id", "created_at", "image_size"])
def test_ordering_by_each_field_in_both_directions(api_client, field):
    records = [make_record(n, size=size) for n, size in enumerate([30, 10, 20])]
    base = timezone.now()
    for offset, record in zip([2, 0, 1], records, strict=True):
        set_created_at(record, base + datetime.timedelta(minutes=offset))
    expected = sorted(
        OcrRecord.objects.all(), key=lambda record: (getattr(record, field), record.id)
    )

    ascending = ids(api_client.get(LIST_URL, {"ordering": field}))
    descending = ids(api_client.get(LIST_URL, {"ordering": f"-{field}"}))

    assert ascending == [record.id for record in expected]
    assert descending == list(reversed(ascending))


def test_ordering_by_an_unknown_field_falls_back_to_newest_first(api_client):
    old, new = make_record(1), make_record(2)
    set_created_at(old, timezone.now() - datetime.timedelta(days=1))

    assert ids(api_client.get(LIST_URL, {"ordering": "content"})) == [new.id, old.id]
