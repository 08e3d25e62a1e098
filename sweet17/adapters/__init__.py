"""Adapters: everything that touches the outside world (files, databases, devices, networks).

Adapters depend on ``sweet17.domain``; the domain never imports an adapter.
"""
