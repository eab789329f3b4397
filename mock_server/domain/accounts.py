"""Sysadmin account management: ``/sysadmin/users`` and ``/sysadmin/groups``.

RSpace's rules (``SysadminApiController``, ``SysadminUserPaginationCriteria``,
``UserApiPost``, ``GroupApiPost``, ``SysadminUserCreationHandlerImpl``, ``UserDaoHibernate`` in
rspace-web). Only a sysadmin may call them (RSpace also asks for a whitelisted IP, which the
fake does not check); the listing's parameters are checked first, a body after the caller.

Simplifications, each where RSpace answers 500: a user id that names no user is RSpace's 404 of
a missing resource; a group member without ``roleInGroup``, or named twice, is a 400 and a 422.
A new user's ``apiKey`` is not kept (RSpace keeps it only when ``sysadmin.apikey.generation`` is
on, which it is not by default); a deleted user's records are left behind, unreachable.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from .bodies import json_object, string_value
from .directory import Directory, NewUser
from .errors import (
    AuthenticationFailed,
    FieldError,
    IllegalArgument,
    NotFound,
    UnreadableBody,
    ValidationFailed,
    not_found,
)
from .groups import ROLES_IN_GROUP, GroupService, NewGroup, NewMember
from .kinds import APPS, GROUPS, SHARES, TOKENS, USERS
from .models import Group, User
from .paging import MAX_PAGE_SIZE, truncate_to_millis
from .permissions import LAB_GROUP
from .request_params import boolean_param, day_param, int_param
from .store import Store

_CRITERIA = "sysadminUserPaginationCriteria"
NOT_SYSADMIN = "Sysadmin role with valid IP required for admin operations"
ORDERS = ("creationDate asc", "creationDate desc")
ROLES = ("ROLE_USER", "ROLE_PI", "ROLE_ADMIN", "ROLE_SYSADMIN")
#: ``UserApiKey.APIKEY_REGEX``.
_API_KEY = re.compile(r"^[A-Za-z0-9]+$")
#: Hibernate's ``@Email``: a local part and a domain, loosely.
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
#: ``sysadmin.nodeletenewerthan.days``.
KEEP_NEWER_THAN = timedelta(days=366)
DEFAULT_MAX_LAST_LOGIN = date(2100, 1, 1)


def require_sysadmin(user: User) -> None:
    if not user.has_sysadmin_role:
        raise AuthenticationFailed(NOT_SYSADMIN)


def user_not_found(user_id: object) -> NotFound:
    return not_found("User", user_id)


@dataclass(frozen=True)
class UserListing:
    total: int
    page_number: int
    page_size: int
    order_by: str
    created_before: date | None
    last_login_before: date | None
    temp_only: bool
    users: list[User]


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=timezone.utc)


class AccountService:
    def __init__(self, store: Store, directory: Directory, groups: GroupService) -> None:
        self.store = store
        self.directory = directory
        self.groups = groups
        self.users = store.collection(USERS)

    def now(self) -> datetime:
        return truncate_to_millis(self.directory.clock.now())

    # -- GET /sysadmin/users -----------------------------------------------------------------

    def list_users(self, caller: User, params: Mapping[str, str]) -> UserListing:
        errors: list[FieldError] = []
        page_number = int_param(params, "pageNumber", 0, errors, _CRITERIA)
        page_size = int_param(params, "pageSize", 20, errors, _CRITERIA)
        if page_number < 0:
            errors.append(
                FieldError(
                    "pageNumber",
                    page_number,
                    "Page number must be 0 or greater.",
                    "sysadminUserPaginationCriteria",
                )
            )
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            errors.append(
                FieldError(
                    "pageSize",
                    page_size,
                    f"Page size must be between 1 and {MAX_PAGE_SIZE}.",
                    "sysadminUserPaginationCriteria",
                )
            )
        order_by = params.get("orderBy") or ORDERS[0]
        if order_by not in ORDERS:
            errors.append(
                FieldError(
                    "orderBy",
                    order_by,
                    'must match "(creationDate asc)|(creationDate desc)"',
                    "sysadminUserPaginationCriteria",
                )
            )
        created_before = day_param(params, "createdBefore", errors, _CRITERIA)
        last_login_before = day_param(params, "lastLoginBefore", errors, _CRITERIA)
        temp_only = boolean_param(params, "tempAccountsOnly", True, errors, _CRITERIA)
        if errors:
            raise ValidationFailed(errors)
        require_sysadmin(caller)
        found = [
            u
            for u in self.users.select()
            if (not temp_only or u.temp_account)
            and (
                created_before is None
                or (u.created is not None and u.created < _start_of(created_before))
            )
        ]
        # Nobody signs in to the fake's web pages: every last login is null, which the
        # lastLoginBefore filter lets through.
        epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
        found.sort(key=lambda u: (u.created or epoch, u.id), reverse=order_by.endswith("desc"))
        start = page_number * page_size
        return UserListing(
            total=len(found),
            page_number=page_number,
            page_size=page_size,
            order_by=order_by,
            created_before=created_before,
            last_login_before=last_login_before,
            temp_only=temp_only,
            users=found[start : start + page_size],
        )

    # -- POST /sysadmin/users ------------------------------------------------------------------

    def create_user(self, caller: User, body: object) -> User:
        require_sysadmin(caller)
        fields = json_object(body)
        values = {
            key: string_value(fields.get(key), key)
            for key in (
                "username",
                "password",
                "email",
                "firstName",
                "lastName",
                "role",
                "affiliation",
                "apiKey",
            )
        }
        errors: list[FieldError] = []

        def reject(key: str, message: str) -> None:
            errors.append(FieldError(key, values[key], message, "userApiPost"))

        if not (values["username"] or "").strip():
            reject("username", "must not be blank")
        if values["password"] is not None and len(values["password"]) < 8:
            reject("password", "size must be between 8 and 2147483647")
        if values["email"] is not None and not _EMAIL.match(values["email"]):
            reject("email", "must be a well-formed email address")
        for name in ("firstName", "lastName", "affiliation"):
            if values[name] == "":
                reject(name, "size must be between 1 and 2147483647")
        if values["role"] is not None and values["role"] not in ROLES:
            reject("role", 'must match "(ROLE_USER)|(ROLE_PI)|(ROLE_ADMIN)|(ROLE_SYSADMIN)"')
        api_key = values["apiKey"]
        if api_key is not None and not (16 <= len(api_key) <= 32):
            reject("apiKey", "size must be between 16 and 32")
        if api_key is not None and not _API_KEY.match(api_key):
            reject("apiKey", 'must match "^[A-Za-z0-9]+$"')
        if errors:
            raise ValidationFailed(errors)
        required = ("username", "password", "email", "firstName", "lastName", "role")
        if any(not values[k] for k in required):
            raise IllegalArgument("Please fill in all the fields.")
        username, email = str(values["username"]), str(values["email"])
        with self.store.transaction():
            taken = self.users.find("username", username) is not None or any(
                u.email.lower() == email.lower() for u in self.users.select()
            )
            if taken:
                raise IllegalArgument(
                    f"This username ({username}) or e-mail address ({email}) already exists. "
                    "Please try a different username and/or email."
                )
            if values["role"] == "ROLE_PI" and fields.get("createGroupForPi") is True:
                raise IllegalArgument("Please type an initial group name and choose a community.")
            return self.directory.create_user(
                NewUser(
                    username=username,
                    password=str(values["password"]),
                    email=email,
                    first_name=values["firstName"],
                    last_name=values["lastName"],
                    has_pi_role=values["role"] == "ROLE_PI",
                    has_sysadmin_role=values["role"] == "ROLE_SYSADMIN",
                )
            )

    # -- enable, disable, delete -------------------------------------------------------------

    def set_enabled(self, caller: User, user_id: int, enabled: bool) -> None:
        require_sysadmin(caller)
        with self.store.transaction():
            user = self.users.get(user_id)
            if user is None:
                raise user_not_found(user_id)
            if user.enabled != enabled:
                user.enabled = enabled
                self.users.put(user)

    def delete_user(self, caller: User, user_id: int, max_last_login: str | None) -> None:
        """``DELETE /sysadmin/users/{id}``: an account made over a year ago, with its tokens,
        apps, memberships and shares."""
        require_sysadmin(caller)
        if max_last_login:
            try:
                date.fromisoformat(max_last_login)
            except ValueError:
                raise IllegalArgument(f"Could not parse date {max_last_login}") from None
        with self.store.transaction():
            user = self.users.get(user_id)
            if user is None:
                raise user_not_found(user_id)
            if user.created is not None and user.created > self.now() - KEEP_NEWER_THAN:
                raise IllegalArgument("Can only delete users created more than a year ago")
            tokens = self.store.collection(TOKENS)
            for row in tokens.select():
                if row.user_id == user.id:
                    tokens.delete(row.client_id, row.user_id)
            for app in self.store.collection(APPS).select(owner_id=user.id):
                tokens.delete_where(client_id=app.client_id)
                self.store.collection(APPS).delete(app.client_id)
            shares = self.store.collection(SHARES)
            shares.delete_where(owner_id=user.id)
            for share in shares.select(target_id=user.id):
                if share.target_type == "USER":
                    shares.delete(share.id)
            groups = self.store.collection(GROUPS)
            for group in groups.select():
                if group.member(user.id) is not None:
                    group.members = [m for m in group.members if m.user_id != user.id]
                    groups.put(group)
            self.users.delete(user.id)

    # -- POST /sysadmin/groups -----------------------------------------------------------------

    def create_group(self, caller: User, body: object) -> Group:
        require_sysadmin(caller)
        fields = json_object(body)
        name = string_value(fields.get("displayName"), "displayName")
        raw_members = fields.get("members", fields.get("users"))
        group_type = string_value(fields.get("type"), "type") or LAB_GROUP
        if group_type not in ("LAB_GROUP", "COLLABORATION_GROUP", "PROJECT_GROUP"):
            raise _unreadable_enum(group_type)
        errors: list[FieldError] = []
        if not (name or "").strip():
            errors.append(
                FieldError(
                    "displayName", name, "Please provide a name for the group", "groupApiPost"
                )
            )
        members: list[NewMember] = []
        entries: list[Any] = raw_members if isinstance(raw_members, list) else []
        if raw_members is not None and not isinstance(raw_members, list):
            raise UnreadableBody("JSON parse error: members must be an array")
        if not 1 <= len(entries) <= 20:
            errors.append(
                FieldError(
                    "users",
                    entries,
                    "Group must contain between 1 and 20 members",
                    "groupApiPost",
                )
            )
        for index, entry in enumerate(entries):
            item = json_object(entry)
            username = string_value(item.get("username"), f"users[{index}].username")
            role = string_value(item.get("roleInGroup"), f"users[{index}].roleInGroup")
            if not (username or "").strip():
                errors.append(
                    FieldError(
                        f"users[{index}].username",
                        username,
                        "Username must be provided",
                        "groupApiPost",
                    )
                )
            if role is None:
                errors.append(
                    FieldError(
                        f"users[{index}].roleInGroup", None, "must not be null", "groupApiPost"
                    )
                )
            elif role not in ROLES_IN_GROUP:
                errors.append(
                    FieldError(
                        f"users[{index}].roleInGroup",
                        role,
                        'must match "(DEFAULT)|(RS_LAB_ADMIN)|(PI)|(GROUP_OWNER)"',
                        "groupApiPost",
                    )
                )
            if username and role in ROLES_IN_GROUP:
                members.append(NewMember(username, role))
        if errors:
            raise ValidationFailed(errors)
        return self.groups.create(NewGroup(str(name), members, group_type), creator=caller)


def _unreadable_enum(value: str) -> UnreadableBody:
    return UnreadableBody(
        f'JSON parse error: Cannot deserialize value of type `GroupType` from String "{value}"'
    )
