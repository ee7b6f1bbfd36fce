"""What the script's process gives up before the script starts.

- an address-space cap (``RLIMIT_AS``): an allocation past it raises MemoryError;
- no core files (a dump would hold the script's data);
- death with the parent (``PR_SET_PDEATHSIG``): a killed parent leaves no orphan;
- no new privileges (``PR_SET_NO_NEW_PRIVS``): no setuid binary or file capability can
  raise them again;
- a seccomp filter, where the platform has one (Linux on x86-64 and AArch64): system
  calls that open files or directories, create sockets, connect, run programs, change
  the file system (names, owners, modes, times, extended attributes), trace or reach
  into other processes (``ptrace``, ``process_vm_*``, pidfds), mount, load modules or
  BPF programs, or set up io_uring fail with ``EPERM``, and signals may be sent to this
  process only. It is best effort: it does not cover ``stat``-like calls, ``fork``, or
  descriptors the process already holds (its pipes to the parent); :func:`confine`
  reports what was installed so the caller can say so.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import signal
import struct
from collections.abc import Sequence

__all__ = ["DENIED_SYSCALLS", "confine", "install_seccomp"]

_PR_SET_PDEATHSIG = 1
_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2

_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000

# BPF opcodes
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JSET_K = 0x45
_RET_K = 0x06

_ARCH_OFFSET = 4
_NR_OFFSET = 0
_ARG0_OFFSET = 16  # args[0], its low 32 bits (little-endian)

_DENIED_NAMES = (
    "open", "openat", "openat2", "creat", "open_by_handle_at", "name_to_handle_at",
    "socket", "connect", "bind", "listen", "accept", "accept4",
    "execve", "execveat", "ptrace", "process_vm_readv", "process_vm_writev",
    "unlink", "unlinkat", "rename", "renameat", "renameat2", "mkdir", "mkdirat", "rmdir",
    "link", "linkat", "symlink", "symlinkat", "chmod", "fchmodat", "truncate",
    "mknod", "mknodat", "io_uring_setup", "io_uring_enter", "io_uring_register",
    "chown", "fchown", "lchown", "fchownat", "utime", "utimes", "utimensat", "futimesat",
    "setxattr", "lsetxattr", "fsetxattr", "removexattr", "lremovexattr", "fremovexattr",
    "pidfd_open", "pidfd_getfd", "pidfd_send_signal", "chroot", "mount", "umount2",
    "pivot_root", "reboot", "init_module", "finit_module", "delete_module", "kexec_load",
    "bpf", "perf_event_open", "userfaultfd", "keyctl", "add_key", "request_key", "setns",
    "unshare",
)
_SELF_ONLY = ("kill", "tkill", "tgkill")
"""Allowed only when their first argument is this process (faulthandler re-raises a
fatal signal on itself)."""
DENIED_SYSCALLS: tuple[str, ...] = _DENIED_NAMES
"""The system calls the filter refuses (those the architecture has)."""

_X86_64 = (0xC000003E, {
    "open": 2, "openat": 257, "openat2": 437, "creat": 85, "open_by_handle_at": 304,
    "name_to_handle_at": 303, "socket": 41, "connect": 42, "bind": 49,
    "listen": 50, "accept": 43, "accept4": 288, "execve": 59, "execveat": 322,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "unlink": 87,
    "unlinkat": 263, "rename": 82, "renameat": 264, "renameat2": 316, "mkdir": 83,
    "mkdirat": 258, "rmdir": 84, "link": 86, "linkat": 265, "symlink": 88,
    "symlinkat": 266, "chmod": 90, "fchmodat": 268, "truncate": 76, "mknod": 133,
    "mknodat": 259, "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427,
    "chown": 92, "fchown": 93, "lchown": 94, "fchownat": 260, "utime": 132, "utimes": 235,
    "utimensat": 280, "futimesat": 261, "setxattr": 188, "lsetxattr": 189, "fsetxattr": 190,
    "removexattr": 197, "lremovexattr": 198, "fremovexattr": 199, "pidfd_open": 434,
    "pidfd_getfd": 438, "pidfd_send_signal": 424, "chroot": 161, "mount": 165,
    "umount2": 166, "pivot_root": 155, "reboot": 169, "init_module": 175,
    "finit_module": 313, "delete_module": 176, "kexec_load": 246, "bpf": 321,
    "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248,
    "request_key": 249, "setns": 308, "unshare": 272,
    "kill": 62, "tkill": 200, "tgkill": 234,
})
_AARCH64 = (0xC00000B7, {
    "openat": 56, "openat2": 437, "open_by_handle_at": 265, "name_to_handle_at": 264,
    "socket": 198, "connect": 203, "bind": 200, "listen": 201,
    "accept": 202, "accept4": 242, "execve": 221, "execveat": 281, "ptrace": 117,
    "process_vm_readv": 270, "process_vm_writev": 271, "unlinkat": 35, "renameat": 38,
    "renameat2": 276, "mkdirat": 34, "linkat": 37, "symlinkat": 36, "fchmodat": 53,
    "truncate": 45, "mknodat": 33, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "fchownat": 54, "fchown": 55, "utimensat": 88,
    "setxattr": 5, "lsetxattr": 6, "fsetxattr": 7, "removexattr": 14, "lremovexattr": 15,
    "fremovexattr": 16, "pidfd_open": 434, "pidfd_getfd": 438, "pidfd_send_signal": 424,
    "chroot": 51, "mount": 40, "umount2": 39, "pivot_root": 41, "reboot": 142,
    "init_module": 105, "finit_module": 273, "delete_module": 106, "kexec_load": 104,
    "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
    "request_key": 218, "setns": 268, "unshare": 97,
    "kill": 129, "tkill": 130, "tgkill": 131,
})
_ARCHES = {"x86_64": _X86_64, "amd64": _X86_64, "aarch64": _AARCH64, "arm64": _AARCH64}
_X32_BIT = 0x40000000


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _filter(arch: int, denied: Sequence[int], self_only: Sequence[int], pid: int,
            x86: bool) -> bytes:
    """The BPF program: wrong architecture or a denied number -> EPERM; a signal to
    another process -> EPERM; everything else allowed."""
    deny = _SECCOMP_RET_ERRNO | errno.EPERM
    # a label, or (code, jump-if-true label, jump-if-false label, k)
    program: list[str | tuple[int, str | None, str | None, int]] = [
        (_LD_W_ABS, None, None, _ARCH_OFFSET),
        (_JEQ_K, "body", "deny", arch),
        "body",
        (_LD_W_ABS, None, None, _NR_OFFSET),
    ]
    if x86:  # the x32 ABI reaches the same calls under other numbers
        program.append((_JSET_K, "deny", None, _X32_BIT))
    program += [(_JEQ_K, "deny", None, n) for n in denied]
    program += [(_JEQ_K, "self", None, n) for n in self_only]
    program += [
        (_RET_K, None, None, _SECCOMP_RET_ALLOW),
        "self",
        (_LD_W_ABS, None, None, _ARG0_OFFSET),
        (_JEQ_K, "allow", "deny", pid),
        "allow",
        (_RET_K, None, None, _SECCOMP_RET_ALLOW),
        "deny",
        (_RET_K, None, None, deny),
    ]
    labels: dict[str, int] = {}
    code: list[tuple[int, str | None, str | None, int]] = []
    for entry in program:
        if isinstance(entry, str):
            labels[entry] = len(code)
        else:
            code.append(entry)
    out = []
    for at, (op, if_true, if_false, k) in enumerate(code):
        jt = labels[if_true] - at - 1 if if_true else 0
        jf = labels[if_false] - at - 1 if if_false else 0
        out.append(_instruction(op, jt, jf, k))
    return b"".join(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def _prctl(option: int, arg: int, arg2: int | ctypes.c_void_p = 0) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    prctl = libc.prctl
    prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p,
                      ctypes.c_ulong, ctypes.c_ulong]
    if prctl(option, arg, arg2, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl({option}): {errno.errorcode.get(err, err)}")


def install_seccomp() -> bool:
    """Install the filter in this process (after ``PR_SET_NO_NEW_PRIVS``).

    Returns False where there is no filter for the platform (nothing installed).
    """
    arch = _ARCHES.get(platform.machine().lower())
    if arch is None or platform.system() != "Linux":
        return False
    audit_arch, table = arch
    denied = [table[name] for name in _DENIED_NAMES if name in table]
    self_only = [table[name] for name in _SELF_ONLY if name in table]
    program = _filter(audit_arch, denied, self_only, os.getpid(), x86=table is _X86_64[1])
    buffer = ctypes.create_string_buffer(program, len(program))
    fprog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    _prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.c_void_p(ctypes.addressof(fprog)))
    return True


def confine(memory_limit: int) -> list[str]:
    """Apply every limit to this process; the ones that could not be applied.

    Call after every import the script may need: nothing opens a file afterwards.
    """
    missing: list[str] = []
    resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if platform.system() != "Linux":
        return ["parent-death signal", "no-new-privileges", "seccomp"]
    _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    try:
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    except OSError:
        return ["no-new-privileges", "seccomp"]
    try:
        if not install_seccomp():
            missing.append("seccomp")
    except OSError:
        missing.append("seccomp")
    return missing
