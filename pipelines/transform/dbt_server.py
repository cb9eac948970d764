"""A dbt process started with the refresh, ready by the time the refresh's `dbt build` begins.

A `dbt build` spends about 2.5 s before its first node: importing dbt, then loading the project's parse. The
refresh spends its first seconds loading the sources, with the second core mostly idle. So `clusterwatch refresh`
starts this process first (`WarmDbt`): it imports dbt, parses the project (writing the manifest the Dagster
definitions read, as `dbt parse` did before) and waits. The dbt step's `clusterwatch-dbt build ...` then hands
its command line, environment, working directory and output streams to it over a Unix socket (`delegate`) and
exits with its exit code: dbt's output reaches dagster-dbt as if clusterwatch-dbt had run it.

The parse is used only for a command with the same project, vars and project environment; otherwise the warm
process parses as dbt would. One command per process; it exits after it, when its refresh ends, or when the
refresh process dies. Without a server (the Dagster UI's runs, a hand-run dbt) clusterwatch-dbt runs dbt itself.
"""
from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

SERVER_ENV = "CLUSTERWATCH_DBT_SERVER"  # the socket of the refresh's warm dbt, for clusterwatch-dbt
_HEADER = 8  # bytes of the request's length, before its JSON


def supported() -> bool:
    return hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


# -- the client: clusterwatch-dbt ----------------------------------------------------------------------------

def delegate(argv: list[str]) -> int | None:
    """Run `dbt argv` in the warm process named by the environment; its exit code, or None when there is no
    warm process to take it (then the caller runs dbt itself)."""
    path = os.environ.get(SERVER_ENV)
    if not path or not supported():
        return None
    try:
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        conn.connect(path)
    except OSError:
        return None
    with conn:
        env = {k: v for k, v in os.environ.items() if k != SERVER_ENV}
        body = json.dumps({"argv": argv, "cwd": os.getcwd(), "env": env}).encode()
        message = len(body).to_bytes(_HEADER, "big") + body
        sys.stdout.flush()
        sys.stderr.flush()
        try:
            sent = socket.send_fds(conn, [message], [sys.stdout.fileno(), sys.stderr.fileno()])
            conn.sendall(message[sent:])
        except OSError:
            return None  # it took nothing: run dbt here
        reply = b""
        while not reply.endswith(b"\n") and (chunk := conn.recv(64)):
            reply += chunk
    if not reply.endswith(b"\n"):
        print("clusterwatch-dbt: the refresh's warm dbt process stopped during the command", file=sys.stderr)
        return 2
    return int(reply)


# -- the server ----------------------------------------------------------------------------------------------

def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 2)
    while len(data) < _HEADER or len(data) < _HEADER + int.from_bytes(data[:_HEADER], "big"):
        chunk = conn.recv(1 << 20)
        if not chunk:
            raise ConnectionError("incomplete request")
        data += chunk
    return json.loads(data[_HEADER:_HEADER + int.from_bytes(data[:_HEADER], "big")]), list(fds)


def _vars_of(argv: list[str]) -> str | None:
    return argv[argv.index("--vars") + 1] if "--vars" in argv[:-1] else None


def _usable(manifest, parse: dict, request: dict) -> bool:
    """Whether the command would have parsed the project as the warm process did."""
    env = request["env"]
    return (manifest is not None and _vars_of(request["argv"]) == _vars_of(parse["argv"])
            and Path(request["cwd"]).resolve() == Path(parse["cwd"]).resolve()
            and all(env.get(k) == v for k, v in (getattr(manifest, "env_vars", None) or {}).items()))


def _exit_code(result) -> int:
    """dbt's own: 1 when nodes failed, 2 when dbt itself failed (the CLI's ResultExit and ExceptionExit)."""
    if result.success:
        return 0
    return 2 if result.exception is not None else 1


