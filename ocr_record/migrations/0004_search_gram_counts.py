"""On PostgreSQL, an exact count of the records matching each 1- and 2-character
search term, so that ``count`` of a short search does not read the whole table.

Search is ``UPPER(image_md5) LIKE UPPER('%term%') OR UPPER(content_text) LIKE ...``.
Trigram indexes need 3 characters, so a term of 1 or 2 characters matches by reading
every row. ``ocr_record_gramcount`` holds, for every distinct 1- and 2-character
substring ("gram") of ``UPPER(image_md5)`` or ``UPPER(content_text)``, how many
records contain it (once per record; grams never span the two fields). That is
exactly the number of records a one-term search for it matches. Statement triggers
with transition tables keep it in step with inserts, deletes, updates of either field
and truncates in the same transaction (ocr_record.pagination reads it).
"""

from django.db import migrations

from ocr_record.db_operations import PostgreSQLOnly

GRAM_COUNTER_SQL = """
CREATE TABLE ocr_record_gramcount (
    gram text PRIMARY KEY,
    row_count bigint NOT NULL
);

-- The distinct 1- and 2-character substrings of UPPER(md5) and UPPER(text).
CREATE FUNCTION ocr_record_grams(md5 text, letters text) RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT DISTINCT substr(field, start, width)
    FROM unnest(ARRAY[upper(coalesce(md5, '')), upper(coalesce(letters, ''))]) AS field,
         generate_series(1, length(field)) AS start,
         (VALUES (1), (2)) AS widths (width)
    WHERE start + width - 1 <= length(field)
$$;

INSERT INTO ocr_record_gramcount (gram, row_count)
    SELECT gram, count(*)
    FROM ocr_record_ocrrecord AS record,
         ocr_record_grams(record.image_md5, record.content_text) AS gram
    GROUP BY gram;

-- One upsert per statement, in gram order: concurrent statements lock the shared gram
-- rows in the same order and wait for each other instead of deadlocking. Removals are
-- negative upserts (the gram is always there), so there is no CHECK (row_count >= 0):
-- INSERT checks it on the proposed row before it finds the conflict.
CREATE FUNCTION ocr_record_count_grams() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ocr_record_gramcount AS counter (gram, row_count)
            SELECT gram, count(*)
            FROM new_rows, ocr_record_grams(new_rows.image_md5, new_rows.content_text) AS gram
            GROUP BY gram ORDER BY gram
        ON CONFLICT (gram) DO UPDATE SET row_count = counter.row_count + excluded.row_count;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO ocr_record_gramcount AS counter (gram, row_count)
            SELECT gram, -count(*)
            FROM old_rows, ocr_record_grams(old_rows.image_md5, old_rows.content_text) AS gram
            GROUP BY gram ORDER BY gram
        ON CONFLICT (gram) DO UPDATE SET row_count = counter.row_count + excluded.row_count;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Only rows whose searched fields changed; a changed id leaves both sides
        -- unmatched, so its old grams are removed and its new ones added.
        INSERT INTO ocr_record_gramcount AS counter (gram, row_count)
            WITH changed AS (
                SELECT new_rows.id AS new_id, new_rows.image_md5 AS new_md5,
                       new_rows.content_text AS new_text, old_rows.id AS old_id,
                       old_rows.image_md5 AS old_md5, old_rows.content_text AS old_text
                FROM new_rows FULL JOIN old_rows ON new_rows.id = old_rows.id
                WHERE new_rows.image_md5 IS DISTINCT FROM old_rows.image_md5
                   OR new_rows.content_text IS DISTINCT FROM old_rows.content_text
            )
            SELECT gram, sum(delta)
            FROM (
                SELECT new_md5 AS md5, new_text AS letters, 1 AS delta
                FROM changed WHERE new_id IS NOT NULL
                UNION ALL
                SELECT old_md5, old_text, -1 FROM changed WHERE old_id IS NOT NULL
            ) AS side, ocr_record_grams(side.md5, side.letters) AS gram
            GROUP BY gram HAVING sum(delta) <> 0 ORDER BY gram
        ON CONFLICT (gram) DO UPDATE SET row_count = counter.row_count + excluded.row_count;
    ELSE
        DELETE FROM ocr_record_gramcount;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER ocr_record_gram_inserts AFTER INSERT ON ocr_record_ocrrecord
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_grams();
CREATE TRIGGER ocr_record_gram_deletes AFTER DELETE ON ocr_record_ocrrecord
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_grams();
-- Transition tables are not allowed with a column list (UPDATE OF ...): the function
-- skips rows whose image_md5 and content_text did not change.
CREATE TRIGGER ocr_record_gram_updates AFTER UPDATE ON ocr_record_ocrrecord
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_grams();
CREATE TRIGGER ocr_record_gram_truncates AFTER TRUNCATE ON ocr_record_ocrrecord
    FOR EACH STATEMENT EXECUTE FUNCTION ocr_record_count_grams();
"""

GRAM_COUNTER_REVERSE_SQL = """
DROP TRIGGER IF EXISTS ocr_record_gram_truncates ON ocr_record_ocrrecord;
DROP TRIGGER IF EXISTS ocr_record_gram_updates ON ocr_record_ocrrecord;
DROP TRIGGER IF EXISTS ocr_record_gram_deletes ON ocr_record_ocrrecord;
DROP TRIGGER IF EXISTS ocr_record_gram_inserts ON ocr_record_ocrrecord;
DROP FUNCTION IF EXISTS ocr_record_count_grams();
DROP FUNCTION IF EXISTS ocr_record_grams(text, text);
DROP TABLE IF EXISTS ocr_record_gramcount;
"""


class Migration(migrations.Migration):
    dependencies = [
        ("ocr_record", "0003_review"),
    ]

    operations = [
        PostgreSQLOnly(sql=GRAM_COUNTER_SQL, reverse_sql=GRAM_COUNTER_REVERSE_SQL),
    ]
