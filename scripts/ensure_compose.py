"""Make sure a Docker Compose v2 is available for the tests of docker-compose.yml.

Order: the `docker compose` plugin if it works; else ``.govshare/tools/docker-compose`` if it
is there and runs; else that file is installed from Debian's docker-compose package (the
pinned version and checksum below): the .deb is downloaded from the Debian mirror this
machine's apt already uses (or GOVSHARE_DEBIAN_MIRROR, the mirror's base URL ending in
``/debian``), its SHA-256 checked, and the binary taken out of it with the standard library
alone, so neither dpkg nor a Docker engine is needed. ``config`` works with no engine.

The installed binary also runs as ``docker compose`` once linked into
``$DOCKER_CONFIG/cli-plugins/``.

Run with the project's Python: ``.venv/bin/python scripts/ensure_compose.py``. It prints one
line when it installed something, nothing when there was nothing to do, and the reason when
it cannot provide Compose — then the compose test fails with that reason while the rest of
the suite runs.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

from govshare.settings import setting

ROOT = Path(__file__).resolve().parent.parent
TOOL = ROOT / ".govshare" / "tools" / "docker-compose"

VERSION = "2.26.1-4"  # Debian 13 (trixie)
DEB_PATH = f"pool/main/d/docker-compose/docker-compose_{VERSION}_amd64.deb"
DEB_SHA256 = "47681197cb2b1ab88206b42a1a92fc75f50d9530a6322d03494a473eed0408ea"
MEMBER = "usr/libexec/docker/cli-plugins/docker-compose"
MIRROR_VARIABLE = "GOVSHARE_DEBIAN_MIRROR"
APT_SOURCES = Path("/etc/apt")


class Failure(Exception):
    """Compose cannot be provided; the message says why and what to do."""


def runs(command: list[str]) -> bool:
    try:
        return subprocess.run(command + ["version"], capture_output=True, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def debian_mirror() -> str:
    """Base URL of the Debian archive: GOVSHARE_DEBIAN_MIRROR, else the one apt is set up with."""
    if configured := setting("debian_mirror"):
        return configured.rstrip("/")
    uris: list[str] = []
    files = [APT_SOURCES / "sources.list", *sorted((APT_SOURCES / "sources.list.d").glob("*"))]
    for path in files:
        try:
            text = path.read_text(errors="replace")
        except OSError:
            continue
        if path.suffix == ".sources":  # deb822: "URIs: a b"
            uris += [u for m in re.finditer(r"(?mi)^URIs:\s*(.+)$", text) for u in m.group(1).split()]
        elif path.suffix == ".list" or path.name == "sources.list":  # "deb [opts] URI suite ..."
            for line in text.splitlines():
                words = re.sub(r"\[[^]]*\]", " ", line.split("#", 1)[0]).split()
                if len(words) >= 2 and words[0] == "deb":
                    uris.append(words[1])
    for uri in uris:  # the main archive, not debian-security or a third-party repository
        if uri.startswith(("http://", "https://")) and uri.rstrip("/").endswith("/debian"):
            return uri.rstrip("/")
    raise Failure(
        f"no Debian mirror found in apt's sources; set {MIRROR_VARIABLE} to a Debian mirror's "
        "base URL (the one ending in /debian) and run this again"
    )


def download(url: str) -> bytes:
    try:
        with urllib.request.urlopen(url, timeout=120) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as exc:
        raise Failure(f"could not download {url}: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != DEB_SHA256:
        raise Failure(f"{url} has SHA-256 {digest}, expected {DEB_SHA256}: refusing to use it")
    return data


def ar_members(data: bytes) -> dict[str, bytes]:
    """Members of an ar archive (the container format of a .deb)."""
    if not data.startswith(b"!<arch>\n"):
        raise Failure("the downloaded .deb is not an ar archive")
    members, offset = {}, 8
    while offset + 60 <= len(data):
        header = data[offset : offset + 60]
        if header[58:60] != b"`\n":
            raise Failure(f"the downloaded .deb has a damaged ar header at byte {offset}")
        name = header[:16].decode("ascii").rstrip(" ").rstrip("/")
        size = int(header[48:58].decode("ascii").strip())
        start = offset + 60
        members[name] = data[start : start + size]
        offset = start + size + (size % 2)  # members are padded to an even length
    return members


def extract_compose(deb: bytes) -> bytes:
    members = ar_members(deb)
    data_name = next((n for n in members if n.startswith("data.tar")), None)
    if data_name is None:
        raise Failure(f"the .deb has no data.tar member (members: {', '.join(members)})")
    try:
        with tarfile.open(fileobj=io.BytesIO(members[data_name]), mode="r:*") as archive:
            for entry in archive:
                if entry.isfile() and entry.name.removeprefix("./") == MEMBER:
                    return archive.extractfile(entry).read()
    except tarfile.TarError as exc:
        raise Failure(f"cannot read {data_name} in the .deb: {exc}") from exc
    raise Failure(f"the .deb has no {MEMBER}")


def install() -> str:
    if platform.machine().lower() not in ("x86_64", "amd64"):
        raise Failure(
            f"only the amd64 build of docker-compose is pinned, this machine is {platform.machine()}: "
            "install the Docker Compose plugin (`docker compose`) instead"
        )
    url = f"{debian_mirror()}/{DEB_PATH}"
    binary = extract_compose(download(url))
    TOOL.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=TOOL.parent, delete=False) as partial:
        partial.write(binary)
    os.chmod(partial.name, 0o755)
    os.replace(partial.name, TOOL)  # atomic: a concurrent run never sees half a binary
    if not runs([str(TOOL)]):
        raise Failure(f"installed {TOOL} but it does not run (`{TOOL} version` failed)")
    return f"installed Docker Compose {VERSION} from Debian's package into {TOOL.relative_to(ROOT)}"


def main() -> int:
    if shutil.which("docker") and runs(["docker", "compose"]):
        return 0
    if TOOL.is_file() and runs([str(TOOL)]):
        return 0
    try:
        print(f"ensure_compose: {install()}")
    except Failure as exc:
        # The rest of the suite still runs; the compose test fails with the same reason.
        print(f"ensure_compose: cannot provide Docker Compose: {exc}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