def serve(path: str, parse: dict) -> None:
    """Parse, say so on stdout, then run the one command a client brings (see the module's docstring)."""
    import atexit

    from pipelines.lib.batch_process import collect_less, exit_now
    from pipelines.transform.dbt_events import drop_unlogged_events

    collect_less()
    drop_unlogged_events()
    parent = os.getppid()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(1)
    from dbt.cli.main import dbtRunner

    manifest = None
    try:
        os.chdir(parse["cwd"])
        result = dbtRunner().invoke(parse["argv"])
        manifest = result.result if result.success else None
        if manifest is not None and parse.get("publish_to"):
            from pipelines.lib.files import copy_into_place

            # Where the Dagster definitions read it, as project.py's _parse puts it
            target = Path(parse["argv"][parse["argv"].index("--target-path") + 1])
            copy_into_place(target / "manifest.json", Path(parse["publish_to"]))
    except Exception:  # noqa: BLE001 - the build parses again and reports what is wrong
        manifest = None
    print("parsed" if manifest is not None else "not parsed", flush=True)
    if manifest is not None:
        _import_python_model_modules(manifest)
    listener.settimeout(1.0)
    while True:
        try:
            conn, _ = listener.accept()
            break
        except TimeoutError:
            if os.getppid() != parent:  # the refresh is gone
                exit_now(0)
    with conn:
        request, fds = _receive(conn)
        listener.close()
        sys.stdout.flush()
        sys.stderr.flush()
        os.dup2(fds[0], 1)
        os.dup2(fds[1], 2)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        preloaded = manifest if _usable(manifest, parse, request) else None
        try:
            code = _exit_code(dbtRunner(manifest=preloaded).invoke(request["argv"]))
        except BaseException as e:  # noqa: BLE001 - reported as dbt reports an unhandled error
            print(f"dbt failed: {type(e).__name__}: {e}", file=sys.stderr)
            code = 2
        # dbt-duckdb closes the warehouse in an exit handler: before the client goes on, not after.
        atexit._run_exitfuncs()
        sys.stdout.flush()
        sys.stderr.flush()
        conn.sendall(f"{code}\n".encode())
    os._exit(0)


def _import_python_model_modules(manifest) -> None:
    """Import now what the project's dbt Python models import (pandas, the p-code lookup: about 0.6 s), while the
    sources load, instead of in the first Python model of the build."""
    import ast
    import importlib

    for node in manifest.nodes.values():
        if getattr(node, "language", None) != "python":
            continue
        try:
            tree = ast.parse(node.raw_code)
        except SyntaxError:
            continue  # the build reports it
        for stmt in ast.walk(tree):
            names = ([a.name for a in stmt.names] if isinstance(stmt, ast.Import)
                     else [stmt.module] if isinstance(stmt, ast.ImportFrom) and stmt.module and not stmt.level
                     else [])
            for name in names:
                try:
                    importlib.import_module(name)
                except Exception:  # noqa: BLE001 - the model's own import reports it, in the build
                    pass


# -- the refresh's side --------------------------------------------------------------------------------------

class WarmDbt:
    """The warm dbt process of one refresh: `wait_parsed()` before reading the manifest, `close()` at the end."""

    def __init__(self, parse_argv: list[str], cwd: Path, env: dict[str, str], publish_to: Path):
        self._dir = tempfile.mkdtemp(prefix="clusterwatch-dbt-")  # private (0700), and a short socket path
        self.path = os.path.join(self._dir, "dbt.sock")
        request = {"argv": parse_argv, "cwd": str(cwd), "publish_to": str(publish_to)}
        try:
            self._proc = subprocess.Popen(
                [sys.executable, "-m", "pipelines.transform.dbt_server", self.path, json.dumps(request)],
                env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        except OSError:
            shutil.rmtree(self._dir, ignore_errors=True)
            raise
        self._parsed: bool | None = None
        os.environ[SERVER_ENV] = self.path

    def wait_parsed(self) -> bool:
        """Whether the warm process parsed the project (it has published the manifest when it did)."""
        while self._parsed is None:
            line = self._proc.stdout.readline()  # dbt may print an error of its parse first
            if not line or line.strip() in ("parsed", "not parsed"):
                self._parsed = line.strip() == "parsed"
        return self._parsed

    def close(self) -> None:
        if os.environ.get(SERVER_ENV) == self.path:
            del os.environ[SERVER_ENV]
        if self._proc.poll() is None:
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc.stdout.close()
        shutil.rmtree(self._dir, ignore_errors=True)


if __name__ == "__main__":
    serve(sys.argv[1], json.loads(sys.argv[2]))
