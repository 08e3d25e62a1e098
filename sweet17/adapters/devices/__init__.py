"""Capture devices behind one small interface (``base.Device``): SBI biometric devices,
OpenCV/UVC cameras, PC/SC smartcard readers, and the simulators that speak their protocols."""
