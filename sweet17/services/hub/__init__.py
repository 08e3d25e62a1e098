"""The office registry hub: laptops, request authentication, intake and receipts, statuses, the central
system's lists and the ANSI/NIST-ITL export. Usable as a library::

    from sweet17.services.hub.config import init_hub, open_hub
    hub = open_hub("/srv/sweet17-hub")          # SQLite or PostgreSQL (see config)
"""
