"""xQR: short links, QR codes, scan analytics, link-in-bio pages, assets and webhooks."""

__version__ = "0.1.0"
