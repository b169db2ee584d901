"""Runs on the instance, inside an SSM document's script: unpack the runtime, then exec its `inject --wait`.

The script's first shell lines `exec python3 -I -c LOADER "$0"`; the loader compiles the text between
the BOOT and END markers of the script file (this file) and runs it with the script's path. Nothing
here is ever read by a shell. Standard library only, Python 3.7+ (Amazon Linux 2's python3 is 3.7).

The script file, after the agent substituted the parameters into it:
    #=PAYLOAD <fault> <sha256 of the zipapp>
    <the zipapp, base64, several lines>
    #=PARAMS <n>
    --flag=<value>           one line per parameter, exactly n (a value holding a line break is refused)
    ?--flag=<true|false>     a flag without value
"""

import base64
import hashlib
import os
import stat
import sys

MIN_PYTHON = (3, 7)
RUNTIME_DIR = "/run/chaos-faults/runtime"  # tmpfs: gone at reboot, like the fault records beside it
EXIT_FAILED = 1


class EntryError(Exception):
    pass


def _after(lines, marker, start):
    for i in range(start, len(lines)):
        if lines[i].startswith(marker):
            return i
    raise EntryError(f"the script has no {marker.strip()} line; regenerate the document")


def read_script(path):
    """(fault, sha256, zipapp bytes, runtime argv) from the substituted script file."""
    with open(path, "rb") as f:
        lines = f.read().decode("utf-8").split("\n")
    if lines and lines[-1] == "":
        lines.pop()  # the agent ends the script with a newline
    end = _after(lines, "#=END", 0)
    head = _after(lines, "#=PAYLOAD ", end + 1)
    params = _after(lines, "#=PARAMS ", head + 1)
    _marker, fault, digest = lines[head].split(" ")
    payload = base64.b64decode("".join(lines[head + 1:params]), validate=True)
    if hashlib.sha256(payload).hexdigest() != digest:
        raise EntryError("the embedded runtime does not match its checksum; regenerate the document")
    expected = int(lines[params].split(" ")[1])
    values = lines[params + 1:]
    if len(values) != expected:
        raise EntryError(
            f"{len(values)} parameter lines where the document has {expected}: a value holds a line break"
        )
    argv = []
    for line in values:
        flag, sep, value = line.partition("=")
        if not sep or not flag.lstrip("?").startswith("--"):
            raise EntryError(f"parameter line {line[:80]!r} is not --flag=value")
        if flag.startswith("?"):
            if value not in ("true", "false"):
                raise EntryError(f"{flag[1:]}: must be true or false, got {value[:80]!r}")
            if value == "true":
                argv.append(flag[1:])
        elif value:
            argv.append(flag + "=" + value)
    return fault, digest, payload, argv


def _private_dir(path):
    """Create `path` (and its parent) as root-only directories; refuse one anybody else could write."""
    for d in (os.path.dirname(path), path):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            pass
        st = os.lstat(d)
        if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.geteuid() or st.st_mode & 0o022:
            raise EntryError(f"{d} must be a directory owned by uid {os.geteuid()} and writable by it alone")


def install(payload, digest, directory=RUNTIME_DIR):
    """The zipapp at `<directory>/<sha256>.pyz`, written once (atomically) and reused after."""
    _private_dir(directory)
    path = os.path.join(directory, digest + ".pyz")
    try:
        with open(path, "rb") as f:
            if hashlib.sha256(f.read()).hexdigest() == digest:
                return path
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return path


def main(script):
    if sys.version_info < MIN_PYTHON:
        want, found = ".".join(str(n) for n in MIN_PYTHON), sys.version.split()[0]
        sys.stderr.write(f"chaos-faults: Python {want}+ is needed on this instance, found {found}\n")
        return EXIT_FAILED
    try:
        fault, digest, payload, argv = read_script(script)
        pyz = install(payload, digest)
    except (EntryError, OSError, ValueError) as e:
        sys.stderr.write(f"chaos-faults: {e}\n")
        return EXIT_FAILED
    sys.stdout.flush()
    # exec, so the process the agent waits for (and kills on cancel) is the runtime's `--wait` command
    os.execv(sys.executable, [sys.executable, "-I", pyz, "inject", fault, *argv, "--wait"])
    return EXIT_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
