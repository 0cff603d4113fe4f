"""The local web UI and REST API: Flask app factory, blueprints, templates."""
