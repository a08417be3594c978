"""Textual stylesheets for tropconsole, installed as the package ``tropconsole.styles``."""
