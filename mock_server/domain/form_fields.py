"""The rules of each type of form field: how a form's field is defined over the API
(``FormFieldPost`` and its validators), what a new document's field of that type holds, which
content a document's field accepts (each ``FieldForm.validate``) and how the content is kept and
shown (choices are kept as ``fieldChoices=a&fieldChoices=b`` and shown as ``a,b``).

The messages are RSpace's (its ``server.workspace`` catalogue and the field classes of
``rspace-core-model``).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .bodies import long_value, string_value
from .errors import FieldError, UnreadableBody
from .models import FormField
from .text import java_double

#: ``FieldType`` names as the forms API spells them (the type ids of ``FormFieldPost``), by the
#: lower-case name documents use.
API_TYPE_NAMES = {
    "string": "String",
    "text": "Text",
    "number": "Number",
    "radio": "Radio",
    "choice": "Choice",
    "date": "Date",
    "time": "Time",
    "reference": "Reference",
    "uri": "Uri",
    "attachment": "Attachment",
}
TYPES_BY_API_NAME = {api: name for name, api in API_TYPE_NAMES.items()}
#: ``AbstractFormFieldDTO.MAX_NAME_LENGTH``: form and field names.
NAME_MAX_LENGTH = 50
STRING_DEFAULT_MAX_LENGTH = 255
CHOICE_PREFIX = "fieldChoices="
SELECTED_CHOICE_PREFIX = "fieldSelectedChoices="
RADIO_PREFIX = "fieldRadios="
#: What a comma inside one choice value is written as (``ApiFieldsHelper``).
ESCAPED_COMMA = "&#44;"

_MILLIS_PER_DAY = 86_400_000


# -- names --------------------------------------------------------------------------------


def name_problems(name: object) -> list[str]:
    """``@ValidName``: ``@NotNull @NotBlank @Size(min=1, max=50)``, each reported on its own."""
    if name is None:
        return ["must not be null", "must not be blank"]
    assert isinstance(name, str)
    problems = []
    if not name.strip():
        problems.append("must not be blank")
    if not 1 <= len(name) <= NAME_MAX_LENGTH:
        problems.append(f"Name must be between 1 and {NAME_MAX_LENGTH} characters")
    return problems


# -- reading a field definition (FormFieldPost) -------------------------------------------------


@dataclass
class FieldPost:
    """One element of a form body's ``fields``: the definition, and the id of the field it
    edits (``None``: a new field)."""

    id: int | None
    field: FormField


def encode_options(prefix: str, options: list[str]) -> str:
    """``FormFieldPost.getOptionsStringFromList``: ``prefix=a&prefix=b``."""
    return "&".join(prefix + option for option in options)


def decode_options(encoded: str | None) -> list[str]:
    """``getChoiceOptionAsList``: each ``&`` part's text after its first ``=`` and before any
    second one (so an option holding ``&`` or ``=`` reads back cut, as in RSpace; an empty one
    reads as ``""``)."""
    if not encoded:
        return []
    values = []
    for part in encoded.split("&"):
        pieces = [p for p in part.split("=")]
        while len(pieces) > 1 and pieces[-1] == "":
            pieces.pop()  # Java's split drops trailing empty strings
        values.append(pieces[1] if len(pieces) > 1 else "")
    return values


def _double(raw: Mapping[str, Any], key: str, where: str) -> float | None:
    """A ``Double`` property: a number, or a string Jackson reads as one."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a number")
    number = parse_java_double(value) if isinstance(value, str) else _finite(value)
    if number is None or not math.isfinite(number):
        # RSpace would keep NaN or an infinity and then fail to write the form: refused here.
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a finite number")
    return number


def _finite(value: float) -> float | None:
    try:
        return float(value)
    except OverflowError:
        return None


