"""Product images in the data folder (`<data>/product-images/`), under random names the server chose.

Names are checked against one pattern before any path is built, so a name from a URL can never
leave the folder.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

NAME = re.compile(r"^[A-Za-z0-9_-]{16,64}\.(png|jpg|webp)$")


class FileImageStore:
    def __init__(self, data_dir: Path) -> None:
        self._folder = data_dir / "product-images"

    def save(self, data: bytes, extension: str) -> str:
        name = f"{secrets.token_urlsafe(18)}.{extension}"
        if not NAME.match(name):
            raise ValueError(f"not an image extension: {extension!r}")
        self._folder.mkdir(parents=True, exist_ok=True)
        partial = self._folder / f".{name}.part"
        partial.write_bytes(data)
        partial.replace(self._folder / name)
        return name

    def delete(self, name: str) -> None:
        path = self.path(name)
        if path is not None:
            path.unlink(missing_ok=True)

    def path(self, name: str) -> Path | None:
        """The file of a stored image, or None for a name this store would never have given."""
        if not NAME.match(name):
            return None
        path = self._folder / name
        return path if path.is_file() else None
