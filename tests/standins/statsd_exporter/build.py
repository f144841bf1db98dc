"""Package the statsd_exporter STAND-IN as one executable file, like the real binary.

The file is a Python zip application (PEP 441) holding the stand-in and the pure-Python
part of PyYAML taken from the interpreter running this script, so it runs with the image's
python3 whatever the app's dependencies are. The archive is byte-for-byte reproducible
(fixed timestamps and order), so the rock role's content digest, and its tag, stay stable.

Usage: python build.py OUTPUT_FILE
"""

import io
import sys
import zipfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
SHEBANG = b"#!/usr/bin/env python3\n"


def members():
    yield "__main__.py", (HERE / "statsd_exporter.py").read_bytes()
    yaml_dir = Path(yaml.__file__).parent
    for source in sorted(yaml_dir.glob("*.py")):
        yield f"yaml/{source.name}", source.read_bytes()


def build(output):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members():
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    content = SHEBANG + buffer.getvalue()
    output = Path(output)
    if not output.exists() or output.read_bytes() != content:
        output.write_bytes(content)
    output.chmod(0o755)
    return output


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: build.py OUTPUT_FILE")
    print(build(sys.argv[1]))
