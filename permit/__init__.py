"""Permit-to-work for confined-space work (有限空间作业): the domain, free of any web code."""
