"""Schema-driven fuzzing: every documented operation, with data that fits the schema
and data that does not, against the app's own live schema (/api/schema/).

Checks: never a 5xx; every response's content type and body match what the schema
documents for its status; data the schema forbids is refused with a 4xx. The contract
documents only the 200 answers and cannot say "a real image", so undocumented error
statuses and refusals of schema-valid bytes that are not an image are expected; every
error body must still be our JSON (``detail`` and ``code``, or DRF's field errors).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import load_all_checks
from schemathesis.specs.openapi.checks import (
    positive_data_acceptance,
    status_code_conformance,
)

from ocr_project.wsgi import application
from tests.conftest import keep_test_database_connection

load_all_checks()
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)

EXAMPLES_PER_OPERATION = 100


@pytest.fixture(autouse=True)
def _same_database_connection():
    with keep_test_database_connection():
        yield


@pytest.mark.django_db
@schema.parametrize()
@settings(
    max_examples=EXAMPLES_PER_OPERATION,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_schema(case):
    response = case.call_and_validate(
        excluded_checks=[status_code_conformance, positive_data_acceptance]
    )

    assert response.status_code < 500, response.text
    if response.status_code >= 400:
        body = response.json()
        assert isinstance(body, dict) and body
        if "detail" in body:
            assert isinstance(body["detail"], str) and body["detail"]
            assert isinstance(body["code"], str) and body["code"]
        else:
            assert all(isinstance(messages, list) for messages in body.values())


def test_the_fuzzing_covers_every_documented_operation():
    operations = {
        (result.ok().method.upper(), result.ok().path) for result in schema.get_all_operations()
    }

    assert operations == {
        ("GET", "/api/ocr_record/"),
        ("GET", "/api/ocr_record/{id}/"),
        ("POST", "/api/ocr_record/parse_letter/"),
    }
