"""Biometric record formats and quality: ISO/IEC 19794 records, NIST NFIQ 2, WSQ."""
