"""Workspace tools for API-model agents: read, list, glob, grep, edit, write, bash.

Plain async functions over a :class:`Workspace` value, confined to its root (see
:mod:`._workspace`); an agent loop binds ``ws`` and offers the rest as tools, their
docstrings being the descriptions the model reads (the first line says what the tool
does, ``Args:`` describes each argument the model passes; they quote code with Markdown
backticks, not reST, because a model reads them). Modelled on Claude Code's tools. A
refused or failed call raises :class:`~flowdsl.errors.ToolError`, whose one-line
message says what was wrong and what to do instead; nothing else is raised for bad
model input. File IO runs in worker threads; bash and ripgrep run in their own process
groups, ended on timeout and cancellation.

Layout: ``_workspace`` (confinement, tree walk), ``_globs`` (glob patterns), ``_files``
(read, list, glob), ``_edit`` (edit, write), ``_grep`` (the grep tool) over the engines
``_rg`` (ripgrep) and ``_pygrep`` (Python), ``_bash`` (bash) over ``_proc`` (child
processes).
"""

from __future__ import annotations

from ._bash import bash_allowed as bash_allowed
from ._bash import run_bash as run_bash
from ._edit import edit_file as edit_file
from ._edit import write_file as write_file
from ._files import glob_files as glob_files
from ._files import list_dir as list_dir
from ._files import read_file as read_file
from ._grep import grep as grep
from ._workspace import READ_ONLY_TOOLS as READ_ONLY_TOOLS
from ._workspace import TOOL_NAMES as TOOL_NAMES
from ._workspace import Workspace as Workspace

__all__ = (
    "READ_ONLY_TOOLS",
    "TOOL_NAMES",
    "Workspace",
    "bash_allowed",
    "edit_file",
    "glob_files",
    "grep",
    "list_dir",
    "read_file",
    "run_bash",
    "write_file",
)
