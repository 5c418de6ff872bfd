"""The command-line face of phonelist: ``phonelist.cli.main:app``, run by ``phonelist``."""