def _byte(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    """A ``Byte`` property: a whole number from -128 to 127."""
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a number")
    try:
        number = int(value) if not isinstance(value, str) else int(value.strip())
    except (ValueError, OverflowError):
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a number") from None
    if not -128 <= number <= 127:
        raise UnreadableBody(f"JSON parse error: {where}.{key} is out of range of a Byte")
    return number


def _boolean(raw: Mapping[str, Any], key: str, where: str) -> bool:
    value = raw.get(key)
    if value is None:
        return False
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value != 0
    if value in ("true", "false"):
        return bool(value == "true")
    raise UnreadableBody(f"JSON parse error: {where}.{key} is not a boolean")


def _string(raw: Mapping[str, Any], key: str, where: str) -> str | None:
    return string_value(raw.get(key), f"{where}.{key}")


def _strings(raw: Mapping[str, Any], key: str, where: str) -> list[str] | None:
    """A ``List<String>`` property (``None`` when it is null)."""
    if key not in raw:
        return []
    value = raw[key]
    if value is None:
        return None
    if not isinstance(value, list):  # ACCEPT_SINGLE_VALUE_AS_ARRAY is off
        raise UnreadableBody(f"JSON parse error: {where}.{key} must be an array")
    # A null item is the text "null" (RSpace joins the options as text).
    texts = (string_value(item, f"{where}.{key}") for item in value)
    return ["null" if text is None else text for text in texts]


_ISO_DATE = re.compile(
    r"(?P<y>\d{4})-(?P<m>\d\d)-(?P<d>\d\d)"
    r"(?:[T ](?P<H>\d\d):(?P<M>\d\d)(?::(?P<S>\d\d)(?:\.(?P<f>\d{1,9}))?)?"
    r"(?P<z>Z|[+-]\d\d:?\d\d)?)?"
)


def _date_millis(raw: Mapping[str, Any], key: str, where: str) -> int:
    """A ``java.util.Date`` property as Jackson's ``StdDateFormat`` reads it (UTC, lenient:
    a 30 February is 2 March): epoch milliseconds, as a number or digits, or an ISO-8601 date
    or date-time; 0 when null (RSpace keeps 0 for none)."""
    value = raw.get(key)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a date")
    if not isinstance(value, str):
        try:
            return int(value)
        except (ValueError, OverflowError):
            raise UnreadableBody(f"JSON parse error: {where}.{key} is not a date") from None
    if re.fullmatch(r"-?\d{1,18}", value):
        return int(value)
    match = _ISO_DATE.fullmatch(value)
    if match is None:
        raise UnreadableBody(f"JSON parse error: {where}.{key} is not a date: {value!r}")
    year, month = int(match["y"]), int(match["m"])
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    days = _days_from_civil(year, month, 1) + int(match["d"]) - 1
    millis = days * _MILLIS_PER_DAY
    millis += (
        int(match["H"] or 0) * 3600 + int(match["M"] or 0) * 60 + int(match["S"] or 0)
    ) * 1000
    millis += int((match["f"] or "0").ljust(3, "0")[:3])
    zone = match["z"]
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        digits = zone[1:].replace(":", "")
        millis -= sign * (int(digits[:2]) * 60 + int(digits[2:])) * 60_000
    return millis


def read_field_post(raw: object, index: int, errors: list[FieldError]) -> FieldPost:
    """One field definition of a form body. Its ``type`` picks the class Jackson binds (a
    missing or unknown one, in any other case, is an unreadable body); bean validation problems
    are added to ``errors`` (paths ``fields[i].name`` and so on)."""
    where = f"fields[{index}]"
    if not isinstance(raw, dict):
        raise UnreadableBody(f"JSON parse error: {where} must be an object")
    api_type = raw.get("type")
    if not isinstance(api_type, str) or api_type not in TYPES_BY_API_NAME:
        raise UnreadableBody(
            f"JSON parse error: Could not resolve type id '{api_type}' as a subtype of "
            "FormFieldPost: known type ids = [Attachment, Choice, Date, Number, Radio, "
            "Reference, String, Text, Time, Uri]"
        )
    kind = TYPES_BY_API_NAME[api_type]
    field_id = long_value(raw.get("id"), f"{where}.id")
    name = _string(raw, "name", where)
    for problem in name_problems(name):
        errors.append(FieldError(f"{where}.name", name, problem, "formPost"))
    field = FormField(name=name or "", type=kind)
    if kind in ("string", "text"):
        default = _string(raw, "defaultValue", where)
        field.default_value = default if default is not None else ""
        if kind == "string" and len(field.default_value) > STRING_DEFAULT_MAX_LENGTH:
            errors.append(
                FieldError(
                    f"{where}.defaultValue",
                    default,
                    f"String fields must be less than {STRING_DEFAULT_MAX_LENGTH} characters",
                    "formPost",
                )
            )
    elif kind == "number":
        field.min_number = _double(raw, "min", where)
        field.max_number = _double(raw, "max", where)
        field.default_number = _double(raw, "defaultValue", where)
        field.decimal_places = _byte(raw, "decimalPlaces", where)
        if field.decimal_places is not None and field.decimal_places < 0:
            errors.append(
                FieldError(
                    f"{where}.decimalPlaces",
                    field.decimal_places,
                    "must be greater than or equal to 0",
                    "formPost",
                )
            )
        if not _number_range_ok(field):
            errors.append(FieldError(where, None, "Min must be < max", "formPost"))
    elif kind in ("radio", "choice"):
        # RSpace fails on null options (a 500): the fake answers as for none.
        options = _strings(raw, "options", where)
        if not options:
            errors.append(
                FieldError(
                    f"{where}.options", options, "Please provide at least one option", "formPost"
                )
            )
        options = options or []
        if kind == "radio":
            default = _string(raw, "defaultOption", where)
            if default is not None and not default:
                errors.append(
                    FieldError(
                        f"{where}.defaultOption",
                        default,
                        "size must be between 1 and 2147483647",
                        "formPost",
                    )
                )
            if default is not None and default not in options:
                errors.append(
                    FieldError(
                        where,
                        None,
                        "Default option must be one of the possible options",
                        "formPost",
                    )
                )
            field.options = encode_options(RADIO_PREFIX, options)
            field.default_option = default
            field.show_as_pick_list = _boolean(raw, "showAsPickList", where)
        else:
            defaults = _strings(raw, "defaultOptions", where)
            if defaults is not None and not set(defaults) <= set(options):
                errors.append(
                    FieldError(
                        where,
                        None,
                        "Default options must be included in the possible options",
                        "formPost",
                    )
                )
            field.options = encode_options(CHOICE_PREFIX, options)
            field.default_option = encode_options(SELECTED_CHOICE_PREFIX, defaults or [])
            field.multiple_choice = _boolean(raw, "multipleChoice", where)
    elif kind == "date":
        field.default_date = _date_millis(raw, "defaultValue", where)
        field.min_date = _date_millis(raw, "min", where)
        field.max_date = _date_millis(raw, "max", where)
        if not _date_range_ok(field):
            errors.append(
                FieldError(
                    where,
                    None,
                    "Min date must be before max date, and default date must be between them",
                    "formPost",
                )
            )
    elif kind == "time":
        # A Long; RSpace keeps 0 for none (it fails on a missing one: see the README).
        default_time = raw.get("defaultValue")
        field.default_time = long_value(default_time, f"{where}.defaultValue") or 0
    return FieldPost(field_id, field)


def _number_range_ok(field: FormField) -> bool:
    """``ValidNumberFormFieldPostValidator``: min < max; the default within them (inclusive)."""
    low, high, default = field.min_number, field.max_number, field.default_number
    if low is not None and high is not None and not low < high:
        return False
    if default is not None:
        if low is not None and default < low:
            return False
        if high is not None and default > high:
            return False
    return True


def _date_range_ok(field: FormField) -> bool:
    """``ValidDateFormFieldPostValidator``: each comparison strict, each side only when set."""
    low, high, default = field.min_date, field.max_date, field.default_date
    if low and high and not low < high:
        return False
    if default:
        if low and not low < default:
            return False
        if high and not default < high:
            return False
    return True


# -- a new document's fields --------------------------------------------------------------


def _civil_from_days(days: int) -> tuple[int, int, int]:
    """The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01."""
    days += 719468
    era = days // 146097
    day_of_era = days - era * 146097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36524 - day_of_era // 146096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_index = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_index + 2) // 5 + 1
    month = month_index + 3 if month_index < 10 else month_index - 9
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


def format_date(millis: int) -> str:
    """``yyyy-MM-dd`` of an instant, in UTC (the fake's time zone); a year before 1 as its
    year of the era, as ``SimpleDateFormat`` writes it."""
    year, month, day = _civil_from_days(millis // _MILLIS_PER_DAY)
    shown = year if year > 0 else 1 - year
    return f"{shown:04d}-{month:02d}-{day:02d}"


def format_time(millis: int) -> str:
    minutes = millis % _MILLIS_PER_DAY // 60_000
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def default_content(field: FormField) -> str:
    """What a new document's field holds (``FieldForm.getDefault``), as kept."""
    kind = field.type
    if kind in ("string", "text"):
        return field.default_value or ""
    if kind == "number":
        if field.default_number is None:
            return ""
        if field.decimal_places == 0:
            return str(int(field.default_number)) if math.isfinite(field.default_number) else ""
        return java_double(field.default_number)
    if kind == "radio":
        return field.default_option or ""
    if kind == "choice":
        return field.default_option or ""
    if kind == "date":
        return format_date(field.default_date) if field.default_date else ""
    if kind == "time":
        return format_time(field.default_time) if field.default_time else ""
    return ""


# -- a document's content -----------------------------------------------------------------


def _java_split(text: str, separator: str) -> list[str]:
    pieces = text.split(separator)
    while len(pieces) > 1 and pieces[-1] == "":
        pieces.pop()
    return pieces if pieces != [""] or text == "" else [""]


def choice_content_received(content: str) -> str:
    """``convertChoiceFieldContentReceivedFromClient``: ``a,b`` as ``fieldChoices=a&...``."""
    if not content:
        return content
    values = [v.replace(ESCAPED_COMMA, ",") for v in _java_split(content, ",")]
    return "&".join(CHOICE_PREFIX + v for v in values)


def choice_content_shown(stored: str) -> str:
    """``convertChoiceFieldContentSentToClient``: what a client reads of a choice field."""
    if not stored:
        return stored
    shown = []
    for part in stored.split("&"):
        if part.startswith(CHOICE_PREFIX):
            value = part[len(CHOICE_PREFIX) :]
        elif part.startswith(SELECTED_CHOICE_PREFIX):
            value = part[len(SELECTED_CHOICE_PREFIX) :]
        else:
            value = ""
        shown.append(value.replace(",", ESCAPED_COMMA))
    return ",".join(shown)


_CHOICE_STRING = re.compile(r"(\S+=[^&=]+&?)+(\S+=[^&=])*")
_CHOICE_PART = re.compile(r"\S+=[^&=]+")
_HTML_TAG = re.compile(r"<[^>]*>")


def kept_content(field_type: str, content: str) -> str:
    """The content as a field of this type keeps it: a choice's values encoded, a string's HTML
    tags removed (``textDataOnly``). Text is cleaned elsewhere (``html_safelist``)."""
    if field_type == "choice":
        return choice_content_received(content)
    if field_type == "string":
        return _HTML_TAG.sub("", content) if content else content
    return content


def shown_content(field_type: str, stored: str) -> str:
    return choice_content_shown(stored) if field_type == "choice" else stored


def content_problems(field: FormField, content: str) -> list[str]:
    """``FieldForm.validate`` of a document field's content (a choice's already encoded)."""
    kind = field.type
    if not content:
        return []
    if kind == "number":
        return _number_problems(field, content)
    if kind == "radio":
        if content in decode_options(field.options):
            return []
        return [f"Invalid data for Radio Field [{content}]"]
    if kind == "choice":
        if _CHOICE_STRING.fullmatch(content) and all(
            _CHOICE_PART.fullmatch(part) for part in content.split("&")
        ):
            return []
        return [f"Invalid data for Choice Field [{content}]"]
    if kind == "date":
        return _date_problems(field, content)
    if kind == "reference":
        return _reference_problems(content)
    if kind == "uri":
        problem = uri_problem(content)
        return [f"Invalid URI syntax; {problem}"] if problem else []
    return []


_JAVA_DOUBLE = re.compile(r"[+-]?(NaN|Infinity|((\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)[fFdD]?)")


def parse_java_double(text: str) -> float | None:
    """``Double.parseDouble``: trimmed; Java's syntax (``1e3``, ``5d``, ``NaN``, ``Infinity``);
    ``None`` if it is not a number (hexadecimal floats are not read)."""
    trimmed = text.strip("".join(chr(c) for c in range(0x21)))
    if not _JAVA_DOUBLE.fullmatch(trimmed):
        return None
    body = trimmed.rstrip("fFdD") if "Infinity" not in trimmed else trimmed
    if body.lstrip("+-") == "NaN":
        return math.nan
    try:
        return float(body.replace("Infinity", "inf"))
    except (ValueError, OverflowError):
        return None


def _number_problems(field: FormField, content: str) -> list[str]:
    value = parse_java_double(content)
    if value is None:
        return [f"Invalid number format [{content}]."]
    problems = []
    places = field.decimal_places
    if places is not None and "." in content and len(content.split(".", 1)[1]) > places:
        problems.append(f"Data [{content}] has too many decimal places (should be [{places}] ).")
    if value == 0.0 and field.default_number == 0.0:
        return problems  # RSpace does not check the bounds of a zero default
    if field.min_number is not None and value < field.min_number:
        problems.append(f"Data [{content}] smaller than minimum [{java_double(field.min_number)}]")
    elif field.max_number is not None and value > field.max_number:
        problems.append(f"Data [{content}] greater than maximum [{java_double(field.max_number)}]")
    return problems


_LENIENT_DATE = re.compile(r"(\d+)-(\d+)-(\d+)")


def _days_from_civil(year: int, month: int, day: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (any year)."""
    year -= month <= 2
    era = year // 400  # floor division: no adjustment for negative years
    year_of_era = year - era * 400
    day_of_year = (153 * (month + (-3 if month > 2 else 9)) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146097 + day_of_era - 719468


def lenient_date_millis(content: str) -> int | None:
    """``SimpleDateFormat("yyyy-MM-dd").parse`` as RSpace uses it: lenient (a month 13 or a day
    40 rolls over), text after the date ignored; ``None`` when it does not start with one."""
    match = _LENIENT_DATE.match(content)
    if match is None:
        return None
    year, month, day = (int(g) for g in match.groups())
    year += (month - 1) // 12
    month = (month - 1) % 12 + 1
    return (_days_from_civil(year, month, 1) + day - 1) * _MILLIS_PER_DAY


def _date_problems(field: FormField, content: str) -> list[str]:
    millis = lenient_date_millis(content)
    if millis is None:
        return [f"Invalid date format [{content}]"]
    if field.min_date and millis < field.min_date:
        return [f"Input date [{content}] before minimum [{format_date(field.min_date)}]"]
    if field.max_date and millis > field.max_date:
        return [f"Input date [{content}] after maximum [{format_date(field.max_date)}]"]
    return []


#: ``GlobalIdPrefix``: the prefixes RSpace knows.
_PREFIXES = (
    "FL NB SD MG GL GF FM FD ST US GP CH IA FF CM CT TH MA NF SA SS SF EF IT IC BE IF IN NT LM BA "
    "LF"
)
GLOBAL_ID_PREFIXES = frozenset(_PREFIXES.split(" "))
_GLOBAL_ID = re.compile(r"([A-Z][A-Z])(\d+)(v(\d+))?")


def _reference_problems(content: str) -> list[str]:
    problems = []
    for value in (v.strip() for v in content.strip().split(",")):
        match = _GLOBAL_ID.fullmatch(value)
        if match is None or match.group(1) not in GLOBAL_ID_PREFIXES:
            problems.append(
                f"Invalid data ({value}) for Source Field [{content}] - must be parsable into "
                "GlobalIds"
            )
        if len(value) >= 2 and value[:2] not in GLOBAL_ID_PREFIXES:
            problems.append(
                f"The prefix {value[:2]} is not a globalIdPrefix. It must belong to "
                "GlobalIdPrefix enumset"
            )
    return problems


_URI_ALLOWED = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")


def uri_problem(text: str) -> str | None:
    """What ``new java.net.URI(text)`` complains of, for the common cases (an illegal character,
    an empty scheme); ``None`` when it parses."""
    for index, character in enumerate(text):
        if ord(character) > 0x7F:
            continue  # java.net.URI accepts other Unicode characters
        if not _URI_ALLOWED.fullmatch(character):
            where = "scheme name" if ":" in text and index < text.index(":") else "path"
            return f"Illegal character in {where} at index {index}: {text}"
    if text.startswith(":"):
        return f"Expected scheme name at index 0: {text}"
    for index, character in enumerate(text):
        if character == "%" and not re.match(r"%[0-9A-Fa-f]{2}", text[index:]):
            return f"Malformed escape pair at index {index}: {text}"
    return None
