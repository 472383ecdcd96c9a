"""Generate ``comptoir/sandbox/expandable_fields.py`` from Stripe's OpenAPI spec.

    python -m comptoir.sandbox.tools.gen_expandable [SPEC] [--write]

``SPEC`` defaults to ``$COMPTOIR_STRIPE_SPEC``, else the first ``shared/stripe-openapi/
spec3_2023-09.yaml`` found beside the repository or a folder above it. Without ``--write`` the module text is printed.

The table keeps, for every object type the sandbox serves (``SERVED``) and every nested hash
reachable from one through expandable fields, the spec's ``x-expandableFields`` and what each
field holds once expanded: the schema to carry on with for a longer path, or ``None`` when the
sandbox serves nothing further down (another resource type, or a plain value).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

SERVED = (
    "account",
    "balance_transaction",
    "charge",
    "checkout.session",
    "customer",
    "event",
    "item",
    "payment_intent",
    "payment_method",
    "price",
    "product",
    "refund",
    "webhook_endpoint",
)
"""The ``object`` values of what the sandbox returns (``item`` is a Checkout line item)."""

TARGET = Path(__file__).resolve().parent.parent / "expandable_fields.py"
SPEC_NAME = Path("shared") / "stripe-openapi" / "spec3_2023-09.yaml"

HEADER = '''"""Fields Stripe lets ``expand[]`` name, per schema: GENERATED, do not edit.

Regenerate with ``python -m comptoir.sandbox.tools.gen_expandable --write`` from Stripe's OpenAPI
spec (spec3_2023-09.yaml); ``tests/sandbox/test_expandable_table.py`` checks this file equals the
script's output. Each field maps to the schema its expanded value follows, or ``None``.
"""

EXPANDABLE: dict[str, dict[str, str | None]] = {
'''


def spec_path() -> Path | None:
    """Where the spec is, or None when this machine has no copy."""
    if os.environ.get("COMPTOIR_STRIPE_SPEC"):
        return Path(os.environ["COMPTOIR_STRIPE_SPEC"])
    for folder in Path(__file__).resolve().parents:
        if (folder / SPEC_NAME).is_file():
            return folder / SPEC_NAME
    return None


def load_spec(path: Path) -> dict[str, Any]:
    import yaml

    with path.open(encoding="utf-8") as handle:
        loaded: dict[str, Any] = yaml.load(handle, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    return loaded


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _child(prop: dict[str, Any], schemas: dict[str, Any]) -> str | None:
    """The schema an expandable property holds once expanded, when the sandbox can walk it."""
    if "$ref" in prop:
        candidates = [_ref_name(prop["$ref"])]
    else:
        candidates = [_ref_name(option["$ref"]) for option in prop.get("anyOf", []) if "$ref" in option]
    items = prop.get("properties", {}).get("data", {}).get("items", {})
    if not candidates and "$ref" in items:
        candidates = [_ref_name(items["$ref"])]
    walkable = [name for name in candidates if _walkable(name, schemas)]
    return walkable[0] if len(walkable) == 1 else None


def _walkable(name: str, schemas: dict[str, Any]) -> bool:
    schema = schemas.get(name, {})
    resource = schema.get("x-resourceId")
    return resource in SERVED if resource else bool(schema.get("x-expandableFields"))


def table(spec: dict[str, Any]) -> dict[str, dict[str, str | None]]:
    schemas = spec["components"]["schemas"]
    by_resource = {schema.get("x-resourceId"): name for name, schema in schemas.items() if schema.get("x-resourceId")}
    missing = [kind for kind in SERVED if kind not in by_resource]
    if missing:
        raise SystemExit(f"the spec has no schema for: {', '.join(missing)}")
    result: dict[str, dict[str, str | None]] = {}
    todo = [by_resource[kind] for kind in SERVED]
    while todo:
        name = todo.pop()
        if name in result:
            continue
        schema = schemas[name]
        fields: dict[str, str | None] = {}
        for field in schema.get("x-expandableFields", []):
            child = _child(schema["properties"][field], schemas)
            fields[field] = child
            if child is not None:
                todo.append(child)
        result[name] = fields
    return result


def render(spec: dict[str, Any]) -> str:
    lines = [HEADER]
    for name, fields in sorted(table(spec).items()):
        if not fields:
            lines.append(f'    "{name}": {{}},\n')
            continue
        lines.append(f'    "{name}": {{\n')
        for field, child in sorted(fields.items()):
            lines.append(f'        "{field}": {"None" if child is None else repr(child).replace(chr(39), chr(34))},\n')
        lines.append("    },\n")
    lines.append("}\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", nargs="?", type=Path, default=None, help="Stripe's OpenAPI spec (YAML)")
    parser.add_argument("--write", action="store_true", help=f"write {TARGET.name} instead of printing it")
    args = parser.parse_args(argv)
    path = args.spec or spec_path()
    if path is None:
        parser.error(f"no {SPEC_NAME} found: pass the spec's path")
    text = render(load_spec(path))
    if args.write:
        TARGET.write_text(text, encoding="utf-8")
        print(f"wrote {TARGET}")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
