"""``python -m comptoir.sandbox``: the same as ``comptoir sandbox``."""

from .cli import main

main()
