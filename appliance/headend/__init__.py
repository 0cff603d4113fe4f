"""The reference headend: the other side of the appliance's link, there to test it, not to run a fleet.

An edge of its own (DESIGN.md section 2), like web: nothing of the product imports it. It speaks the
link as docs/headend.md writes it down and imports none of sync's code, so a bug shared by both sides
cannot hide. app.py builds the Flask app from one blueprint per area (registration, ingest, fleet,
commands); store.py holds all its SQL, on its own SQLite file (schema.py); server.py serves it.
"""
