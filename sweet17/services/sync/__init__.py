"""The laptop side of issue 7: the supervisor's queue, sync with the office hub (HTTP or USB bundle),
receipts, statuses and the purge of payloads; the card hand-overs of issue 8 travel the same way.
Usable as a library::

    from sweet17.services.sync.queue import list_queue, approve, reject, purge, sign_in_supervisor
    from sweet17.services.sync.queue import RECORDED_STATUSES, recorded_student_refs
    from sweet17.services.sync.laptop import enrol, sync_http, write_bundle, import_receipts
    from sweet17.services.sync.deliveries import outgoing_deliveries, send_deliveries   # card hand-overs

``protocol`` holds the wire protocol shared with the hub (``sweet17.services.hub``).
"""
