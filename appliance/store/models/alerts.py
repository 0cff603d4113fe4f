"""Peewee model of the alert records; the schema itself is defined by store/migrations (0013)."""

from __future__ import annotations

from peewee import AutoField, IntegerField, TextField

from appliance.store.models.base import BaseModel


class AlertRow(BaseModel):
    """Row of `alerts`."""

    alert_id = AutoField()
    kind = TextField()
    subject = TextField()
    severity = TextField()
    device_id = TextField(null=True)
    system_id = TextField(null=True)
    entity = TextField(null=True)
    message = TextField()
    details = TextField(default='{}')
    started_at = IntegerField()
    ended_at = IntegerField(null=True)
    acknowledged_at = IntegerField(null=True)
    acknowledged_by = TextField(null=True)
    flaps = IntegerField(default=0)
    updated_at = IntegerField()

    class Meta:
        table_name = 'alerts'
