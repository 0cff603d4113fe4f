"""The models' base class and the database proxy that `open_database` binds."""

from __future__ import annotations

from peewee import DatabaseProxy, Model

#: Bound to the open SqliteDatabase by appliance.store.db.open_database.
database = DatabaseProxy()


class BaseModel(Model):
    """Base of every model: one database, no implicit `id` column."""

    class Meta:
        database = database
        legacy_table_names = False
