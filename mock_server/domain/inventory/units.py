"""Inventory's units (``GET /api/v1/units``, rspace-core-model's ``RSUnitDef``) and quantities:
values rounded half-up to three decimals, trailing zeros dropped, as ``QuantityInfo`` keeps
them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

#: id -> (label, category), in RSpace's ids.
UNITS: dict[int, tuple[str, str]] = {
    1: ("items", "dimensionless"),
    2: ("µl", "volume"),
    3: ("ml", "volume"),
    4: ("l", "volume"),
    5: ("µg", "mass"),
    6: ("mg", "mass"),
    7: ("g", "mass"),
    8: ("℃", "temperature"),
    9: ("K", "temperature"),
    10: ("F", "temperature"),
    11: ("nmol/l", "molarity"),
    12: ("μmol/l", "molarity"),
    13: ("mmol/l", "molarity"),
    14: ("mol/l", "molarity"),
    15: ("µg/µl", "concentration"),
    16: ("mg/ml", "concentration"),
    17: ("g/l", "concentration"),
}
#: Units a sample's or subsample's quantity may be in (``isAmount``).
AMOUNT_CATEGORIES = frozenset({"mass", "volume", "dimensionless"})
TEMPERATURE_UNITS = frozenset({8, 9, 10})
#: ``defaultUnitId``: millilitres; a new subsample without a quantity holds 1 ml.
DEFAULT_UNIT = 3
_THOUSANDTH = Decimal("0.001")


@dataclass(frozen=True)
class Quantity:
    value: Decimal
    unit_id: int

    def to_json(self) -> dict[str, object]:
        return {"numericValue": json_number(self.value), "unitId": self.unit_id}


def rounded(value: Decimal) -> Decimal:
    """Half-up to three decimals, trailing zeros dropped (``QuantityInfo.setNumericValue``)."""
    result = value.quantize(_THOUSANDTH, rounding=ROUND_HALF_UP).normalize()
    return result if result != 0 else Decimal(0)


def json_number(value: Decimal) -> int | float:
    """A number as Jackson writes the stored BigDecimal: ``1``, ``0.417``."""
    return int(value) if value == value.to_integral_value() else float(value)


def decimal_of(raw: object) -> Decimal | None:
    """A JSON number, or a string of one (Jackson coerces both); ``None`` otherwise."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float, str)):
        try:
            value = Decimal(str(raw).strip())
        except InvalidOperation:
            return None
        return value if value.is_finite() else None
    return None


def units_listing() -> list[dict[str, object]]:
    """``GET /api/v1/units``: by category name, then by id (RSpace's order within each)."""
    ordered = sorted(UNITS.items(), key=lambda item: (item[1][1], item[0]))
    return [
        {"id": unit_id, "label": label, "category": category, "description": ""}
        for unit_id, (label, category) in ordered
    ]
