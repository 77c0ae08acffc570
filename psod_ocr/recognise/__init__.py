"""Recognisers: binarised screen -> screen rows."""
