"""Peewee models of the admin account and API tokens; the schema itself is defined by store/migrations."""

from __future__ import annotations

from peewee import AutoField, SQL, TextField

from appliance.store.models.base import BaseModel


class User(BaseModel):
    """Row of `users`."""

    username = TextField(primary_key=True)
    password_hash = TextField()
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    updated_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'users'


class ApiToken(BaseModel):
    """Row of `api_tokens`."""

    token_id = AutoField()
    name = TextField()
    scope = TextField()
    token_hash = TextField()
    prefix = TextField()
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])
    last_used_at = TextField(null=True)
    revoked_at = TextField(null=True)

    class Meta:
        table_name = 'api_tokens'


class WebSession(BaseModel):
    """Row of `web_sessions`."""

    session_hash = TextField(primary_key=True)
    username = TextField()
    created_at = TextField(constraints=[SQL("DEFAULT CURRENT_TIMESTAMP")])

    class Meta:
        table_name = 'web_sessions'
        without_rowid = True
