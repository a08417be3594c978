"""tropconsole benchmarks, run on demand (``python -m bench``), never timed in the tests.

Each section runs in its own Python process (``python -m bench.<section>``) and prints one
JSON document; ``python -m bench`` starts the lab sizes it needs in a lab directory and
namespace prefix of its own (the shared lab in /tmp/tropconsole-lab is never touched),
runs the sections, tears the labs down and writes a Markdown report.
"""
