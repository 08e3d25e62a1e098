"""The laptop side of issue 7: the supervisor's queue, sync with the office hub (HTTP or USB bundle),
receipts, statuses and the purge of payloads. Usable as a library::

    from sweet17.services.sync.queue import list_queue, approve, reject, purge, sign_in_supervisor
    from sweet17.services.sync.queue import RECORDED_STATUSES, recorded_student_refs
    from sweet17.services.sync.laptop import enrol, sync_http, write_bundle, import_receipts

``protocol`` holds the wire protocol shared with the hub (``sweet17.services.hub``).
"""
