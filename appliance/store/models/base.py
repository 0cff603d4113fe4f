"""The models' base class and the database proxy that `open_database` binds."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from peewee import DatabaseProxy, Model

#: Bound to the open SqliteDatabase by appliance.store.db.open_database.
database = DatabaseProxy()


class BaseModel(Model):
    """Base of every model: one database, no implicit `id` column."""

    class Meta:
        database = database
        legacy_table_names = False

    if TYPE_CHECKING:
        # Peewee adds a `<name>_id` accessor per foreign key at run time; mypy cannot see them.
        def __getattr__(self, name: str) -> Any: ...

        def __setattr__(self, name: str, value: Any) -> None: ...
