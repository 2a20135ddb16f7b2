"""Readers for each guide format; each turns a file into one canonical markdown text."""
