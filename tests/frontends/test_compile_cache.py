"""The one compile cache: memory in front of an authenticated disk layer.

Hits skip the frontend, changes miss, and nothing on disk runs unless this user's
flowdsl wrote it: tampered, truncated, foreign or unauthenticated entries are
recompiled, and an untrustworthy directory or key file is not used.
"""

from __future__ import annotations

import marshal
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

import flowdsl
from flowdsl._frontends import CACHE, compile_file, compile_source
from flowdsl._frontends import _compile_cache as disk
from flowdsl._sandbox import ENTRY, ScriptHooks

SCRIPT = 'meta = {"name": "c", "description": "d"}\nreturn await agent("x")\n'
PLAIN = 'meta = {"name": "c", "description": "d"}\nreturn 1\n'


@pytest.fixture(autouse=True)
def _fresh_memory() -> Iterator[None]:
    CACHE.clear()
    yield
    CACHE.clear()


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "cache"
    monkeypatch.setenv(disk.CACHE_ENV, str(directory))
    return directory


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "c.flow.py"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.rglob("*.bin"))


def _from_disk_again(path: Path) -> None:
    """Compile ``path`` as a new process would: nothing in memory."""
    CACHE.clear()
    compile_file(path)


def _start(source: str, path: str) -> object:
    compiled = compile_source(source, path)
    return anyio.run(lambda: compiled.start({"log": print}, ScriptHooks(tick=lambda: None)))


# -- the memory layer -----------------------------------------------------------------


def test_same_source_compiles_once_in_memory(script: Path, cache: Path) -> None:
    first = compile_file(script)
    second = compile_file(script)
    assert second.code is first.code
    assert (CACHE.misses, CACHE.memory_hits) == (1, 1)


def test_a_hit_gets_its_own_copy_of_meta(script: Path, cache: Path) -> None:
    first = compile_file(script)
    first.meta["name"] = "changed"  # type: ignore[index]
    assert compile_file(script).meta["name"] == "c"


def test_path_is_part_of_the_key(cache: Path) -> None:
    first = compile_source(PLAIN, "c.flow.py")
    assert compile_source(PLAIN, "other.flow.py").code is not first.code
    assert CACHE.misses == 2


def test_errors_are_not_cached(cache: Path) -> None:
    bad = 'meta = {"name": "c", "description": "d"}\nimport os\n'
    for _ in range(2):
        with pytest.raises(Exception, match="`os` is not available"):
            compile_source(bad, "c.flow.py")
    assert CACHE.memory_hits + CACHE.disk_hits == 0
    assert not _entries(cache)


def test_the_memory_layer_is_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(disk.CACHE_ENV, "off")
    small = disk.CompileCache(size=2)
    for n in range(3):
        small.put(compile_source(PLAIN + f"# {n}\n", "p.flow.py"))
    assert small.get(PLAIN + "# 0\n", "p.flow.py") is None
    assert small.get(PLAIN + "# 2\n", "p.flow.py") is not None


# -- the disk layer -------------------------------------------------------------------


def test_second_compile_is_served_from_disk(script: Path, cache: Path) -> None:
    first = compile_file(script)
    CACHE.clear()
    second = compile_file(script)
    assert (CACHE.disk_hits, CACHE.misses) == (1, 0)
    assert second.meta == first.meta
    assert second.python_source == first.python_source
    assert flowdsl.run(script, backend="simulate").status == "completed"


def test_changed_source_is_compiled_again(script: Path, cache: Path) -> None:
    compile_file(script)
    script.write_text(SCRIPT.replace('"x"', '"y"'), encoding="utf-8")
    CACHE.clear()
    assert "y" in compile_file(script).python_source
    assert CACHE.misses == 1


def test_javascript_line_map_survives_the_cache(tmp_path: Path, cache: Path) -> None:
    path = tmp_path / "t.js"
    path.write_text("export const meta = {name: 't', description: 'd'};\n"
                    "const x = 1;\nthrow new Error('boom ' + x);\n", encoding="utf-8")
    first = compile_file(path)
    CACHE.clear()
    second = compile_file(path)
    assert CACHE.disk_hits == 1
    assert second.line_map == first.line_map
    assert ":3:" in (flowdsl.run(path, backend="simulate").error or "")


