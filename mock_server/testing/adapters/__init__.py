"""Worked-example adapters for the conformance scenarios."""
