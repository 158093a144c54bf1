from urllib.parse import urljoin, urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from spark_jobs.uris import AipUri, InvalidAipUri, format_uri, parse_uri, url_path_segment

any_id = st.text(min_size=1, max_size=200)


def test_sources_md_example():
    uri = format_uri("model-instance", "registry", "ranking-model-v5-20XX0101")
    assert uri == "aip://model-instance/registry/ranking-model-v5-20XX0101"
    assert format_uri("ab-test-cell", "abtest", "12345:2") == "aip://ab-test-cell/abtest/12345:2"


@pytest.mark.parametrize(
    ("resource_id", "expected"),
    [
        ("a/b", "aip://dataset/datasets/a%2Fb"),
        ("..", "aip://dataset/datasets/%2E%2E"),
        (".", "aip://dataset/datasets/%2E"),
        ("../../admin", "aip://dataset/datasets/..%2F..%2Fadmin"),
        ("%2e%2e", "aip://dataset/datasets/%252e%252e"),
        ("?x=1", "aip://dataset/datasets/%3Fx%3D1"),
        ("clicks ü", "aip://dataset/datasets/clicks%20%C3%BC"),
    ],
)
def test_hostile_ids_are_encoded(resource_id, expected):
    assert format_uri("dataset", "datasets", resource_id) == expected
    assert parse_uri(expected).resource_id == resource_id


@given(any_id)
@settings(max_examples=300)
def test_round_trip_for_arbitrary_unicode(resource_id):
    try:
        resource_id.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates are not text any source can send
        with pytest.raises(UnicodeEncodeError):
            format_uri("model", "registry", resource_id)
        return
    uri = format_uri("model", "registry", resource_id)
    parsed = parse_uri(uri)
    assert parsed == AipUri("model", "registry", resource_id)
    assert str(parsed) == uri


@given(any_id.filter(lambda s: s.encode("utf-8", "ignore").decode() == s))
@example("A:")
@example("http:")
@example("..")
@example("?x=1")
@example("a/b")
@settings(max_examples=300)
def test_resource_id_cannot_change_structure_or_url_path(resource_id):
    uri = format_uri("model", "registry", resource_id)
    parsed = parse_uri(uri)
    assert (parsed.component_type, parsed.platform_id) == ("model", "registry")
    segment = url_path_segment(resource_id)
    url = urljoin("http://sim.local/registry/api/v1/models/", segment)
    parts = urlsplit(url)
    assert parts.path == "/registry/api/v1/models/" + segment
    assert parts.query == "" and parts.fragment == ""
    assert "/" not in segment
    assert segment not in (".", "..")


@pytest.mark.parametrize(
    "bad",
    [
        "", "model/registry/x", "aip://model/registry", "aip://model/registry/", "aip:///registry/x",
        "aip://model/registry/a/b", "aip://Model/registry/x", "aip://model/registry/a%2fb",
        "aip://model/registry/%zz", "aip://model/registry/%2", "aip://model/registry/a b",
        "aip://model/registry/..", "http://model/registry/x",
    ],
)
def test_strict_errors_quote_the_input(bad):
    with pytest.raises(InvalidAipUri) as err:
        parse_uri(bad)
    assert repr(bad) in str(err.value)


def test_empty_resource_id_is_rejected():
    with pytest.raises(InvalidAipUri):
        format_uri("model", "registry", "")
