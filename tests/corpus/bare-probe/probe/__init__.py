# ruff: noqa: PLC0415 - each check imports what it probes, so one missing library fails one check
"""Each check returns a JSON-able value or raises; run_all() reports every check's outcome."""

import bz2
import ctypes
import decimal
import hashlib
import json
import lzma
import mimetypes
import os
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import uuid
import zlib
import zoneinfo
from pathlib import Path

CERTS = Path(__file__).resolve().parent / "certs"


def check_sqlite3():
    with (
        tempfile.TemporaryDirectory() as directory,
        sqlite3.connect(os.path.join(directory, "probe.db")) as db,
    ):
        db.execute("create table t (v text)")
        db.execute("insert into t values (?)", ("stored",))
        return [db.execute("select v from t").fetchone()[0], sqlite3.sqlite_version]


def check_ssl_default_paths():
    """The default context loads the image's CA bundle through OpenSSL's default paths."""
    context = ssl.create_default_context()
    paths = ssl.get_default_verify_paths()
    return {"cafile": paths.cafile, "capath": paths.capath, "x509_ca": context.cert_store_stats()["x509_ca"]}


def check_ssl_handshake():
    """A TLS server on 127.0.0.1 with a certificate of the test CA; the client verifies it."""
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(CERTS / "server.pem", CERTS / "server.key")
    client_context = ssl.create_default_context(cafile=str(CERTS / "test-ca.pem"))
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve():
        connection, _ = listener.accept()
        with server_context.wrap_socket(connection, server_side=True) as tls:
            tls.sendall(tls.recv(64).upper())

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        client_context.wrap_socket(raw, server_hostname="localhost") as tls,
    ):
        tls.sendall(b"verified")
        answer = tls.recv(64).decode()
        version = tls.version()
    thread.join(5)
    listener.close()
    return [answer, version]


def check_hashlib():
    data = b"bare"
    return [
        hashlib.sha256(data).hexdigest(),
        hashlib.md5(data).hexdigest(),
        hashlib.blake2b(data).hexdigest()[:16],
    ]


def check_compression():
    data = b"bare " * 100
    return [
        zlib.decompress(zlib.compress(data)) == data,
        bz2.decompress(bz2.compress(data)) == data,
        lzma.decompress(lzma.compress(data)) == data,
    ]


def check_json():
    return json.loads(json.dumps({"k": [1, 2.5, "x"]}))


def check_ctypes():
    libc = ctypes.CDLL("libc.so.6")
    return libc.getpid() == os.getpid()


def check_uuid():
    return [str(uuid.uuid4()).count("-"), uuid.uuid1().version]


def check_decimal():
    return str(decimal.Decimal("1.1") + decimal.Decimal("2.2"))


def check_zoneinfo():
    return str(zoneinfo.ZoneInfo("Europe/Paris"))


def check_data_files():
    return [mimetypes.guess_type("x.json")[0], socket.getservbyname("https")]


def check_gevent():
    import gevent
    import gevent.libev.corecext

    return [gevent.__version__, gevent.libev.corecext.__file__.endswith(".so")]


def check_psycopg2():
    import psycopg2.extensions

    return psycopg2.extensions.libpq_version()


def check_markupsafe_speedups():
    import markupsafe
    from markupsafe import _speedups

    return [_speedups.__file__.endswith(".so"), str(markupsafe.escape("<b>"))]


def check_stage_package():
    """libpq5, a user stage package, and its dependencies are in the rootfs."""
    libpq = ctypes.CDLL("libpq.so.5")
    return libpq.PQlibVersion()


def check_shell():
    """sh is bash, coreutils are there, the user is known."""
    result = subprocess.run(
        ["sh", "-c", 'echo "$BASH_VERSION" | cut -d. -f1; id -un; ls -ld /tmp | cut -c1-10'],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.split()


def check_python():
    return ".".join(map(str, sys.version_info[:2]))


def run_all():
    results = {}
    for name, check in sorted(globals().items()):
        if name.startswith("check_") and callable(check):
            try:
                results[name[6:]] = {"ok": True, "value": check()}
            except Exception as error:  # the probe reports every failure
                results[name[6:]] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return results
