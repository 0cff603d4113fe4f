"""Device groups of the registry document: a type, members with roles and priorities."""

from __future__ import annotations

from typing import TypedDict

from appliance.catalog.common import ensure_new, get, parent, save, unknown_fields
from appliance.errors import NotFoundError, ValidationError
from appliance.jsontypes import JsonObject
from appliance.store import catalog as catalog_store
from appliance.store.models import DeviceGroup, DeviceGroupMember, RegistryDevice, System
from appliance.store.rows import row
from appliance.store.rowtypes import DeviceGroupRow, shaped
from appliance.validation import check_choice, check_id, check_int, check_name, json_object

GROUP_TYPES = ("control", "monitoring", "analysis")
ROLES = ("primary", "backup", "monitor")


class GroupMember(TypedDict):
    """A registry device in a group, with its role and priority."""

    device_id: str
    name: str
    kind: str
    role: str | None
    priority: int | None


class GroupView(DeviceGroupRow):
    """A device group with its members."""

    members: list[GroupMember]


def _with_members(group: DeviceGroup) -> GroupView:
    return GroupView(**shaped(DeviceGroupRow, row(group)), members=list_members(group.group_id))


def create_group(group_id: str, name: str, group_type: str, *, system_id: str | None = None,
                 metadata: JsonObject | None = None) -> GroupView:
    """Create a device group, of one system or (system_id None) of all."""
    check_id(group_id, "group_id")
    ensure_new(DeviceGroup, group_id, "group_id", "device group")
    if system_id is not None:
        parent(System, system_id, "system_id", "system")
    group = DeviceGroup(group_id=group_id, name=check_name(name), system=system_id,
                        group_type=check_choice(group_type, "group_type", GROUP_TYPES, optional=False),
                        metadata=json_object(metadata, "metadata"))
    save(group, force_insert=True)
    return get_group(group_id)


def get_group(group_id: str) -> GroupView:
    """One group with its members."""
    return _with_members(get(DeviceGroup, group_id, "device group"))


def list_groups(system_id: str | None = None) -> list[GroupView]:
    """Groups with their members; with a system, its groups and the groups of every system."""
    query = DeviceGroup.select().order_by(DeviceGroup.group_id)
    if system_id is not None:
        query = query.where((DeviceGroup.system == system_id) | DeviceGroup.system.is_null())
    return [_with_members(g) for g in query]


def update_group(group_id: str, **changes: object) -> GroupView:
    """Change a group's name, type or metadata."""
    unknown_fields(changes, {"name", "group_type", "metadata"})
    group = get(DeviceGroup, group_id, "device group")
    if "name" in changes:
        group.name = check_name(changes["name"])
    if "group_type" in changes:
        group.group_type = str(check_choice(changes["group_type"], "group_type", GROUP_TYPES, optional=False))
    if "metadata" in changes:
        group.metadata = json_object(changes["metadata"], "metadata")
    save(group)
    return get_group(group_id)


def delete_group(group_id: str) -> None:
    """Delete a group; its memberships go with it (CASCADE)."""
    get(DeviceGroup, group_id, "device group").delete_instance()


def set_member(group_id: str, device_id: str, *, role: str | None = None,
               priority: int | None = None) -> GroupView:
    """Add a registry device to a group or change its role and priority; it must be in the group's system."""
    group = get(DeviceGroup, group_id, "device group")
    device = parent(RegistryDevice, device_id, "device_id", "device")
    if group.system_id is not None and device.system_id != group.system_id:
        raise ValidationError(f"device_id: {device_id!r} is not in system {group.system_id!r}", field="device_id")
    role = check_choice(role, "role", ROLES)
    if priority is not None:
        check_int(priority, "priority", minimum=1, maximum=99)
    catalog_store.put_group_member(group_id, device_id, role, priority)
    return get_group(group_id)


def remove_member(group_id: str, device_id: str) -> GroupView:
    """Take a device out of a group."""
    get(DeviceGroup, group_id, "device group")
    if not catalog_store.delete_group_member(group_id, device_id):
        raise NotFoundError(f"device {device_id!r} is not in group {group_id!r}", field="device_id")
    return get_group(group_id)


def list_members(group_id: str) -> list[GroupMember]:
    """A group's members, by priority (unset last), then device id."""
    query = (DeviceGroupMember.select(DeviceGroupMember, RegistryDevice).join(RegistryDevice)
             .where(DeviceGroupMember.group == group_id))
    members = [GroupMember(device_id=m.device.device_id, name=m.device.name, kind=m.device.kind, role=m.role,
                           priority=m.priority) for m in query]
    return sorted(members, key=lambda m: (m["priority"] is None, m["priority"] or 0, m["device_id"]))
