"""Indexes for the record list's default order and, on PostgreSQL, for search,
plus an exact row counter for the unfiltered list's ``count``.

Search is ``icontains`` over image_md5 and content_text, which Django sends to
PostgreSQL as ``UPPER(column::text) LIKE UPPER('%term%')``. Trigram GIN indexes on
exactly those expressions let PostgreSQL answer it (and count the matches) without
reading the whole table. SQLite has no such index and keeps scanning, which is fine
for the quick-start database.
"""

from django.db import migrations, models

from ocr_record.db_operations import PostgreSQLOnly

TRIGRAM_INDEXES = {
    "ocr_record_md5_trgm_idx": "image_md5",
    "ocr_record_text_trgm_idx": "content_text",
}


# count(*) of a million rows reads a million index entries (~100 ms); this counter is
# exact because statement triggers add and subtract every inserted and deleted row in
# the same transaction (ocr_record.pagination reads it for unfiltered lists).
ROW_COUNTER_SQL = """
CREATE TABLE ocr_record_rowcount (
    table_name text PRIMARY KEY,
    row_count bigint NOT NULL CHECK (row_count >= 0)
);
INSERT INTO ocr_record_rowcount
    SELECT 'ocr_record_ocrrecord', count(*) FROM ocr_record_ocrrecord;

CREATE FUNCTION ocr_record_count_rows() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE ocr_record_rowcount SET row_count = row_count + (SELECT count(*) FROM changed)
            WHERE table_name = TG_TABLE_NAME;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE ocr_record_rowcount SET row_count = row_count - (SELECT count(*) FROM changed)
            WHERE table_name = TG_TABLE_NAME;
    ELSE
        UPDATE ocr_record_rowcount SET row_count = 0 WHERE table_name = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ocr_record_count_inserts AFTER INSERT ON ocr_record_ocrrecord
    REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_rows();
CREATE TRIGGER ocr_record_count_deletes AFTER DELETE ON ocr_record_ocrrecord
    REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_rows();
CREATE TRIGGER ocr_record_count_truncates AFTER TRUNCATE ON ocr_record_ocrrecord
    FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_rows();
"""

ROW_COUNTER_REVERSE_SQL = """
DROP TRIGGER IF EXISTS ocr_record_count_truncates ON ocr_record_ocrrecord;
DROP TRIGGER IF EXISTS ocr_record_count_deletes ON ocr_record_ocrrecord;
DROP TRIGGER IF EXISTS ocr_record_count_inserts ON ocr_record_ocrrecord;
DROP FUNCTION IF EXISTS ocr_record_count_rows();
DROP TABLE IF EXISTS ocr_record_rowcount;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ocr_record", "0001_initial"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="ocrrecord",
            index=models.Index(fields=["created_at", "id"], name="ocr_record_created_id_idx"),
        ),
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
        PostgreSQLOnly(
            sql="CREATE EXTENSION IF NOT EXISTS pg_trgm",
            reverse_sql=migrations.RunSQL.noop,
        ),
        *[
            PostgreSQLOnly(
                sql=f'CREATE INDEX "{name}" ON "ocr_record_ocrrecord" '
                f'USING gin (UPPER("{column}") gin_trgm_ops)',
                reverse_sql=f'DROP INDEX IF EXISTS "{name}"',
            )
            for name, column in TRIGRAM_INDEXES.items()
        ],
        PostgreSQLOnly(sql=ROW_COUNTER_SQL, reverse_sql=ROW_COUNTER_REVERSE_SQL),
    ]
