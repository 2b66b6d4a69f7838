"""List endpoint benchmark on PostgreSQL with a million records.

Seeds ``--rows`` records (one INSERT ... SELECT over generate_series, then VACUUM
ANALYZE), then requests ``GET /api/ocr_record/`` in process (the whole Django + DRF
stack, no network) for each documented filter, search and ordering, and prints
p50/p95 per case. Every response is the first page with its ``count``.

    DATABASE_URL=postgres://... .venv/bin/python bench/list_bench.py [--rows 1000000]
        [--cases search] [--inserts 300]

The database is migrated first; the table is emptied and re-seeded only when it does
not already hold ``--rows`` records (``--reseed`` forces it).
"""

import argparse
import hashlib
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ocr_project.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("DJANGO_ALLOWED_HOSTS", "127.0.0.1")
# Requests go to the test client over plain HTTP: no redirect to HTTPS.
os.environ.setdefault("DJANGO_SECURE_SSL_REDIRECT", "false")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402

LIST_URL = "/api/ocr_record/"
# Seeded records span a year, newest "now"; sizes 1 kB .. 501 kB; letters are short
# words built from a 16-letter alphabet, so any 3-letter search term is selective.
SEED_SQL = """
INSERT INTO ocr_record_ocrrecord
    (created_at, image_md5, image_size, content, content_text, image, engine_content)
SELECT created_at, image_md5, image_size, letters, text, '', letters
FROM (
    SELECT
        now() - (n * interval '31536 milliseconds') AS created_at,
        md5(n::text) AS image_md5,
        1000 + (('x' || substr(md5(n::text || 's'), 1, 8))::bit(32)::int & 2147483647)
            %% 500000 AS image_size,
        translate(
            substr(md5(n::text || 't'), 1, 1 + n %% 10),
            '0123456789abcdef', 'HeloWrdQuickBFxz'
        ) AS text
    FROM generate_series(1, %(rows)s) AS n
) AS seed, to_jsonb(regexp_split_to_array(text, '')) AS letters
"""


def seed(rows: int, reseed: bool) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM ocr_record_ocrrecord")
        existing = cursor.fetchone()[0]
        if existing == rows and not reseed:
            print(f"using the {existing:,} records already there")
        else:
            started = time.perf_counter()
            cursor.execute("TRUNCATE ocr_record_ocrrecord RESTART IDENTITY")
            cursor.execute(SEED_SQL, {"rows": rows})
            print(f"seeded {rows:,} records in {time.perf_counter() - started:.1f}s")
        # A fresh visibility map lets count(*) read only the index (index-only scan).
        started = time.perf_counter()
        cursor.execute("VACUUM ANALYZE ocr_record_ocrrecord")
        print(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f}s")


def cases() -> list[tuple[str, str]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, image_md5, created_at FROM ocr_record_ocrrecord "
            "ORDER BY id OFFSET (SELECT count(*) / 2 FROM ocr_record_ocrrecord) LIMIT 1"
        )
        middle_id, middle_md5, middle_time = cursor.fetchone()
    day_ago = middle_time.isoformat()
    return [
        ("default (-created_at,-id)", ""),
        ("id=", f"id={middle_id}"),
        ("image_md5=", f"image_md5={middle_md5}"),
        ("image_size__gte (1%)", "image_size__gte=496000"),
        ("image_size__lte (1%)", "image_size__lte=6000"),
        ("image_size__gte (50%)", "image_size__gte=251000"),
        ("created_at__gte (newest 1%)", "created_at__gte=" + _ago(days=3.65)),
        ("created_at__lte (oldest 50%)", "created_at__lte=" + _quote(day_ago)),
        (
            "created_at range (1 day)",
            f"created_at__gte={_ago(days=101)}&created_at__lte={_ago(days=100)}",
        ),
        ("search md5 fragment (8 chars)", f"search={middle_md5[8:16]}"),
        ("search letters (5 chars)", "search=QuICk"),
        ("search letters (3 chars)", "search=Hel"),
        ("search md5 fragment (3 chars)", "search=abc"),
        # Trigrams need 3 characters: a shorter term is counted from ocr_record_gramcount.
        ("search letters (2 chars)", "search=Qu"),
        ("search (1 char)", "search=a"),
        ("search md5 (2 chars)", "search=7f"),
        ("search absent (2 chars)", "search=Q7"),
        ("ordering=id", "ordering=id"),
        ("ordering=-id", "ordering=-id"),
        ("ordering=created_at", "ordering=created_at"),
        ("ordering=image_size", "ordering=image_size"),
        ("ordering=-image_size", "ordering=-image_size"),
        ("image_size__lte + ordering=-image_size", "image_size__lte=250000&ordering=-image_size"),
        ("page_size=100", "page_size=100"),
    ]


