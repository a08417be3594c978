"""What the console shows, as plain data: each view's rows, keyed, with no Textual or Rich.

``common`` (views, columns, row targets), ``tablediff`` (the keyed diff) and ``drift``
(drift state, badges) are light and imported by the UI at start-up; the builders, one
module per view, are reached through ``build`` from the poll worker. Checked by
``tests/test_import_hygiene.py``.
"""
