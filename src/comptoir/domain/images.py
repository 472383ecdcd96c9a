"""Which uploaded files a shop may show as a product's picture: PNG, JPEG or WebP, of a bounded size.

The kind is read from the file's first bytes, never from its name or the browser's content type,
so a script renamed `photo.png` is refused, and the page serves it back with the type it really has.
"""

from __future__ import annotations

from comptoir.domain.errors import InvalidInput

MAX_IMAGE_BYTES = 2 * 1024 * 1024
"""A phone photo resized by the phone's share sheet fits; a raw 12-megapixel shot does not."""

MEDIA_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
"""The extension each kind is stored under, and the content type it is served with."""


def image_kind(data: bytes) -> str:
    """The stored extension (`png`, `jpg` or `webp`) of an accepted image; InvalidInput otherwise."""
    if not data:
        raise InvalidInput("the image file is empty", code="image_empty")
    if len(data) > MAX_IMAGE_BYTES:
        raise InvalidInput(f"the image is larger than {MAX_IMAGE_BYTES // 1024 // 1024} MB", code="image_too_large")
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    raise InvalidInput("only PNG, JPEG and WebP images are accepted", code="image_type")
