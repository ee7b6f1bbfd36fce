"""Agent types: where definitions are found, what their front matter may say."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowdsl.backends._agent_types import BUILTIN_TYPES, AgentTypes
from flowdsl.errors import AgentTypeError


def define(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    return path


def test_front_matter_and_body_are_read(tmp_path: Path) -> None:
    define(tmp_path / ".claude" / "agents", "critic",
           "---\nname: critic\ndescription: A harsh critic\ntools: Read, Grep, Bash(git diff:*)\n"
           "model: sonnet\n---\nYou are a HARSH critic.\n")
    found = AgentTypes(tmp_path).get("critic")
    assert found.prompt == "You are a HARSH critic."
    assert found.description == "A harsh critic"
    assert found.tools == ("Read", "Grep", "Bash(git diff:*)")
    assert found.model == "sonnet"


def test_flowdsl_folder_wins_over_claude_folder(tmp_path: Path) -> None:
    define(tmp_path / ".claude" / "agents", "a", "claude's")
    define(tmp_path / ".flowdsl" / "agents", "a", "flowdsl's")
    assert AgentTypes(tmp_path).get("a").prompt == "flowdsl's"


def test_user_level_agents_are_found_after_the_project(tmp_path: Path) -> None:
    home = tmp_path / "home"
    define(home / ".claude" / "agents", "mine", "from home")
    assert AgentTypes(tmp_path / "project", home=home).get("mine").prompt == "from home"


def test_bundled_definitions_are_found(tmp_path: Path) -> None:
    bundled = tmp_path / "bundled"
    define(bundled, "flowdsl-x", "shipped")
    assert AgentTypes(tmp_path, bundled=bundled).get("flowdsl-x").prompt == "shipped"


@pytest.mark.parametrize("name", sorted(BUILTIN_TYPES))
def test_claude_code_builtin_types_exist(tmp_path: Path, name: str) -> None:
    assert AgentTypes(tmp_path).get(name).source == "built-in"


def test_a_project_definition_overrides_a_builtin(tmp_path: Path) -> None:
    define(tmp_path / ".claude" / "agents", "Explore", "---\ntools: Read\n---\nmine")
    assert AgentTypes(tmp_path).get("Explore").tools == ("Read",)


@pytest.mark.parametrize(("front", "expected"), [
    ("tools: Read, Grep", ("Read", "Grep")),
    ("tools: [Read, Grep]", ("Read", "Grep")),
    ("tools: Bash(npm run test, lint:*), Read", ("Bash(npm run test, lint:*)", "Read")),
    ("tools: ''", ()),
    ("name: x", None),
])
def test_tool_lists(tmp_path: Path, front: str, expected: tuple[str, ...] | None) -> None:
    define(tmp_path / ".claude" / "agents", "t", f"---\n{front}\n---\nbody")
    assert AgentTypes(tmp_path).get("t").tools == expected


def test_model_inherit_means_no_model(tmp_path: Path) -> None:
    define(tmp_path / ".claude" / "agents", "t", "---\nmodel: inherit\n---\nbody")
    assert AgentTypes(tmp_path).get("t").model is None


def test_a_file_without_front_matter_is_all_prompt(tmp_path: Path) -> None:
    define(tmp_path / ".claude" / "agents", "t", "Just a prompt.\n")
    found = AgentTypes(tmp_path).get("t")
    assert (found.prompt, found.tools) == ("Just a prompt.", None)


@pytest.mark.parametrize(("text", "message"), [
    ("---\ntools: [unclosed\n---\nbody", r"t\.md:\d+:\d+: the front matter is not valid YAML"),
    ("---\n- a\n- b\n---\nbody", "must be a mapping"),
    ("---\ntools: 7\n---\nbody", "'tools' must be"),
    ("---\ndescription: [a]\n---\nbody", "'description' must be text"),
])
def test_bad_front_matter_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    define(tmp_path / ".claude" / "agents", "t", text)
    with pytest.raises(AgentTypeError, match=message):
        AgentTypes(tmp_path).get("t")


@pytest.mark.parametrize("name", ["../etc/passwd", "a/b", "", ".hidden", "x" * 200])
def test_names_that_are_not_plain_file_names_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(AgentTypeError, match="not a valid agent name"):
        AgentTypes(tmp_path).get(name)


def test_an_unknown_type_names_where_it_looked(tmp_path: Path) -> None:
    with pytest.raises(AgentTypeError, match=r"no definition nope\.md in .*\.flowdsl/agents"):
        AgentTypes(tmp_path).get("nope")
