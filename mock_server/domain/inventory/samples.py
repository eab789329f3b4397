"""Samples and their subsamples, as rspace-web's ``SamplesApiController``,
``SampleApiPostValidator`` and ``SampleApiManagerImpl`` keep them: a new sample gets its
subsamples (one named ``<name>.01`` holding the sample's quantity, or 1 ml; or
``newSampleSubSamplesCount`` of them sharing it), all on the creator's workbench; a sample's
quantity is the sum of its active subsamples; deleting a sample deletes its subsamples (unless
one is in a real container) and restoring it brings them back to the workbench."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn

from ...clock import Clock
from ..bodies import json_object
from ..errors import FieldError, IllegalArgument, NotFound, ValidationFailed, inaccessible
from ..kinds import INVENTORY_CONTAINERS, INVENTORY_SAMPLES, INVENTORY_SUBSAMPLES
from ..models import (
    InventoryContainer,
    InventoryExtraField,
    InventorySample,
    InventorySubSample,
    User,
)
from ..paging import truncate_to_millis
from ..permissions import Permissions
from ..request_params import int_param
from ..store import Store
from .units import (
    AMOUNT_CATEGORIES,
    DEFAULT_UNIT,
    TEMPERATURE_UNITS,
    UNITS,
    Quantity,
    decimal_of,
    rounded,
)

OBJECT_NAME = "apiSampleWithFullSubSamples"
NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 250
MAX_NEW_SUBSAMPLES = 100
SAMPLE_SOURCES = ("LAB_CREATED", "VENDOR_SUPPLIED", "OTHER")
WORKBENCH = "WORKBENCH"
PAGE_SIZE_MAX = 100
ORDER_FIELDS = ("name", "type", "globalId", "creationDate", "modificationDate")
DELETED_ITEMS = ("EXCLUDE", "INCLUDE", "DELETED_ONLY")
_TAG_FORBIDDEN = re.compile(r"[<>/\\]")


def record_not_found(record_id: object) -> NotFound:
    return NotFound(inaccessible("Inventory record", record_id))


@dataclass(frozen=True)
class SampleListing:
    samples: list[InventorySample]
    total: int
    page_number: int
    page_size: int
    order_by: str
    owned_by: str | None
    deleted_items: str | None


class SampleService:
    def __init__(self, store: Store, clock: Clock, permissions: Permissions) -> None:
        self.store = store
        self.clock = clock
        self.permissions = permissions

    def _now(self) -> Any:
        return truncate_to_millis(self.clock.now())

    # -- the workbench --------------------------------------------------------------------

    def workbench(self, user: User) -> InventoryContainer:
        """The user's workbench, made the first time it is needed (``WB <username>``)."""
        with self.store.transaction():
            for bench in self.store.collection(INVENTORY_CONTAINERS).select(owner_id=user.id):
                if bench.c_type == WORKBENCH:
                    return bench
            now = self._now()
            bench = InventoryContainer(
                id=self.store.next_id("inventory_container"),
                owner_id=user.id,
                name=f"WB {user.username}",
                c_type=WORKBENCH,
                created=now,
                last_modified=now,
                modified_by=user.username,
            )
            self.store.collection(INVENTORY_CONTAINERS).insert(bench)
            return bench

    def _place_on(self, bench: InventoryContainer, subsample: InventorySubSample) -> None:
        bench.locations_used += 1
        subsample.container_id = bench.id
        subsample.location_id = self.store.next_id("inventory_location")
        subsample.coord_x, subsample.coord_y = bench.locations_used, 1
        self.store.collection(INVENTORY_CONTAINERS).put(bench)

    # -- creating ---------------------------------------------------------------------------

    def create(self, user: User, body: object) -> InventorySample:
        data = json_object(body)
        if data.get("template") is True:
            raise IllegalArgument("Please use /sampleTemplates endpoint for template actions")
        problems: list[FieldError] = []
        name = _name(data.get("name"), problems)
        description = _description(data.get("description"), problems)
        tags = _tags(data.get("tags"), problems)
        quantity = _quantity(data.get("quantity"), "quantity", problems)
        count = _subsample_count(data, problems)
        low = _temperature(data.get("storageTempMin"), "storageTempMin", problems)
        high = _temperature(data.get("storageTempMax"), "storageTempMax", problems)
        if low and high and low.unit_id == high.unit_id and low.value > high.value:
            problems.append(
                FieldError(
                    "storageTempMin",
                    data.get("storageTempMin"),
                    "Min temperature is greater than max temperature.",
                    OBJECT_NAME,
                )
            )
        source = data.get("sampleSource") or "LAB_CREATED"
        if source not in SAMPLE_SOURCES:
            raise_unreadable()
        expiry = _expiry(data.get("expiryDate"))
        extra = _extra_fields(data.get("extraFields"), problems)
        if problems:
            raise ValidationFailed(problems)
        with self.store.transaction():
            now = self._now()
            sample = InventorySample(
                id=self.store.next_id("inventory_sample"),
                owner_id=user.id,
                name=name,
                created=now,
                last_modified=now,
                modified_by=user.username,
                description=description,
                tags=tags,
                sample_source=str(source),
                expiry_date=expiry,
                storage_temp_min=str(low.value) if low else None,
                storage_temp_min_unit=low.unit_id if low else None,
                storage_temp_max=str(high.value) if high else None,
                storage_temp_max_unit=high.unit_id if high else None,
            )
            for item in extra:
                item.id = self.store.next_id("inventory_extra_field")
                item.last_modified, item.modified_by = now, user.username
            sample.extra_fields = extra
            self.store.collection(INVENTORY_SAMPLES).insert(sample)
            # A given quantity is shared out; without one, each subsample holds 1 ml.
            total = quantity or Quantity(Decimal(count), DEFAULT_UNIT)
            each = rounded(total.value / count) if count > 1 else total.value
            bench = self.workbench(user)
            width = max(2, len(str(count)))
            for number in range(1, count + 1):
                subsample = InventorySubSample(
                    id=self.store.next_id("inventory_subsample"),
                    sample_id=sample.id,
                    owner_id=user.id,
                    name=f"{name}.{number:0{width}d}",
                    created=now,
                    last_modified=now,
                    modified_by=user.username,
                    quantity=str(each),
                    quantity_unit=total.unit_id,
                )
                self._place_on(bench, subsample)
                self.store.collection(INVENTORY_SUBSAMPLES).insert(subsample)
            return sample

    # -- reading ----------------------------------------------------------------------------

    def may_read(self, user: User, owner_id: int) -> bool:
        return (
            owner_id == user.id
            or user.has_sysadmin_role
            or self.permissions.share_a_group(user.id, owner_id)
        )

    def get(self, user: User, sample_id: int) -> InventorySample:
        sample = self.store.collection(INVENTORY_SAMPLES).get(sample_id)
        if sample is None or not self.may_read(user, sample.owner_id):
            raise record_not_found(sample_id)
        return sample

    def subsamples(self, sample: InventorySample) -> list[InventorySubSample]:
        found = self.store.collection(INVENTORY_SUBSAMPLES).select(sample_id=sample.id)
        return sorted(found, key=lambda s: s.id)

    def quantity(self, sample: InventorySample) -> Quantity:
        """The sum of the active subsamples (``{0, ml}`` when there are none)."""
        active = [s for s in self.subsamples(sample) if not s.deleted]
        if not active:
            return Quantity(Decimal(0), DEFAULT_UNIT)
        unit = active[0].quantity_unit
        return Quantity(rounded(sum((Decimal(s.quantity) for s in active), Decimal(0))), unit)

    def get_subsample(self, user: User, subsample_id: int) -> InventorySubSample:
        subsample = self.store.collection(INVENTORY_SUBSAMPLES).get(subsample_id)
        if subsample is None or not self.may_read(user, subsample.owner_id):
            raise record_not_found(subsample_id)
        return subsample

    def sample_of(self, subsample: InventorySubSample) -> InventorySample:
        sample = self.store.collection(INVENTORY_SAMPLES).get(subsample.sample_id)
        assert sample is not None
        return sample

    def container(self, container_id: int | None) -> InventoryContainer | None:
        if container_id is None:
            return None
        return self.store.collection(INVENTORY_CONTAINERS).get(container_id)

    def listing(self, user: User, params: dict[str, str]) -> SampleListing:
        errors: list[FieldError] = []
        page_number = int_param(params, "pageNumber", 0, errors, "inventoryApiPaginationCriteria")
        page_size = int_param(params, "pageSize", 20, errors, "inventoryApiPaginationCriteria")
        if errors:
            raise ValidationFailed(errors)
        if page_number < 0:
            raise IllegalArgument("Page number must be 0 or greater.")
        if not 1 <= page_size <= PAGE_SIZE_MAX:
            raise IllegalArgument(f"Page size must be between 1 and {PAGE_SIZE_MAX}.")
        order_by = params.get("orderBy") or "name asc"
        field_name, _, direction = order_by.strip().partition(" ")
        direction = direction.strip() or "asc"
        if field_name not in ORDER_FIELDS or direction not in ("asc", "desc"):
            raise IllegalArgument(f"Invalid orderBy parameter: {order_by}")
        deleted_items = params.get("deletedItems")
        if deleted_items is not None and deleted_items not in DELETED_ITEMS:
            raise IllegalArgument(
                "Requested deletedItems option must be one of: EXCLUDE, INCLUDE or DELETED_ONLY"
            )
        owned_by = params.get("ownedBy") or None
        wanted = deleted_items or "EXCLUDE"
        samples = [
            s
            for s in self.store.collection(INVENTORY_SAMPLES).select()
            if self.may_read(user, s.owner_id)
            and (wanted == "INCLUDE" or s.deleted == (wanted == "DELETED_ONLY"))
        ]
        if owned_by is not None:
            samples = [s for s in samples if self._username(s.owner_id) == owned_by]
        key = {
            "name": lambda s: s.name.lower(),
            "type": lambda s: "SAMPLE",
            "globalId": lambda s: s.id,
            "creationDate": lambda s: s.created,
            "modificationDate": lambda s: s.last_modified,
        }[field_name]
        samples.sort(key=lambda s: s.id)
        samples.sort(key=key, reverse=direction == "desc")
        start = page_number * page_size
        return SampleListing(
            samples[start : start + page_size],
            len(samples),
            page_number,
            page_size,
            order_by,
            owned_by,
            deleted_items,
        )

    def _username(self, user_id: int) -> str | None:
        from ..kinds import USERS

        owner = self.store.collection(USERS).get(user_id)
        return owner.username if owner else None

    # -- deleting and restoring -------------------------------------------------------------

    def delete(self, user: User, sample_id: int, force: bool = False) -> InventorySample:
        with self.store.transaction():
            sample = self._own(user, sample_id)
            if sample.deleted:
                return sample
            active = [s for s in self.subsamples(sample) if not s.deleted]
            in_containers = [s for s in active if not self.on_a_workbench(s)]
            if in_containers and not force:
                return sample  # nothing is deleted; RSpace still answers with the sample
            now = self._now()
            for subsample in active:
                subsample.container_id = subsample.location_id = None
                subsample.coord_x = subsample.coord_y = None
                subsample.deleted, subsample.deleted_date = True, now
                subsample.deleted_on_sample_deletion = True
                self.store.collection(INVENTORY_SUBSAMPLES).put(subsample)
            sample.deleted, sample.deleted_date = True, now
            self.store.collection(INVENTORY_SAMPLES).put(sample)
            return sample

    def restore(self, user: User, sample_id: int) -> InventorySample:
        with self.store.transaction():
            sample = self._own(user, sample_id)
            if not sample.deleted:
                return sample
            bench = self.workbench(user)
            for subsample in self.subsamples(sample):
                if subsample.deleted and subsample.deleted_on_sample_deletion:
                    subsample.deleted, subsample.deleted_date = False, None
                    subsample.deleted_on_sample_deletion = False
                    self._place_on(bench, subsample)
                    self.store.collection(INVENTORY_SUBSAMPLES).put(subsample)
            sample.deleted, sample.deleted_date = False, None
            self.store.collection(INVENTORY_SAMPLES).put(sample)
            return sample

    def _own(self, user: User, sample_id: int) -> InventorySample:
        sample = self.store.collection(INVENTORY_SAMPLES).get(sample_id)
        if sample is None:
            raise NotFound(f"No sample with id: {sample_id}")
        if sample.owner_id != user.id:
            raise IllegalArgument(f"SAMPLE with id [{sample_id}] cannot be edited by current User")
        return sample

    def on_a_workbench(self, subsample: InventorySubSample) -> bool:
        holder = self.container(subsample.container_id)
        return holder is None or holder.c_type == WORKBENCH


