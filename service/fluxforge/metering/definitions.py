"""Meter definitions: what a meter computes, checked so that it can, and changed by a merge
patch that bumps the version only when the definition really changes."""

from __future__ import annotations

from datetime import datetime

import msgspec

from fluxforge.errors import FieldError, InvalidRequest
from fluxforge.metering.models import Meter, MeterCreate, MeterDefinition, MeterPatch


def definition_of(meter: Meter | MeterCreate) -> MeterDefinition:
    return MeterDefinition(
        event_type=meter.event_type,
        aggregation=meter.aggregation,
        value_property=meter.value_property,
        group_by=tuple(meter.group_by),
        unit=meter.unit,
        description=meter.description,
    )


def check_definition(definition: MeterDefinition) -> MeterDefinition:
    """Refuse a meter that cannot compute: every aggregation but `count` reads a property."""
    if definition.aggregation == "count" and definition.value_property is not None:
        raise InvalidRequest(
            "a count meter counts events and reads no property; drop value_property",
            errors=[FieldError(field="value_property", message="must be null for aggregation count")],
        )
    if definition.aggregation != "count" and definition.value_property is None:
        raise InvalidRequest(
            f"a {definition.aggregation} meter needs value_property: the property it reads",
            errors=[FieldError(field="value_property", message=f"required for aggregation {definition.aggregation}")],
        )
    if len(set(definition.group_by)) != len(definition.group_by):
        raise InvalidRequest(
            "group_by names a dimension twice", errors=[FieldError(field="group_by", message="duplicate dimension")]
        )
    return definition


def patched_definition(current: Meter, patch: MeterPatch) -> MeterDefinition:
    """The definition after a JSON merge patch (checked), which may equal the current one."""
    changes = {name: value for name, value in msgspec.structs.asdict(patch).items() if value is not msgspec.UNSET}
    if "group_by" in changes:
        changes["group_by"] = tuple(changes["group_by"])
    if changes.get("aggregation") == "count" and "value_property" not in changes:
        changes["value_property"] = None  # switching to count drops the property it no longer reads
    return check_definition(msgspec.structs.replace(definition_of(current), **changes))


def apply_definition(current: Meter, definition: MeterDefinition, now: datetime) -> Meter:
    """The meter with a new definition: a real change bumps the version; none returns `current`."""
    if definition == definition_of(current):
        return current
    return msgspec.structs.replace(
        current,
        event_type=definition.event_type,
        aggregation=definition.aggregation,
        value_property=definition.value_property,
        group_by=list(definition.group_by),
        unit=definition.unit,
        description=definition.description,
        version=current.version + 1,
        updated_at=now,
    )
