"""Typed reads of decoded request parameters, failing the way Stripe fails.

Every failure here is a validation failure (``stored=False``): the idempotency layer does not
save it, so a corrected retry with the same key runs.
"""

from __future__ import annotations

import builtins
from typing import Any, Literal, overload

from .currencies import SUPPORTED
from .errors import StripeError, invalid_param, missing_param

_TRUE = {"true", "True", "1", True}
_FALSE = {"false", "False", "0", False}


def _invalid(message: str, param: str) -> StripeError:
    return invalid_param(message, param, code="parameter_invalid_string")


class Params:
    def __init__(self, data: dict[str, Any], prefix: str = "") -> None:
        self.data = data
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}[{key}]" if self.prefix else key

    def has(self, key: str) -> bool:
        return key in self.data

    def raw(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    # Inside this class `str`, `int`, `bool` and `list` name the methods, so annotations say `builtins.`.
    # The overloads tell the type checker that a required parameter, or one with a default, is never None.
    @overload
    def str(
        self,
        key: builtins.str,
        default: None = None,
        *,
        required: Literal[True],
        choices: tuple[builtins.str, ...] | None = None,
        max_length: builtins.int | None = None,
    ) -> builtins.str: ...

    @overload
    def str(
        self,
        key: builtins.str,
        default: builtins.str,
        *,
        required: builtins.bool = False,
        choices: tuple[builtins.str, ...] | None = None,
        max_length: builtins.int | None = None,
    ) -> builtins.str: ...

    @overload
    def str(
        self,
        key: builtins.str,
        default: None = None,
        *,
        required: builtins.bool = False,
        choices: tuple[builtins.str, ...] | None = None,
        max_length: builtins.int | None = None,
    ) -> builtins.str | None: ...

    def str(
        self,
        key: builtins.str,
        default: builtins.str | None = None,
        *,
        required: builtins.bool = False,
        choices: tuple[builtins.str, ...] | None = None,
        max_length: builtins.int | None = None,
    ) -> builtins.str | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self._name(key))
            return default
        if not isinstance(value, str):
            raise _invalid(f"Invalid string: {value!r}", self._name(key))
        if choices is not None and value not in choices:
            raise invalid_param(
                f"Invalid {self._name(key)}: must be one of {', '.join(choices)}",
                self._name(key),
                code="parameter_invalid_string",
            )
        if max_length is not None and len(value) > max_length:
            raise invalid_param(
                f"Invalid {self._name(key)}: must be at most {max_length} characters",
                self._name(key),
                code="string_too_long",
            )
        return value

    @overload
    def int(
        self,
        key: builtins.str,
        default: None = None,
        *,
        required: Literal[True],
        minimum: builtins.int | None = None,
    ) -> builtins.int: ...

    @overload
    def int(
        self,
        key: builtins.str,
        default: builtins.int,
        *,
        required: builtins.bool = False,
        minimum: builtins.int | None = None,
    ) -> builtins.int: ...

    @overload
    def int(
        self,
        key: builtins.str,
        default: None = None,
        *,
        required: builtins.bool = False,
        minimum: builtins.int | None = None,
    ) -> builtins.int | None: ...

    def int(
        self,
        key: builtins.str,
        default: builtins.int | None = None,
        *,
        required: builtins.bool = False,
        minimum: builtins.int | None = None,
    ) -> builtins.int | None:
        value = self.data.get(key)
        if value is None or value == "":
            if required:
                raise missing_param(self._name(key))
            return default
        try:
            number = int(value)
        except (TypeError, ValueError):
            raise invalid_param(
                f"Invalid integer: {value}", self._name(key), code="parameter_invalid_integer"
            ) from None
        if minimum is not None and number < minimum:
            raise invalid_param(
                f"Invalid {self._name(key)}: must be greater than or equal to {minimum}",
                self._name(key),
                code="parameter_invalid_integer",
            )
        return number

    def bool(self, key: builtins.str, default: builtins.bool = False) -> builtins.bool:
        value = self.data.get(key)
        if value is None or value == "":
            return default
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise invalid_param(f"Invalid boolean: {value}", self._name(key), code="parameter_invalid_string")

    def sub(self, key: builtins.str) -> Params:
        value = self.data.get(key)
        if value is None or value == "":
            return Params({}, self._name(key))
        if not isinstance(value, dict):
            raise invalid_param("Invalid object", self._name(key), code="parameter_invalid_string")
        return Params(value, self._name(key))

    def list(self, key: builtins.str) -> builtins.list[Any]:
        value = self.data.get(key)
        if value is None or value == "":
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, str):
            return [value]
        raise invalid_param("Invalid array", self._name(key), code="parameter_invalid_string")

    @overload
    def currency(self, key: builtins.str = "currency", *, required: Literal[True] = True) -> builtins.str: ...

    @overload
    def currency(self, key: builtins.str = "currency", *, required: builtins.bool) -> builtins.str | None: ...

    def currency(self, key: builtins.str = "currency", *, required: builtins.bool = True) -> builtins.str | None:
        value = self.str(key, required=required)
        if value is None:
            return None
        if value.lower() not in SUPPORTED:
            raise invalid_param(
                f"Invalid currency: {value.lower()}. Stripe currently supports these "
                f"currencies: {', '.join(sorted(SUPPORTED))}",
                self._name(key),
                code="parameter_invalid_string",
            )
        return value.lower()

    def metadata(self, key: builtins.str = "metadata") -> dict[builtins.str, builtins.str] | None:
        """Metadata as given (``None`` when absent); ``""`` means "clear" and gives ``{}``."""
        if key not in self.data:
            return None
        value = self.data[key]
        if value == "":
            return {}
        if not isinstance(value, dict):
            raise invalid_param("Invalid hash", self._name(key), code="parameter_invalid_string")
        if len(value) > 50:
            raise invalid_param("Metadata can have up to 50 keys.", self._name(key))
        for k, v in value.items():
            if len(k) > 40:
                raise invalid_param("Metadata keys can have up to 40 characters.", f"{self._name(key)}[{k}]")
            if not isinstance(v, str):
                raise invalid_param("Metadata values must be strings.", f"{self._name(key)}[{k}]")
            if len(v) > 500:
                raise invalid_param("Metadata values can have up to 500 characters.", f"{self._name(key)}[{k}]")
        return dict(value)


def merge_metadata(current: dict[str, str], update: dict[str, str] | None) -> dict[str, str]:
    """Stripe's update semantics: keys merge, an empty value deletes, ``metadata=""`` clears."""
    if update is None:
        return current
    if not update:
        return {}
    merged = dict(current)
    for k, v in update.items():
        if v == "":
            merged.pop(k, None)
        else:
            merged[k] = v
    return merged


def payment_method_types(p: Params) -> list[str] | None:
    """``allowed_payment_method_types`` (API 2026-10-28 and later) or ``payment_method_types``
    (earlier versions), minus ``excluded_payment_method_types``; ``None`` when not given."""
    types = [str(t) for t in p.list("allowed_payment_method_types") or p.list("payment_method_types")]
    excluded = {str(t) for t in p.list("excluded_payment_method_types")}
    if not types:
        return None
    return [t for t in types if t not in excluded]
