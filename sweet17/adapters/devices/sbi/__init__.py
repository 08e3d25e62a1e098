"""MOSIP Secure Biometric Interface (SBI 0.9.5 and 1.0) devices: client, verification, driver.

``driver.SbiDriver`` finds SBI device services on 127.0.0.1 (ports 4501-4600) and returns
``driver.SbiDevice`` objects implementing ``sweet17.adapters.devices.base.Device``. Every capture
is verified (``verify``) before its records are returned.
"""