def test_the_disk_layer_can_be_turned_off(
    script: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(disk.CACHE_ENV, "off")
    compile_file(script)
    _from_disk_again(script)
    assert CACHE.misses == 1
    assert not list(tmp_path.rglob("*.bin"))


def test_the_directory_and_key_are_private(script: Path, cache: Path) -> None:
    compile_file(script)
    assert stat.S_IMODE(cache.stat().st_mode) == 0o700
    assert stat.S_IMODE((cache / "key").stat().st_mode) == 0o600
    assert len((cache / "key").read_bytes()) == 32


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda data: data[:10], id="truncated"),
        pytest.param(lambda data: data[:-1] + bytes([data[-1] ^ 1]), id="tampered-code"),
        pytest.param(lambda data: bytes([data[0] ^ 1]) + data[1:], id="tampered-mac"),
        pytest.param(lambda data: data[32:], id="unauthenticated"),
        pytest.param(lambda data: b"not marshal data", id="garbage"),
    ],
)
def test_a_damaged_entry_is_recompiled(script: Path, cache: Path, damage) -> None:  # type: ignore[no-untyped-def]
    compile_file(script)
    [entry] = _entries(cache)
    entry.write_bytes(damage(entry.read_bytes()))
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)
    assert flowdsl.run(script, backend="simulate").status == "completed"


def test_a_planted_entry_never_runs_outside_the_sandbox(tmp_path: Path, cache: Path) -> None:
    marker = tmp_path / "escaped"
    source = PLAIN
    path = str(tmp_path / "p.flow.py")
    compile_source(source, path)
    [entry] = _entries(cache)
    # Unsandboxed code that would write a file (open() does not exist in the sandbox),
    # under the real entry name, with a MAC made without the user's key.
    payload = f"async def {ENTRY}():\n    open({str(marker)!r}, 'w').write('x')\n    return 666\n"
    blob = marshal.dumps(("python", {"name": "c", "description": "d"}, source, None,
                          compile(payload, path, "exec")))
    entry.write_bytes(os.urandom(32) + blob)
    CACHE.clear()
    assert _start(source, path) == 1
    assert not marker.exists()
    assert CACHE.disk_hits == 0


def test_an_entry_written_under_another_key_is_not_trusted(script: Path, cache: Path) -> None:
    compile_file(script)
    (cache / "key").write_bytes(os.urandom(32))
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)


def test_a_group_or_world_writable_directory_is_not_used(script: Path, cache: Path) -> None:
    cache.mkdir(mode=0o700)
    cache.chmod(0o777)
    compile_file(script)
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)
    assert not _entries(cache)
    assert not (cache / "key").exists()


def test_a_directory_owned_by_someone_else_is_not_used(
    script: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_file(script)
    monkeypatch.setattr(disk, "_uid", lambda: os.getuid() + 1)
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)


def test_a_readable_key_file_is_not_trusted_and_is_replaced(script: Path, cache: Path) -> None:
    compile_file(script)
    key = cache / "key"
    old = key.read_bytes()
    key.chmod(0o644)
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_bytes() != old
    _from_disk_again(script)
    assert CACHE.disk_hits == 1  # the entry rewritten under the new key


def test_a_key_file_owned_by_someone_else_is_replaced(
    script: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    compile_file(script)
    old = (cache / "key").read_bytes()
    real_uid = os.getuid()
    original_key = disk._key

    def key_as_foreign_owner(directory: Path) -> bytes | None:
        # The directory is ours; the key file looks foreign for this one read.
        monkeypatch.setattr(disk, "_uid", lambda: real_uid + 1)
        try:
            return original_key(directory)
        finally:
            monkeypatch.setattr(disk, "_uid", lambda: real_uid)

    monkeypatch.setattr(disk, "_key", key_as_foreign_owner)
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)
    assert (cache / "key").read_bytes() != old


def test_a_symlinked_key_file_is_not_followed(
    script: Path, cache: Path, tmp_path: Path
) -> None:
    compile_file(script)
    elsewhere = tmp_path / "stolen-key"
    elsewhere.write_bytes((cache / "key").read_bytes())
    elsewhere.chmod(0o600)
    (cache / "key").unlink()
    (cache / "key").symlink_to(elsewhere)
    _from_disk_again(script)
    assert (CACHE.disk_hits, CACHE.misses) == (0, 1)
    assert not (cache / "key").is_symlink()


def test_the_cache_salt_changes_when_a_source_of_flowdsl_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.machinery

    from flowdsl._frontends import _compile_cache

    package = tmp_path / "flowdsl"
    (package / "_sub" / "__pycache__").mkdir(parents=True)
    (package / "__init__.py").write_text("x = 1\n")
    (package / "_sub" / "mod.py").write_text("y = 2\n")
    spec = importlib.machinery.ModuleSpec("flowdsl", None, origin=str(package / "__init__.py"))
    monkeypatch.setattr(_compile_cache.importlib.util, "find_spec",
                        lambda name: spec if name == "flowdsl" else None)
    salt = _compile_cache._salt.__wrapped__  # uncached
    before = salt()
    (package / "_sub" / "__pycache__" / "mod.cpython-311.pyc").write_bytes(b"x")
    (package / "notes.txt").write_text("not a source")
    assert salt() == before
    (package / "_sub" / "mod.py").write_text("y = 3\n")  # same size, a new mtime
    os.utime(package / "_sub" / "mod.py", ns=(1, 10**18))
    assert salt() != before
