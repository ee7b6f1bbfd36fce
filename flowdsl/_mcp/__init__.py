"""flowdsl as an MCP server (``flowdsl mcp``) and its installation into agent hosts."""