# -- checking a new sample's body -------------------------------------------------------------


def raise_unreadable() -> NoReturn:
    from ..errors import UnreadableBody

    raise UnreadableBody()


def _error(field: str, rejected: object, message: str) -> FieldError:
    return FieldError(field, rejected, message, OBJECT_NAME)


def _name(raw: object, problems: list[FieldError]) -> str:
    if raw is not None and not isinstance(raw, str):
        raw = str(raw)
    name = (raw or "").strip()
    if not name:
        problems.append(_error("name", raw, "name is a required field."))
    elif len(name) > NAME_MAX_LENGTH:
        problems.append(_error("name", raw, "Name cannot be longer than 255 characters"))
        problems.append(_error("name", raw, "name cannot be greater than 255 characters."))
    return name


def _description(raw: object, problems: list[FieldError]) -> str | None:
    if raw is None:
        return None
    text = raw if isinstance(raw, str) else str(raw)
    if len(text) > DESCRIPTION_MAX_LENGTH:
        problems.append(
            _error("description", raw, "description cannot be greater than 250 characters.")
        )
    return text


def _tags(raw: object, problems: list[FieldError]) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise_unreadable()
    values = []
    for item in raw:
        value = item.get("value") if isinstance(item, dict) else item
        if not isinstance(value, str):
            raise_unreadable()
        value = str(value)
        if len(value) < 2:
            problems.append(_error("tags", value, "Tag cannot be less than 2 characters."))
        elif (bad := _TAG_FORBIDDEN.search(value)) is not None:
            problems.append(
                _error("tags", value, f"{bad.group()} is not an allowed character for tag")
            )
        values.append(value)
    return values


