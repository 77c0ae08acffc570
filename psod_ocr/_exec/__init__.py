"""Wrappers for external programs; nothing else in psod_ocr starts a process."""
