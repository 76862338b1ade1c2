"""The launcher of every build process: caps its resources, closes what JS cannot, execs Node.

Run as a script (`python -I -S confine.py [--data-bytes N] [--write-beneath DIR]...
[--no-seccomp] -- NODE ARGS...`), it imports nothing of probe, so that it costs one bare
interpreter start. It sets rlimits (data segment, file size, core files) and, on Linux x86_64
and aarch64, a seccomp filter that Node inherits across exec: socket() and socketpair() fail
with EACCES (TCP, UDP, DNS, unix sockets, netlink, the inspector's listener: every socket,
whatever JS API or binding asks), signals reach this process only (kill, tgkill,
rt_sigqueueinfo to another pid fail with EPERM; so does setpriority of another process), no new
process can be made (fork, vfork, clone without CLONE_THREAD: threads only), and ptrace,
process_vm_readv/writev, pidfd_open and io_uring are refused. Node's permission model has no
network switch before Node 25; this is what closes the network, the harness's JS traps report.
With `--write-beneath DIR`, Landlock (Linux 5.13+, unprivileged) lets the process change the
file system beneath DIR only (and write /dev/null): what Node's permission model does not see
(node:sqlite opens and attaches database files anywhere on Node 24) is refused by the kernel.

`--check` tries both and prints {"seccomp", "landlock"}: null where it works, else why not
(probe then says so, once per command, and relies on what is above it).
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import resource
import socket
import struct
import sys

__all__ = [
    "FILE_BYTES",
    "LAUNCHER_EXIT",
    "filter_program",
    "install_filter",
    "main",
    "restrict_writes",
]

LAUNCHER_EXIT = 125
"""Exit code of the launcher itself failing (as `env` and `timeout` use it)."""
FILE_BYTES = 256 * 1024 * 1024
"""The largest file a build process may write (RLIMIT_FSIZE); its pipes are not files."""

# struct seccomp_data: int nr; __u32 arch; __u64 instruction_pointer; __u64 args[6]
_NR, _ARCH, _ARG0 = 0, 4, 16
_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_CLONE_THREAD = 0x00010000
_ALLOW = 0x7FFF0000
_KILL_PROCESS = 0x80000000
_X32_BIT = 0x40000000

_PR_SET_NO_NEW_PRIVS = 38
_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2


def _errno(code: int) -> int:
    return 0x00050000 | code


# Per architecture: its AUDIT_ARCH value, then syscall numbers.
_ARCHES: dict[str, dict[str, int]] = {
    "x86_64": {
        "arch": 0xC000003E,
        "socket": 41, "socketpair": 53, "kill": 62, "tkill": 200, "tgkill": 234,
        "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "ptrace": 101,
        "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_open": 434,
        "pidfd_send_signal": 424, "pidfd_getfd": 438, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427,
        "clone": 56, "clone3": 435, "fork": 57, "vfork": 58, "setpriority": 141,
    },
    "aarch64": {
        "arch": 0xC00000B7,
        "socket": 198, "socketpair": 199, "kill": 129, "tkill": 130, "tgkill": 131,
        "rt_sigqueueinfo": 138, "rt_tgsigqueueinfo": 240, "ptrace": 117,
        "process_vm_readv": 270, "process_vm_writev": 271, "pidfd_open": 434,
        "pidfd_send_signal": 424, "pidfd_getfd": 438, "io_uring_setup": 425,
        "io_uring_enter": 426, "io_uring_register": 427,
        "clone": 220, "clone3": 435, "setpriority": 140,
    },
}
_MACHINES = {"x86_64": "x86_64", "amd64": "x86_64", "aarch64": "aarch64", "arm64": "aarch64"}

_REFUSED = {  # syscall: errno
    "socket": errno.EACCES, "socketpair": errno.EACCES, "tkill": errno.EPERM,
    "ptrace": errno.EPERM, "process_vm_readv": errno.EPERM, "process_vm_writev": errno.EPERM,
    "pidfd_open": errno.EPERM, "pidfd_send_signal": errno.EPERM, "pidfd_getfd": errno.EPERM,
    "io_uring_setup": errno.EPERM, "io_uring_enter": errno.EPERM, "io_uring_register": errno.EPERM,
    # New processes: fork and vfork never; clone3's flags sit behind a pointer the filter cannot
    # read, so it answers ENOSYS and the C library falls back to clone, read below.
    "fork": errno.EPERM, "vfork": errno.EPERM, "clone3": errno.ENOSYS,
}
# Allowed only when their first argument is this process's pid (signals to itself).
_OWN_PID_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")


def machine() -> str | None:
    """The seccomp architecture of this machine (None: one the filter does not know)."""
    return _MACHINES.get(platform.machine().lower())


def filter_program(arch: str, pid: int) -> bytes:
    """The classic-BPF seccomp program (struct sock_filter[]) for `arch`, allowing signals to
    `pid` only."""
    nr = _ARCHES[arch]
    code: list[tuple[int, object, object, int]] = []  # (op, jt label, jf label, k)

    def op(o: int, k: int, jt: object = 0, jf: object = 0) -> None:
        code.append((o, jt, jf, k))

    op(_LD_W_ABS, _ARCH)
    op(_JEQ, nr["arch"], 0, "kill")  # another ABI (i386 int 0x80) has other numbers
    op(_LD_W_ABS, _NR)
    if arch == "x86_64":
        op(_JGE, _X32_BIT, "kill", 0)  # the x32 ABI's numbers alias the ones below
    for name, code_errno in _REFUSED.items():
        if name in nr:
            op(_JEQ, nr[name], f"errno{code_errno}", 0)
    for name in _OWN_PID_ONLY:
        op(_JEQ, nr[name], "own_pid", 0)
    op(_JEQ, nr["clone"], "clone", 0)
    op(_JEQ, nr["setpriority"], "priority", 0)
    op(_RET, _ALLOW)
    labels = {"own_pid": len(code)}
    op(_LD_W_ABS, _ARG0)  # the low word of args[0] (a pid_t; little-endian machines)
    op(_JEQ, pid & 0xFFFFFFFF, "allow", f"errno{errno.EPERM}")
    labels["priority"] = len(code)
    op(_LD_W_ABS, _ARG0 + 8)  # setpriority(which, who, prio): who is 0 (itself) or its pid
    op(_JEQ, 0, "allow", 0)
    op(_JEQ, pid & 0xFFFFFFFF, "allow", f"errno{errno.EPERM}")
    labels["clone"] = len(code)
    op(_LD_W_ABS, _ARG0)  # clone's flags: a thread shares this process, a child would not
    op(_JSET, _CLONE_THREAD, "allow", f"errno{errno.EPERM}")
    labels["allow"] = len(code)
    op(_RET, _ALLOW)
    for code_errno in sorted({*_REFUSED.values(), errno.EPERM}):
        labels[f"errno{code_errno}"] = len(code)
        op(_RET, _errno(code_errno))
    labels["kill"] = len(code)
    op(_RET, _KILL_PROCESS)

    out = bytearray()
    for index, (o, jt, jf, k) in enumerate(code):
        jumps = [labels[j] - index - 1 if isinstance(j, str) else int(str(j)) for j in (jt, jf)]
        assert all(0 <= j < 256 for j in jumps)
        out += struct.pack("<HBBI", o, jumps[0], jumps[1], k)
    return bytes(out)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def install_filter() -> None:
    """Install the filter on this process (inherited by what it execs); OSError when it cannot."""
    if not sys.platform.startswith("linux"):
        raise OSError(f"seccomp is Linux's; this is {sys.platform}")
    arch = machine()
    if arch is None:
        raise OSError(f"no seccomp filter for {platform.machine()}")
    program = filter_program(arch, os.getpid())
    buffer = ctypes.create_string_buffer(program, len(program))
    prog = _SockFprog(len(program) // 8, ctypes.cast(buffer, ctypes.c_void_p))
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_void_p, ctypes.c_ulong,
                           ctypes.c_ulong]
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, None, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl(NO_NEW_PRIVS): {os.strerror(ctypes.get_errno())}")
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.addressof(prog), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), f"prctl(SECCOMP): {os.strerror(ctypes.get_errno())}")


# Landlock (Linux 5.13+, unprivileged): the file system rights it handles and the ABI each needs.
_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_LANDLOCK_VERSION = 1 << 0
_RULE_PATH_BENEATH = 1
_FS_WRITE_FILE = 1 << 1
_FS_WRITES = (  # every right that changes the file system: remove, make (dirs, files, links...)
    (1 << 1) | (1 << 4) | (1 << 5) | (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10)
    | (1 << 11) | (1 << 12)
)
_FS_REFER, _FS_TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3
_NET_TCP = (1 << 0) | (1 << 1)  # bind, connect: ABI 4


def _syscall(number: int, *args: object) -> int:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    result = int(libc.syscall(number, *args))
    if result < 0:
        code = ctypes.get_errno()
        raise OSError(code, f"landlock: {os.strerror(code)}")
    return result


def restrict_writes(beneath: list[str]) -> None:
    """Landlock: from now on (and across exec) this process changes the file system only beneath
    `beneath` (and writes /dev/null), and, where the kernel knows how, neither binds nor connects
    TCP. OSError when the kernel has no Landlock."""
    if not sys.platform.startswith("linux") or machine() is None:
        raise OSError(f"no Landlock here ({sys.platform} {platform.machine()})")
    abi = _syscall(_LANDLOCK_CREATE_RULESET, None, ctypes.c_size_t(0),
                   ctypes.c_uint32(_LANDLOCK_VERSION))
    handled = _FS_WRITES | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    attr = struct.pack("<QQ", handled, _NET_TCP if abi >= 4 else 0)
    size = 16 if abi >= 4 else 8
    ruleset = _syscall(_LANDLOCK_CREATE_RULESET, ctypes.c_char_p(attr), ctypes.c_size_t(size),
                       ctypes.c_uint32(0))
    try:
        rules = [(path, handled) for path in beneath]
        rules.append(("/dev/null", _FS_WRITE_FILE | (_FS_TRUNCATE if abi >= 3 else 0)))
        for path, allowed in rules:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = struct.pack("<Qi", allowed, fd)
                _syscall(_LANDLOCK_ADD_RULE, ctypes.c_int(ruleset),
                         ctypes.c_int(_RULE_PATH_BENEATH), ctypes.c_char_p(rule),
                         ctypes.c_uint32(0))
            finally:
                os.close(fd)
        _syscall(_LANDLOCK_RESTRICT_SELF, ctypes.c_int(ruleset), ctypes.c_uint32(0))
    finally:
        os.close(ruleset)


def _landlock_gap() -> str | None:
    """Why Landlock cannot confine writes here (None: it does), tried in a child process: a
    process restricted once stays restricted."""
    import tempfile

    with tempfile.TemporaryDirectory() as inside:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child reports through the pipe
            os.close(read)
            try:
                restrict_writes([inside])
                with open(os.path.join(inside, "ok"), "w"):
                    pass
                try:
                    with open(os.path.join(os.path.dirname(inside), f"probe-{os.getpid()}"), "w"):
                        message = "Landlock is on but a write outside still went through"
                except PermissionError:
                    message = ""
            except OSError as exc:
                message = str(exc) or "Landlock failed"
            os.write(write, message.encode())
            os._exit(0)
        os.close(write)
        with os.fdopen(read, "rb") as pipe:
            said = pipe.read().decode("utf-8", "replace")
        os.waitpid(pid, 0)
        leaked = os.path.join(os.path.dirname(inside), f"probe-{pid}")
        if os.path.exists(leaked):
            os.unlink(leaked)
    return said or None


def _check() -> int:
    """What can be closed below JS here, as JSON: {"seccomp", "landlock"}, each null (it works)
    or why not."""
    import json

    found: dict[str, str | None] = {"landlock": _landlock_gap()}
    try:
        install_filter()
        socket.socket(socket.AF_INET, socket.SOCK_DGRAM).close()
        found["seccomp"] = "the seccomp filter is installed but a socket still opens"
    except PermissionError:
        found["seccomp"] = None
    except OSError as exc:
        found["seccomp"] = str(exc)
    sys.stdout.write(json.dumps(found, sort_keys=True) + "\n")
    return 0


def main(argv: list[str]) -> int:
    args = list(argv)
    if args == ["--check"]:
        return _check()
    data_bytes = None
    seccomp = True
    writes: list[str] = []
    while args and args[0] != "--":
        flag = args.pop(0)
        if flag == "--data-bytes" and args:
            data_bytes = int(args.pop(0))
        elif flag == "--write-beneath" and args:
            writes.append(args.pop(0))
        elif flag == "--no-seccomp":
            seccomp = False
        else:
            sys.stderr.write(f"probe confine: unknown argument {flag!r}\n")
            return LAUNCHER_EXIT
    if not args or len(args) < 2:
        sys.stderr.write(
            "usage: confine.py [--data-bytes N] [--write-beneath DIR]... [--no-seccomp] "
            "-- NODE ARGS...\n"
        )
        return LAUNCHER_EXIT
    command = args[1:]
    try:
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        # One file in the sandbox cannot fill the disk (a larger write: SIGXFSZ ends the build).
        resource.setrlimit(resource.RLIMIT_FSIZE, (FILE_BYTES, FILE_BYTES))
        if data_bytes is not None:
            resource.setrlimit(resource.RLIMIT_DATA, (data_bytes, data_bytes))
        if writes:
            restrict_writes(writes)
        if seccomp:
            install_filter()
        os.execv(command[0], command)
    except OSError as exc:
        sys.stderr.write(f"probe confine: {exc}\n")
    return LAUNCHER_EXIT


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