def _quantity(raw: object, field: str, problems: list[FieldError]) -> Quantity | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise_unreadable()
    value = decimal_of(raw.get("numericValue"))
    unit = raw.get("unitId")
    if value is None or isinstance(unit, bool) or not isinstance(unit, (int, str)):
        raise_unreadable()
    try:
        unit_id = int(unit)
    except ValueError:
        raise_unreadable()
    if value < 0:
        problems.append(_error(field, raw, "Quantity 'numericValue' must be positive"))
    if unit_id not in UNITS:
        problems.append(_error(field, raw, f"Quantity unit id [{unit_id}] is invalid"))
    elif UNITS[unit_id][1] not in AMOUNT_CATEGORIES:
        problems.append(
            _error(
                field,
                raw,
                f"Quantity unit id [{unit_id}] is not pointing to a unit of amount, it should "
                "be an id of a mass, volume or dimensionless unit.",
            )
        )
    return Quantity(rounded(value), unit_id)


def _temperature(raw: object, field: str, problems: list[FieldError]) -> Quantity | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise_unreadable()
    value = decimal_of(raw.get("numericValue"))
    unit = raw.get("unitId")
    if value is None or isinstance(unit, bool) or not isinstance(unit, int):
        raise_unreadable()
    if unit not in TEMPERATURE_UNITS:
        problems.append(_error(field, raw, "Unit id is not a valid temperature unit."))
    return Quantity(value, unit)


