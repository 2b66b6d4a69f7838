"""A search for 1 or 2 characters is counted from ocr_record_gramcount on PostgreSQL
(migration 0004); the count must equal count(*) of the same search after every kind of
write, and the results and paging must not change."""

import hashlib

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Q

from ocr_record.models import OcrRecord

pytestmark = pytest.mark.django_db
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
LIST_URL = "/api/ocr_record/"

# Case either way, digits (MD5 only), a gram in both fields, spanning two letters,
# LIKE's own metacharacters, non-ASCII, and characters no record holds.
TERMS = [
    "a", "A", "e", "E", "0", "9", "f", "he", "HE", "hE", "lo", "LL", "ab", "7f", "F7",
    "1a", "a1", "ll", "%", "_", "%_", "\\", "é", "É", "zq", "q", "!", "Q!", "?",
]  # fmt: skip


def md5_of(seed: str) -> str:
    return hashlib.md5(seed.encode()).hexdigest()


def make(text: str, seed: str | None = None, size: int = 10) -> OcrRecord:
    return OcrRecord.objects.create(
        image_md5=md5_of(seed or text), image_size=size, content=list(text)
    )


def real_count(term: str) -> int:
    return OcrRecord.objects.filter(
        Q(image_md5__icontains=term) | Q(content_text__icontains=term)
    ).count()


def gram_table_count(term: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_count FROM ocr_record_gramcount WHERE gram = upper(%s)", [term])
        row = cursor.fetchone()
    return row[0] if row else 0


def assert_exact(api_client) -> None:
    for term in TERMS:
        expected = real_count(term)
        assert api_client.get(LIST_URL, {"search": term}).json()["count"] == expected, term
        if ON_POSTGRES:
            assert gram_table_count(term) == expected, term


def test_short_search_counts_follow_inserts_updates_and_deletes(api_client):
    records = [
        make("Hello"),
        make("HELLO", seed="second"),
        make("ab%_\\", seed="meta"),
        make("éÉe", seed="accents"),
        make("", seed="no letters"),
        make("LoL", seed="lol"),
    ]
    assert_exact(api_client)

    OcrRecord.objects.bulk_create(
        [
            OcrRecord(image_md5=md5_of(f"bulk{n}"), image_size=n, content=list(text))
            for n, text in enumerate(["hehe", "F7f7", "a", "", "zz%"])
        ]
    )
    assert_exact(api_client)

    # The admin edits the letters one record at a time (save() keeps content_text).
    records[0].content = list("QuICk")
    records[0].save()
    records[3].content = list("hello")
    records[3].save(update_fields=["content", "content_text"])
    assert_exact(api_client)

    # Bulk updates, of the searched fields and of others (no change to the counts).
    OcrRecord.objects.filter(image_size__gte=2).update(content_text="x!y")
    OcrRecord.objects.filter(image_size=1).update(image_md5=md5_of("new md5"))
    OcrRecord.objects.update(image_size=7, engine_content=["a"])
    assert_exact(api_client)

    records[1].delete()
    OcrRecord.objects.filter(content_text="x!y").delete()
    assert_exact(api_client)

    OcrRecord.objects.all().delete()
    assert_exact(api_client)
    assert api_client.get(LIST_URL, {"search": "a"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


def test_short_search_results_and_paging_are_unchanged(api_client):
    for n in range(30):
        make(["Hello", "World", "ab", "QuICk"][n % 4], seed=f"page{n}", size=100 - n)
    ordered = OcrRecord.objects.order_by("-created_at", "-id")
    for term in ["l", "LO", "a", "qu", "0", "zz"]:
        matching = ordered.filter(Q(image_md5__icontains=term) | Q(content_text__icontains=term))
        expected = list(matching.values_list("id", flat=True))
        seen = []
        page = 1
        while True:
            body = api_client.get(LIST_URL, {"search": term, "page_size": 7, "page": page}).json()
            assert body["count"] == len(expected), term
            seen += [row["id"] for row in body["results"]]
            if not body["next"]:
                break
            page += 1
        assert seen == expected, term

        by_size = api_client.get(LIST_URL, {"search": term, "ordering": "image_size"}).json()
        assert [row["id"] for row in by_size["results"]] == list(
            matching.order_by("image_size").values_list("id", flat=True)[:20]
        )


@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://...")
def test_only_a_lone_short_term_without_other_filters_reads_the_gram_table(api_client):
    make("Hello")
    make("abc", seed="other", size=99)
    # Make the stored count visibly wrong to see which requests read it.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE ocr_record_gramcount SET row_count = 999 WHERE gram IN ('L', 'LL')")

    def count(**params):
        return api_client.get(LIST_URL, params).json()["count"]

    assert count(search="l") == 999
    assert count(search="LL", ordering="-image_size", page_size=5) == 999
    # Anything else is counted by PostgreSQL itself.
    assert count(search="l", image_size__lte=50) == 1
    assert count(search="l", id=1_000_000) == 0
    assert count(search="l l") == 1
    assert count(search="l,e") == 1
    assert count(search="hel") == 1
    assert count(search='"l"') == 999  # a quoted term is still the one term l


# Committed rows: PostgreSQL refuses TRUNCATE while the inserts' deferred foreign-key
# checks (reviewed_by) are still pending in the same transaction.
@pytest.mark.postgres
@pytest.mark.skipif(not ON_POSTGRES, reason="needs DATABASE_URL=postgres://...")
@pytest.mark.django_db(transaction=True)
def test_short_search_counts_follow_a_truncate(api_client):
    make("Hello")
    make("abc", seed="other")
    assert_exact(api_client)

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {OcrRecord._meta.db_table}")
        cursor.execute("SELECT count(*) FROM ocr_record_gramcount")
        assert cursor.fetchone()[0] == 0
    make("World")
    assert_exact(api_client)
