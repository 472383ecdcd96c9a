"""Product pictures: the kind read from the bytes (domain.images) and the folder no name can leave
(adapters.images)."""

from __future__ import annotations

from pathlib import Path

import pytest

from comptoir.adapters.images import FileImageStore
from comptoir.domain.errors import InvalidInput
from comptoir.domain.images import MAX_IMAGE_BYTES, image_kind

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 16
WEBP = b"RIFF\x10\x00\x00\x00WEBPVP8 " + b"\x00" * 16


@pytest.mark.parametrize(("data", "kind"), [(PNG, "png"), (JPEG, "jpg"), (WEBP, "webp")])
def test_pictures_are_known_by_their_first_bytes(data: bytes, kind: str) -> None:
    assert image_kind(data) == kind


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "image_empty"),
        (b"GIF89a" + b"\x00" * 16, "image_type"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image_type"),
        (b"RIFF\x10\x00\x00\x00WAVEfmt ", "image_type"),
        (PNG + b"\x00" * MAX_IMAGE_BYTES, "image_too_large"),
    ],
)
def test_other_files_are_refused(data: bytes, code: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        image_kind(data)

    assert refused.value.code == code


def test_a_saved_picture_is_found_by_its_name_and_deleted(tmp_path: Path) -> None:
    store = FileImageStore(tmp_path)

    name = store.save(PNG, "png")

    path = store.path(name)
    assert path is not None and path.read_bytes() == PNG and path.parent == tmp_path / "product-images"
    store.delete(name)
    assert store.path(name) is None


@pytest.mark.parametrize("name", ["../comptoir.sqlite3", "..%2fsecret.png", "a.png", "x" * 20 + ".gif", ".hidden.png"])
def test_names_the_store_never_gives_lead_nowhere(tmp_path: Path, name: str) -> None:
    (tmp_path / "comptoir.sqlite3").write_text("secret")

    assert FileImageStore(tmp_path).path(name) is None
