"""The web view: the console in a browser, served by textual-serve (``tropconsole serve``).

``server.py`` holds the server; ``templates/`` its page, which loads everything it needs
(script, styles, font) from the installed textual-serve package, never from elsewhere.
"""
