"""The console's Textual layer: thin, and in one direction.

``app`` (``TropConsole``: state, message handlers) imports the screens; screens, modals
and widgets never import the app: they read it through ``console.Console`` and ask for
work with ``messages`` (``...Requested``). The app starts polls through ``polling`` and
writes through ``workers.run_write`` with the work in ``writes``. ``options`` holds how a
console is built (``ConsoleOptions``), ``runtime`` the opt-in process devices. What the
tables show comes from ``tropconsole.view`` (no Textual there).
"""
