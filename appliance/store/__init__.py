"""The database: peewee models, migrations, setup and queries; knows no device and no service."""
