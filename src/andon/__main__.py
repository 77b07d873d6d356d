"""Run the ``andon`` command with ``python -m andon``."""

from andon.cli import main

main()
