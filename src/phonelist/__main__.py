"""``python -m phonelist``: the same as the ``phonelist`` command."""

from phonelist.cli.main import main

main()
