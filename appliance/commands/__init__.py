"""The `appliance` subcommands, one module per area; cli.py lists them in COMMAND_MODULES."""