def _subsample_count(data: dict[str, Any], problems: list[FieldError]) -> int:
    raw = data.get("newSampleSubSamplesCount")
    if raw is None:
        return 1
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise_unreadable()
    count = int(raw)
    if not 1 <= count <= MAX_NEW_SUBSAMPLES:
        problems.append(
            FieldError(
                None,
                None,
                f"subSamplesCount supported values are 1-{MAX_NEW_SUBSAMPLES}, was [{count}]",
                OBJECT_NAME,
            )
        )
    if data.get("subSamples"):
        problems.append(
            FieldError(
                None,
                None,
                "subSamples array must be empty if newSampleSubSamplesCount is provided",
                OBJECT_NAME,
            )
        )
    return count


def _expiry(raw: object) -> str | None:
    if raw is None or raw == "":
        return None
    if not isinstance(raw, str) or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        raise_unreadable()
    try:
        return date.fromisoformat(str(raw)).isoformat()
    except ValueError:
        raise_unreadable()


def _extra_fields(raw: object, problems: list[FieldError]) -> list[InventoryExtraField]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise_unreadable()
    fields = []
    for item in raw:
        if not isinstance(item, dict):
            raise_unreadable()
        kind = str(item.get("type") or "text").lower()
        if kind not in ("text", "number"):
            raise_unreadable()
        name = str(item.get("name") or "")
        content = item.get("content")
        fields.append(
            InventoryExtraField(0, name, kind, "" if content is None else str(content), None, "")  # type: ignore[arg-type]
        )
    return fields
