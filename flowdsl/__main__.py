"""``python -m flowdsl`` is the ``flowdsl`` command."""

from ._cli import entry

entry()