def _quote(value: str) -> str:
    return value.replace("+", "%2B")


def _ago(*, days: float) -> str:
    from datetime import UTC, datetime, timedelta

    return _quote((datetime.now(UTC) - timedelta(days=days)).isoformat())


def measure(client: Client, query: str, repeats: int) -> tuple[float, float, int]:
    url = f"{LIST_URL}?{query}" if query else LIST_URL
    for _ in range(3):  # warm the caches the way a running service has them warm
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.content)
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    body = response.json()
    assert isinstance(body["count"], int)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
    return statistics.median(timings), p95, body["count"]


GRAM_TRIGGERS = ["ocr_record_gram_inserts", "ocr_record_gram_deletes"]


def measure_inserts(count: int) -> None:
    """p50/p95 of one record's INSERT (its own transaction, as an upload makes it),
    with the gram-count triggers of migration 0004 switched off and on."""
    from ocr_record.models import OcrRecord

    print("\n| single-record INSERT | p50 ms | p95 ms |\n|---|---:|---:|")
    for label, state in [("without gram triggers", "DISABLE"), ("with gram triggers", "ENABLE")]:
        with connection.cursor() as cursor:
            for trigger in GRAM_TRIGGERS:
                cursor.execute(f"ALTER TABLE ocr_record_ocrrecord {state} TRIGGER {trigger}")
        timings = []
        created = []
        for n in range(count):
            started = time.perf_counter()
            record = OcrRecord.objects.create(
                image_md5=hashlib.md5(f"insert bench {state} {n}".encode()).hexdigest(),
                image_size=1000 + n,
                content=list("HelloWorld"[: 1 + n % 10]),
            )
            timings.append((time.perf_counter() - started) * 1000)
            created.append(record.pk)
        OcrRecord.objects.filter(pk__in=created).delete()  # with the same triggers
        timings.sort()
        p95 = timings[min(len(timings) - 1, int(len(timings) * 0.95))]
        print(f"| {label} | {statistics.median(timings):.2f} | {p95:.2f} |", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--limit-ms", type=float, default=100.0, help="p50 budget per case")
    parser.add_argument("--cases", help="only the cases whose name contains this (e.g. search)")
    parser.add_argument(
        "--inserts", type=int, default=0, help="also time this many single-record INSERTs"
    )
    args = parser.parse_args()

    if connection.vendor != "postgresql":
        print("Set DATABASE_URL=postgres://... (this benchmark is for PostgreSQL).")
        return 2
    call_command("migrate", verbosity=0)
    seed(args.rows, args.reseed)
    client = Client(HTTP_HOST="127.0.0.1")
    over_budget = []
    print("\n| case | query | count | p50 ms | p95 ms |\n|---|---|---:|---:|---:|")
    for name, query in cases():
        if args.cases and args.cases not in name:
            continue
        p50, p95, count = measure(client, query, args.repeats)
        print(f"| {name} | `{query or '-'}` | {count:,} | {p50:.1f} | {p95:.1f} |", flush=True)
        if p50 > args.limit_ms:
            over_budget.append(name)
    if args.inserts:
        measure_inserts(args.inserts)
    if over_budget:
        print(f"\nover {args.limit_ms:.0f} ms p50: {', '.join(over_budget)}")
        return 1
    print(f"\nevery case under {args.limit_ms:.0f} ms p50")
    return 0


if __name__ == "__main__":
    sys.exit(main())
