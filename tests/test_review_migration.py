"""The review migration keeps existing records' letters as the engine's answer."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def test_existing_records_get_their_letters_as_the_engines_and_are_not_reviewed():
    executor = MigrationExecutor(connection)
    graph = executor.loader.graph
    # Found by name: the migration may be renumbered when branches are merged.
    review = next(key for key in graph.nodes if key[0] == "ocr_record" and "_review" in key[1])
    (previous,) = [p.key for p in graph.node_map[review].parents if p.key[0] == "ocr_record"]
    leaves = graph.leaf_nodes()
    try:
        executor.migrate([previous])
        old_apps = executor.loader.project_state([previous]).apps
        old_apps.get_model("ocr_record", "OcrRecord").objects.create(
            image_md5="a" * 32, image_size=10, content=["H", "i"], content_text="Hi"
        )

        executor = MigrationExecutor(connection)
        executor.migrate(leaves)

        new_apps = executor.loader.project_state(leaves).apps
        record = new_apps.get_model("ocr_record", "OcrRecord").objects.get()
        assert record.engine_content == ["H", "i"]
        assert record.content == ["H", "i"]
        assert record.reviewed_at is None
        assert record.confidence is None
        assert not record.image
    finally:
        executor = MigrationExecutor(connection)
        executor.migrate(leaves)
