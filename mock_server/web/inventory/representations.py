"""Inventory records as rspace-web's Jackson writes them (``ApiSample``,
``ApiSampleWithFullSubSamples``, ``ApiSubSample``, ``ApiSubSampleInfo``, ``ApiContainerInfo``),
in their ``@JsonPropertyOrder``; null values written out."""

from __future__ import annotations

import urllib.parse
from decimal import Decimal
from typing import Any

from ...domain.inventory.samples import SampleListing, SampleService
from ...domain.inventory.units import Quantity
from ...domain.models import InventoryContainer, InventorySample, InventorySubSample, User
from ..representations import link, navigation_links, rspace_date, user_info

OWNER_ACTIONS = ["READ", "UPDATE", "CHANGE_OWNER"]


class Renderer:
    """Renders records for one request: who asks, the inventory base URL, the users."""

    def __init__(self, samples: SampleService, caller: User, base: str, users: Any) -> None:
        self.samples = samples
        self.caller = caller
        #: ``<server>/api/inventory/v1``.
        self.base = base
        self.users = users

    def _user(self, user_id: int) -> User:
        user: User = self.users.get(user_id)
        return user

    def _common(self, record: Any, prefix: str, *, top: bool) -> dict[str, Any]:
        owner = self._user(record.owner_id)
        modifier = owner.first_name + " " + owner.last_name
        return {
            "id": record.id,
            "globalId": f"{prefix}{record.id}",
            "name": record.name,
            "description": record.description if hasattr(record, "description") else None,
            "created": rspace_date(record.created),
            "createdBy": owner.username,
            "lastModified": rspace_date(record.last_modified),
            "modifiedBy": record.modified_by,
            "modifiedByFullName": modifier if top else None,
        }

    def _actions(self, record: Any, top: bool) -> list[str]:
        return (
            OWNER_ACTIONS
            if top and record.owner_id == self.caller.id
            else (["READ"] if top else [])
        )

    def _icon(self, sample_id: int) -> str:
        return f"{self.base}/sampleTemplates/{sample_id}/icon/-1"

    def _sample_links(self, sample: InventorySample) -> list[dict[str, str]]:
        icon = self._icon(sample.id)
        return [
            link(f"{self.base}/samples/{sample.id}", "self"),
            link(icon, "icon"),
            link(icon, "thumbnail"),
            link(icon, "image"),
        ]

    def _subsample_links(self, subsample: InventorySubSample) -> list[dict[str, str]]:
        icon = self._icon(subsample.sample_id)
        return [
            link(f"{self.base}/subSamples/{subsample.id}", "self"),
            link(icon, "image"),
            link(icon, "thumbnail"),
        ]

    # -- samples ------------------------------------------------------------------------------

    def _sample_head(self, sample: InventorySample, *, top: bool) -> dict[str, Any]:
        body = self._common(sample, "SA", top=top)
        active = [s for s in self.samples.subsamples(sample) if not s.deleted]
        body.update(
            {
                "canBeDeleted": all(self.samples.on_a_workbench(s) for s in active),
                "deleted": sample.deleted,
                "deletedDate": rspace_date(sample.deleted_date) if sample.deleted_date else None,
                "iconId": -1,
                "quantity": self.samples.quantity(sample).to_json(),
                "tags": [tag_json(tag) for tag in sample.tags],
                "type": "SAMPLE",
                "attachments": [],
                "barcodes": [],
                "identifiers": [],
                "owner": user_info(self._user(sample.owner_id)),
                "permittedActions": self._actions(sample, top),
                "sharingMode": "OWNER_GROUPS",
            }
        )
        return body

    def _sample_details(self, sample: InventorySample) -> dict[str, Any]:
        active = [s for s in self.samples.subsamples(sample) if not s.deleted]
        return {
            "subSampleAlias": {"alias": "aliquot", "plural": "aliquots"},
            "subSamplesCount": len(active)
            if not sample.deleted
            else len(self.samples.subsamples(sample)),
            "storageTempMin": _temperature(sample.storage_temp_min, sample.storage_temp_min_unit),
            "storageTempMax": _temperature(sample.storage_temp_max, sample.storage_temp_max_unit),
            "sampleSource": sample.sample_source,
            "expiryDate": sample.expiry_date,
        }

    def _template_keys(self, sample: InventorySample) -> dict[str, Any]:
        return {
            "templateId": None,
            "templateVersion": None,
            "template": False,
            "revisionId": None,
            "version": sample.version,
            "historicalVersion": False,
        }

    def sample(self, sample: InventorySample, *, links: bool = True) -> dict[str, Any]:
        """``ApiSample``: ``GET /samples/{id}`` (and PUT, DELETE, restore, without links)."""
        body = self._sample_head(sample, top=True)
        body.update(self._template_keys(sample))
        body.update(self._sample_details(sample))
        body["sharedWith"] = []
        body["fields"] = []
        body["extraFields"] = [self.extra_field(sample, f) for f in sample.extra_fields]
        body["subSamples"] = [self.subsample_info(s) for s in self.samples.subsamples(sample)]
        body["_links"] = self._sample_links(sample) if links else []
        return body

    def new_sample(self, sample: InventorySample) -> dict[str, Any]:
        """``ApiSampleWithFullSubSamples``: the answer to ``POST /samples``."""
        body = self._sample_head(sample, top=True)
        body.update(self._sample_details(sample))
        body.update({"templateId": None, "template": False, "fields": []})
        body["extraFields"] = [self.extra_field(sample, f) for f in sample.extra_fields]
        body["subSamples"] = [self.subsample(s) for s in self.samples.subsamples(sample)]
        body["_links"] = self._sample_links(sample)
        body.update(
            {
                "templateVersion": None,
                "revisionId": None,
                "version": sample.version,
                "historicalVersion": False,
            }
        )
        return body

    def sample_info(self, sample: InventorySample) -> dict[str, Any]:
        """``ApiSampleInfo``: a sample in a listing."""
        body = self._sample_head(sample, top=True)
        del body["canBeDeleted"]
        body.update(self._template_keys(sample))
        body.update(self._sample_details(sample))
        body["_links"] = self._sample_links(sample)
        return body

    def sample_without_subsamples(self, sample: InventorySample) -> dict[str, Any]:
        body = self._sample_head(sample, top=False)
        del body["canBeDeleted"]
        body.update(self._template_keys(sample))
        body.update(self._sample_details(sample))
        body["sharedWith"] = []
        body["fields"] = []
        body["extraFields"] = [self.extra_field(sample, f) for f in sample.extra_fields]
        body["_links"] = self._sample_links(sample)
        return body

    def extra_field(self, sample: InventorySample, item: Any) -> dict[str, Any]:
        return {
            "id": item.id,
            "globalId": f"EF{item.id}",
            "name": item.name,
            "lastModified": rspace_date(item.last_modified),
            "modifiedBy": item.modified_by,
            "type": item.type,
            "content": item.content,
            "parentGlobalId": f"SA{sample.id}",
            "_links": [],
            "deleted": False,
        }

    def listing(self, listing: SampleListing) -> dict[str, Any]:
        def query(page: int) -> str:
            parts = []
            if listing.page_size != 20:
                parts.append(("pageSize", str(listing.page_size)))
            parts.append(("pageNumber", str(page)))
            if listing.order_by != "name desc":
                parts.append(("orderBy", listing.order_by))
            if listing.owned_by:
                parts.append(("ownedBy", listing.owned_by))
            if listing.deleted_items:
                parts.append(("deletedItems", listing.deleted_items))
            return urllib.parse.urlencode(parts, quote_via=urllib.parse.quote)

        return {
            "totalHits": listing.total,
            "pageNumber": listing.page_number,
            "samples": [self.sample_info(s) for s in listing.samples],
            "_links": navigation_links(
                f"{self.base}/samples",
                listing.page_number,
                listing.page_size,
                listing.total,
                query,
            ),
        }

    # -- subsamples ---------------------------------------------------------------------------

    def _subsample_head(self, subsample: InventorySubSample, *, top: bool) -> dict[str, Any]:
        body = self._common(subsample, "SS", top=top)
        body["description"] = None
        body.update(
            {
                "deleted": subsample.deleted,
                "deletedDate": rspace_date(subsample.deleted_date)
                if subsample.deleted_date
                else None,
                "iconId": -1,
            }
        )
        return body

    def _place(self, subsample: InventorySubSample) -> dict[str, Any]:
        holder = self.samples.container(subsample.container_id)
        return {
            "parentContainers": [self.container_info(holder)] if holder else [],
            "parentLocation": {
                "id": subsample.location_id,
                "coordX": subsample.coord_x,
                "coordY": subsample.coord_y,
            }
            if holder
            else None,
            "lastNonWorkbenchParent": None,
            "lastMoveDate": None,
        }

    def _quantity(self, subsample: InventorySubSample) -> dict[str, Any]:
        return Quantity(Decimal(subsample.quantity), subsample.quantity_unit).to_json()

    def subsample_info(self, subsample: InventorySubSample) -> dict[str, Any]:
        """``ApiSubSampleInfo``: a subsample inside its sample."""
        body = self._subsample_head(subsample, top=True)
        body.update(
            {
                "tags": [],
                "attachments": [],
                "barcodes": [],
                "identifiers": [],
                "owner": user_info(self._user(subsample.owner_id)),
                "permittedActions": self._actions(subsample, True),
                "sharingMode": "OWNER_GROUPS",
                "quantity": self._quantity(subsample),
                "type": "SUBSAMPLE",
            }
        )
        body.update(self._place(subsample))
        body.update(
            {
                "revisionId": None,
                "version": subsample.version,
                "historicalVersion": False,
                "deletedOnSampleDeletion": subsample.deleted_on_sample_deletion,
                "storedInContainer": not self.samples.on_a_workbench(subsample),
                "_links": self._subsample_links(subsample),
            }
        )
        return body

    def subsample(self, subsample: InventorySubSample) -> dict[str, Any]:
        """``ApiSubSample``: ``GET /subSamples/{id}``."""
        body = self._subsample_head(subsample, top=True)
        body.update(
            {
                "quantity": self._quantity(subsample),
                "tags": [],
                "type": "SUBSAMPLE",
                "attachments": [],
                "barcodes": [],
                "identifiers": [],
                "owner": user_info(self._user(subsample.owner_id)),
                "permittedActions": self._actions(subsample, True),
                "sharingMode": "OWNER_GROUPS",
            }
        )
        body.update(self._place(subsample))
        body.update(
            {
                "deletedOnSampleDeletion": subsample.deleted_on_sample_deletion,
                "revisionId": None,
                "sample": self.sample_without_subsamples(self.samples.sample_of(subsample)),
                "extraFields": [],
                "notes": [
                    {
                        "id": note.id,
                        "created": rspace_date(note.created),
                        "createdBy": user_info(self._user(note.created_by_id)),
                        "content": note.content,
                    }
                    for note in subsample.notes
                ],
                "_links": self._subsample_links(subsample),
                "version": subsample.version,
                "historicalVersion": False,
                "storedInContainer": not self.samples.on_a_workbench(subsample),
            }
        )
        return body

    # -- containers ---------------------------------------------------------------------------

    def container_info(self, container: InventoryContainer, *, top: bool = False) -> dict[str, Any]:
        """``ApiContainerInfo``: nested in a subsample's ``parentContainers`` (no links), or a
        workbench in a listing (``top``: its self link)."""
        prefix = "BE" if container.c_type == "WORKBENCH" else "IC"
        body = self._common(container, prefix, top=False)
        count = self._count_in(container)
        body.update(
            {
                "deleted": container.deleted,
                "deletedDate": None,
                "iconId": -1,
                "quantity": None,
                "tags": [],
                "type": "CONTAINER",
                "attachments": [],
                "barcodes": [],
                "identifiers": [],
                "owner": user_info(self._user(container.owner_id)),
                "permittedActions": self._actions(container, top),
                "sharingMode": "OWNER_GROUPS",
                "parentContainers": [],
                "parentLocation": None,
                "lastNonWorkbenchParent": None,
                "lastMoveDate": None,
                "revisionId": None,
                "version": container.version,
                "historicalVersion": False,
                "locationsCount": None,
                "contentSummary": {
                    "totalCount": count,
                    "subSampleCount": count,
                    "containerCount": 0,
                    "instrumentCount": 0,
                },
                "cType": container.c_type,
                "gridLayout": None,
                "canStoreSamples": True,
                "canStoreContainers": True,
                "_links": [link(f"{self.base}/containers/{container.id}", "self")] if top else [],
                "canStoreInstruments": True,
            }
        )
        return body

    def _count_in(self, container: InventoryContainer) -> int:
        from ...domain.kinds import INVENTORY_SUBSAMPLES

        found = self.samples.store.collection(INVENTORY_SUBSAMPLES).select(
            container_id=container.id
        )
        return sum(1 for s in found if not s.deleted)


def tag_json(value: str) -> dict[str, str]:
    return {"value": value, "uri": "", "ontologyName": "", "ontologyVersion": ""}


def _temperature(value: str | None, unit: int | None) -> dict[str, Any] | None:
    if value is None or unit is None:
        return None
    return Quantity(Decimal(value), unit).to_json()
