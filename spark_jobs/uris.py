"""AIP URIs: `aip://<componentType>/<platformId>/<resourceId>`.

The resource id is percent-encoded (only RFC 3986 unreserved characters and `:` stay literal,
as in the fixed example `aip://ab-test-cell/abtest/12345:2`), so any source id (slashes,
spaces, `?`, `#`, unicode) round-trips and can never add a path segment or a query. Ids made only of
dots are encoded too, so `.` and `..` can never become dot-segments in a URL built from one.
Only the canonical spelling parses: one entity has exactly one URI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote, unquote

SCHEME = "aip"
_PREFIX = f"{SCHEME}://"
_NAME = re.compile(r"^[a-z][a-z0-9-]*$")
_PCT = re.compile(r"%(?![0-9A-F]{2})")


class InvalidAipUri(ValueError):
    """A string is not a canonical AIP URI; the message quotes it."""


def encode_segment(value: str) -> str:
    """Percent-encode one URI or URL path segment so it stays exactly one segment."""
    if not isinstance(value, str) or value == "":
        raise InvalidAipUri(f"resource id must be a non-empty string, got {value!r}")
    encoded = quote(value, safe=":", encoding="utf-8", errors="strict")
    if set(encoded) == {"."}:
        encoded = encoded.replace(".", "%2E")
    return encoded


def url_path_segment(value: str) -> str:
    """Percent-encode a source id as one URL path segment for an HTTP request.

    Stricter than `encode_segment`: ':' is encoded too, because a first segment such as `A:`
    would otherwise read as a URL scheme when a client resolves it against a base URL.
    """
    return encode_segment(value).replace(":", "%3A")


def decode_segment(segment: str) -> str:
    return unquote(segment, encoding="utf-8", errors="strict")


@dataclass(frozen=True, slots=True)
class AipUri:
    component_type: str
    platform_id: str
    resource_id: str

    def __post_init__(self) -> None:
        for part in ("component_type", "platform_id"):
            value = getattr(self, part)
            if not isinstance(value, str) or not _NAME.match(value):
                raise InvalidAipUri(f"{part} must match [a-z][a-z0-9-]*, got {value!r}")
        encode_segment(self.resource_id)

    def __str__(self) -> str:
        return f"{_PREFIX}{self.component_type}/{self.platform_id}/{encode_segment(self.resource_id)}"

    @classmethod
    def parse(cls, text: str) -> AipUri:
        """Parse a canonical AIP URI; anything else raises InvalidAipUri quoting the input."""
        if not isinstance(text, str) or not text.startswith(_PREFIX):
            raise InvalidAipUri(f"not an AIP URI (expected 'aip://type/platform/id'): {text!r}")
        parts = text[len(_PREFIX):].split("/")
        if len(parts) != 3 or not all(parts):
            raise InvalidAipUri(
                f"an AIP URI has exactly three non-empty parts type/platform/id: {text!r}"
            )
        component, platform, encoded = parts
        if _PCT.search(encoded):
            raise InvalidAipUri(f"bad percent-encoding in resource id: {text!r}")
        try:
            uri = cls(component, platform, decode_segment(encoded))
        except (InvalidAipUri, UnicodeDecodeError) as exc:
            raise InvalidAipUri(f"{exc} in {text!r}") from None
        if str(uri) != text:
            raise InvalidAipUri(f"not canonical (expected {str(uri)!r}): {text!r}")
        return uri


def format_uri(component_type: str, platform_id: str, resource_id: str) -> str:
    return str(AipUri(component_type, platform_id, resource_id))


def parse_uri(text: str) -> AipUri:
    return AipUri.parse(text)
