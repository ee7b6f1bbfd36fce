"""A small MCP server on stdio (the official SDK's ``MCPServer``), for the agent tests.

``python mcp_test_server.py [STARTS]`` appends its pid to the file ``STARTS`` when it
starts (the tests count starts and check that the process is gone after the run).
``shout`` upper-cases a text and fails for ``boom`` (the SDK's anticipated ``ToolError``);
``whisper`` stands for a tool the grant does not reach. ``get_answer`` is harmless and
``delete_all`` stands for a tool an agent must not reach (the CLI tests grant
``mcp__demo__get_*``).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

app = MCPServer("test")


@app.tool()
def shout(text: str) -> str:
    """Upper-case a text.

    Args:
        text: what to shout.
    """
    if text == "boom":
        raise ToolError("cannot shout boom")
    return text.upper() + "!"


@app.tool()
def whisper(text: str) -> str:
    """Lower-case a text."""
    return text.lower()


@app.tool()
def get_answer() -> str:
    """The answer to the question."""
    return "forty-two"


@app.tool()
def delete_all() -> str:
    """Delete everything (it only says so)."""
    return "deleted everything"


if __name__ == "__main__":
    if len(sys.argv) > 1:
        with Path(sys.argv[1]).open("a", encoding="utf-8") as starts:
            starts.write(f"{os.getpid()}\n")
    app.run()
