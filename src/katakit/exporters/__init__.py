"""Exports of a report or of the kata tree to the tools instructors already use."""
