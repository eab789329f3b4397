"""Export jobs: ``POST /export/{format}/{scope}[/{id}]``, ``GET /jobs/{id}`` and
``GET /export/{file}``.

RSpace's rules (``ExportApiController``, ``ExportApiSpringBatchHandlerImpl``,
``JobsApiHandlerImpl``, ``ExportImportImpl`` in rspace-web): a user exports their own work, a
PI (or a lab admin with "view all") a member's or their group's, a sysadmin anyone's; a selection
keeps what the caller may read and drops the rest; one export at a time per user (429). A job
reports ``STARTING``, then ``STARTED`` with its percentage, then ``COMPLETED`` with the archive's
size, CRC32 checksum, expiry and ``enclosure`` link.

The fake makes the archive when the job starts (so it holds the state of that moment) and lets
the job run for ``job_seconds`` of the fake's clock: a test that freezes the clock sees a job
that never ends until it advances the clock. An archive is kept 48 hours.

Simplifications: bad ``format`` or ``scope`` values are the same 400 on both paths (RSpace
checks them only on the path without an id); an archive that is gone, or that never was, is a
404 where RSpace answers 500; an id of no user is the 401 of a user you may not export.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..clock import Clock
from .activity import AuditTrail
from .archive_sources import ArchiveSources
from .errors import (
    AuthenticationFailed,
    FieldError,
    IllegalArgument,
    NotFound,
    TooManyRequests,
    ValidationFailed,
)
from .export_archive import ArchiveRequest, archive_name, build_archive
from .kinds import EXPORT_ARCHIVES, EXPORT_JOBS, GROUPS, USERS
from .models import ExportArchive, ExportJob, Group, User
from .paging import truncate_to_millis
from .permissions import LAB_ADMIN, PI, Permissions
from .request_params import boolean_param, conversion_error, int_param
from .store import Store

_CONFIG = "exportApiConfig"
FORMATS = ("xml", "html")
SCOPES = ("user", "group", "selection")
MAX_IDS = 2000
#: ``archive.folder.storagetime``.
KEPT_FOR = timedelta(hours=48)
#: Java's ``\w`` is ASCII.
_DOWNLOAD_NAME = r"^[\w\-]+(\.zip)?(\.csv)?(\.eln)?$"


@dataclass(frozen=True)
class ExportRequest:
    export_format: str
    scope: str
    target_id: int | None
    selections: list[int]
    include_revisions: bool


@dataclass(frozen=True)
class JobView:
    """A job as ``GET /jobs/{id}`` sees it now."""

    job: ExportJob
    status: str
    percent_complete: float
    expiry: datetime | None


def parse_export(
    export_format: str, scope: str, target_id: int | None, params: Mapping[str, str]
) -> ExportRequest:
    errors: list[FieldError] = []
    if export_format not in FORMATS:
        errors.append(
            FieldError(
                "format", export_format, "Format must be either xml or html.", "exportApiConfig"
            )
        )
    if scope not in SCOPES:
        errors.append(
            FieldError(
                "scope", scope, "Scope must be one of user, group, or selection.", "exportApiConfig"
            )
        )
    selections: list[int] = []
    for part in (params.get("selections") or "").split(","):
        if not part.strip():
            continue
        try:
            selections.append(int(part.strip()))
        except ValueError:
            errors.append(
                conversion_error("selections", params.get("selections"), "java.util.Set", _CONFIG)
            )
            break
    include = boolean_param(params, "includeRevisionHistory", False, errors, _CONFIG)
    if int_param(params, "maxLinkLevel", 1, errors, _CONFIG) < 0:
        errors.append(
            FieldError(
                "maxLinkLevel",
                params.get("maxLinkLevel"),
                "must be greater than or equal to 0",
                _CONFIG,
            )
        )
    if errors:
        raise ValidationFailed(errors)
    return ExportRequest(export_format, scope, target_id, sorted(set(selections)), include)


class ExportService:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        permissions: Permissions,
        sources: ArchiveSources,
        audit: AuditTrail,
        *,
        job_seconds: float = 2.0,
        rspace_version: str = "",
    ) -> None:
        self.store = store
        self.clock = clock
        self.permissions = permissions
        self.sources = sources
        self.audit = audit
        self.job_seconds = job_seconds
        self.rspace_version = rspace_version
        self.jobs = store.collection(EXPORT_JOBS)
        self.archives = store.collection(EXPORT_ARCHIVES)

    def now(self) -> datetime:
        return truncate_to_millis(self.clock.now())

    # -- POST /export ----------------------------------------------------------------------

    def start(self, user: User, request: ExportRequest, source_url: str) -> ExportJob:
        with self.store.transaction():
            scope, label, owners, selection = self._what(user, request)
            now = self.now()
            for job in self.jobs.select(user_id=user.id):
                if job.completes_at > now:
                    raise TooManyRequests("There is already a running export job")
            documents, folders = self.sources.gather(user, owners, selection)
            job_id = self.store.next_id("export_job")
            suffix = hashlib.sha256(f"{job_id}:{now.isoformat()}".encode()).hexdigest()[:14]
            name = archive_name(now, request.export_format, label, suffix)
            data = build_archive(
                ArchiveRequest(
                    name=name,
                    export_format=request.export_format,
                    scope=scope,
                    exporter=user,
                    source_url=source_url,
                    rspace_version=self.rspace_version,
                    exported_at=now,
                    archive_id=hashlib.sha256(name.encode()).hexdigest()[:32],
                    documents=documents,
                    folders=folders,
                )
            )
            file_name = f"{name}.zip"
            duration = timedelta(seconds=self.job_seconds)
            job = ExportJob(
                id=job_id,
                user_id=user.id,
                export_format=request.export_format,
                scope=scope,
                started=now,
                completes_at=now + duration,
                file_name=file_name,
                size=len(data),
                checksum=str(zlib.crc32(data)),
            )
            self.jobs.insert(job)
            self.archives.put(
                ExportArchive(file_name, job_id, data, expires=now + duration + KEPT_FOR)
            )
            self.audit.record(
                user,
                "RECORD",
                "EXPORT",
                {
                    "configuration": {
                        "archiveType": request.export_format,
                        "exportScope": scope,
                    },
                    "exportPath": {"name": file_name},
                    "exported": [{"id": d.document.id, "name": d.document.name} for d in documents],
                },
            )
            return job

    def _what(
        self, user: User, request: ExportRequest
    ) -> tuple[str, str, list[int], list[int] | None]:
        """(scope, archive label, owners whose work goes in, or the ids of a selection)."""
        users = self.store.collection(USERS)
        if request.scope == "user":
            target = user if request.target_id is None else users.get(request.target_id)
            if target is None or not self._may_export_user(user, target):
                name = target.username if target else str(request.target_id)
                raise AuthenticationFailed(
                    f"Unauthorized attempt by {user.username} to export records belonging to {name}"
                )
            # RSpace labels a user export with the exporter's name.
            return "USER", user.username, [target.id], None
        if request.scope == "group":
            refused = AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to export a user or group"
            )
            group = (
                self.store.collection(GROUPS).get(request.target_id)
                if request.target_id is not None
                else self._primary_lab(user)
            )
            if group is None:
                raise refused
            member = group.member(user.id)
            allowed = user.has_sysadmin_role or (
                member is not None
                and (member.role == PI or (member.role == LAB_ADMIN and member.view_all))
            )
            if not allowed:
                raise refused
            return "GROUP", group.name, list(group.member_ids), None
        if not request.selections:
            raise IllegalArgument("Please include one or more IDs to export")
        if len(request.selections) > MAX_IDS:
            raise IllegalArgument(
                f"Maximum number of Ids to export is {MAX_IDS:,}, request contains "
                f"{len(request.selections):,} Ids"
            )
        if not self.sources.any_exist(request.selections):
            raise AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to export a selection"
            )
        label = "SELECTION"
        if len(request.selections) == 1:
            label = self.sources.name_of(request.selections[0]) or label
        return "SELECTION", label, [], request.selections

    def _may_export_user(self, user: User, target: User) -> bool:
        return (
            user.id == target.id
            or user.has_sysadmin_role
            or self.permissions.oversees(user.id, target.id)
        )

    def _primary_lab(self, user: User) -> Group | None:
        for group in self.permissions.groups_of(user.id):
            member = group.member(user.id)
            if group.type == "LAB_GROUP" and member is not None and member.role == PI:
                return group
        return None

    # -- GET /jobs/{id} ----------------------------------------------------------------------

    def job(self, user: User, job_id: int) -> JobView:
        job = self.jobs.get(job_id)
        if job is None:
            raise NotFound("No job execution with this Id")
        if job.user_id != user.id:
            raise AuthenticationFailed(
                f"Unauthorized attempt by {user.username} to retrieve job by id"
            )
        now = self.clock.now()
        if now >= job.completes_at:
            return JobView(job, "COMPLETED", 100.0, truncate_to_millis(now + KEPT_FOR))
        elapsed = (now - job.started).total_seconds()
        total = (job.completes_at - job.started).total_seconds() or 1.0
        percent = round(max(0.0, min(99.99, 100 * elapsed / total)), 2)
        return JobView(job, "STARTED", percent, None)

    # -- GET /export/{file} ------------------------------------------------------------------

    def download(self, name: str) -> tuple[str, bytes]:
        if not re.fullmatch(_DOWNLOAD_NAME, name, re.ASCII):
            raise IllegalArgument(
                f"Invalid string format {name} for parameter zipname; should match {_DOWNLOAD_NAME}"
            )
        file_name = name if name.endswith((".zip", ".csv", ".eln")) else f"{name}.zip"
        archive = self.archives.get(file_name)
        job = self.jobs.get(archive.job_id) if archive is not None else None
        now = self.clock.now()
        if archive is None or job is None or now < job.completes_at or now >= archive.expires:
            raise NotFound(
                "Export could not be downloaded because the file does not exist: it may have "
                "already been removed from the server."
            )
        return file_name, archive.data
