"""``python -m loopmill``: the same as the ``loopmill`` command."""

from loopmill.cli.main import main

main()
