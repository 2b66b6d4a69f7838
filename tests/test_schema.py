"""The generated OpenAPI schema holds to the published contract (docs/django-ocr-v1.0.0.md)."""

import json
import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import LIST_URL

CONTRACT = Path(__file__).resolve().parent.parent / "docs" / "django-ocr-v1.0.0.md"


def contract_json_schemas() -> dict[str, dict]:
    """The JSON schema blocks of the contract, by their component name."""
    text = CONTRACT.read_text(encoding="utf-8")
    schemas = {}
    for name, block in re.findall(r'<h2 id="tocS_(\w+)">.*?```json\n(.*?)```', text, re.S):
        schemas[name] = json.loads(block)
    return schemas


def contract_list_parameters() -> dict[str, str]:
    """Query parameters of the list endpoint in the contract: name -> description."""
    text = CONTRACT.read_text(encoding="utf-8")
    section = text.split("GET /api/ocr_record/\n", 1)[1].split("> 返回示例", 1)[0]
    rows = re.findall(r"^\|(\w+)\|query\|string\|false\|(.*?)\|$", section, re.M)
    return dict(rows)


def normalised(schema: dict) -> dict:
    """Order-insensitive form: ``required`` is a set."""
    result = {}
    for key, value in schema.items():
        if key == "required":
            result[key] = sorted(value)
        elif isinstance(value, dict):
            result[key] = normalised(value)
        else:
            result[key] = value
    return result


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_contract_has_the_two_components_we_compare():
    assert set(contract_json_schemas()) == {"OcrParseLetterResSer", "OcrRecordDisplaySer"}


@pytest.mark.parametrize("component", ["OcrRecordDisplaySer", "OcrParseLetterResSer"])
def test_component_matches_the_contract_property_by_property(schema, component):
    expected = contract_json_schemas()[component]
    generated = schema["components"]["schemas"][component]

    assert normalised(generated) == normalised(expected)


def test_list_documents_every_query_parameter_of_the_contract(schema):
    operation = schema["paths"][LIST_URL]["get"]
    documented = {p["name"]: p for p in operation["parameters"] if p["in"] == "query"}

    expected = contract_list_parameters()
    assert set(documented) == set(expected)
    for name, description in expected.items():
        assert documented[name]["schema"] == {"type": "string"}
        assert not documented[name].get("required", False)
        assert documented[name].get("description", "none") == description


def test_list_response_is_a_page_of_display_records(schema):
    response = schema["paths"][LIST_URL]["get"]["responses"]["200"]
    page_ref = response["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    page = schema["components"]["schemas"][page_ref]

    assert set(page["required"]) == {"count", "results"}
    assert page["properties"]["count"]["type"] == "integer"
    for link in ("next", "previous"):
        assert page["properties"][link]["format"] == "uri"
        assert page["properties"][link]["nullable"] is True
    assert page["properties"]["results"]["items"]["$ref"].endswith("/OcrRecordDisplaySer")


def test_detail_takes_a_string_id_and_returns_a_display_record(schema):
    operation = schema["paths"][LIST_URL + "{id}/"]["get"]
    (parameter,) = operation["parameters"]

    assert parameter["in"] == "path"
    assert parameter["name"] == "id"
    assert parameter["required"] is True
    assert parameter["schema"] == {"type": "string"}
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/OcrRecordDisplaySer")


def test_parse_letter_takes_a_multipart_binary_image_and_returns_the_letters(schema):
    operation = schema["paths"][LIST_URL + "parse_letter/"]["post"]
    body = operation["requestBody"]["content"]

    assert list(body) == ["multipart/form-data"]
    assert body["multipart/form-data"]["schema"] == {
        "type": "object",
        "properties": {"image": {"type": "string", "format": "binary"}},
        "required": ["image"],
    }
    ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/OcrParseLetterResSer")


def test_the_contract_paths_are_the_api_paths(schema):
    api_paths = {path for path in schema["paths"] if path.startswith("/api/ocr_record/")}

    assert api_paths == {LIST_URL, LIST_URL + "{id}/", LIST_URL + "parse_letter/"}
    assert set(schema["paths"][LIST_URL]) == {"get"}
    assert set(schema["paths"][LIST_URL + "{id}/"]) == {"get"}
    assert set(schema["paths"][LIST_URL + "parse_letter/"]) == {"post"}
