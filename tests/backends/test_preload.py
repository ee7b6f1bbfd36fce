"""Building an HTTP backend imports its SDK, instructor and pydantic-ai (the agent loop);
importing flowdsl imports none of them.

Each check runs in a fresh interpreter, so it does not depend on what other tests imported.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from flowdsl.backends._preload import preload
from flowdsl.errors import BackendConfigError

PROBE = """
import json, sys
import flowdsl, flowdsl.backends
from flowdsl._config import Config
from flowdsl.backends import {module} as backend_module
wanted = {wanted!r}
before = [name for name in wanted if name in sys.modules]
backend_module.create_backend(base_url="http://127.0.0.1:9", model="m", config=Config())
after = [name for name in wanted if name in sys.modules]
print(json.dumps([before, after]))
"""

WANTED = {
    "_openai": ["openai", "openai.resources.chat", "instructor",
                "instructor.v2.providers.openai.handlers", "pydantic_ai",
                "pydantic_ai.models.openai", "flowdsl.backends._agent_loop"],
    "_anthropic": ["anthropic", "instructor", "instructor.v2.providers.anthropic.handlers",
                   "pydantic_ai", "pydantic_ai.models.anthropic",
                   "flowdsl.backends._agent_loop"],
}


def loaded_before_and_after_building(module: str, tmp_path: Path) -> list[list[str]]:
    code = PROBE.format(module=module, wanted=WANTED[module])
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, timeout=120, cwd=tmp_path).stdout
    result: list[list[str]] = json.loads(out)
    return result


@pytest.mark.parametrize("module", sorted(WANTED))
def test_building_the_backend_imports_its_sdk_and_importing_flowdsl_does_not(
        module: str, tmp_path: Path) -> None:
    before, after = loaded_before_and_after_building(module, tmp_path)
    assert before == []
    assert after == WANTED[module]


def test_a_missing_sdk_is_a_config_error_naming_the_extra() -> None:
    with pytest.raises(BackendConfigError, match=r"needs the 'no_such_sdk_for_flowdsl' "
                                                 r"package: pip install 'flowdsl\[openai\]'"):
        preload("openai", "no_such_sdk_for_flowdsl", "openai")
