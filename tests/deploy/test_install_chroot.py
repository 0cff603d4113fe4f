"""`install.sh --no-start` into a fresh Debian bookworm root, through the pi-gen stage's own scripts.

The root is built with debootstrap from Debian's mirror into the test's tmp directory and deleted
afterwards. The freshly bootstrapped root is kept as a tarball in the user's cache, keyed by suite,
variant and package list, and reused for 30 days, so only the first run downloads a Debian root; the checkout is copied in by image/stage-appliance/00-appliance/00-run.sh and installed
by 01-run-chroot.sh, exactly as pi-gen runs them (the chroot script on stdin). pip inside the root
downloads the appliance's dependencies from PyPI. Skips, with the reason, where this cannot run:
not root, no debootstrap, or no route to the Debian mirror or PyPI.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
STAGE = REPO / "image" / "stage-appliance"
MIRROR = "http://deb.debian.org/debian"
SUITE = "bookworm"
# What Raspberry Pi OS Lite surely has; install.sh itself must add the rest (bluez, ...) with apt.
INCLUDE = "python3,python3-venv,systemd"
# pip in the root trusts what this machine trusts (a network may put a proxy with its own CA in
# between): the host's CA bundle, copied in by Chroot.mount().
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
CHROOT_CA = "/etc/ssl/host-ca-certificates.crt"
CHROOT_ENV = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME": "/root",
              "LANG": "C.UTF-8", "TERM": "dumb", "DEBIAN_FRONTEND": "noninteractive"}
# Paths the install may touch: the manifest of these must not change on a second run.
MANIFEST_PATHS = ("opt/appliance", "etc/appliance", "var/lib/appliance", "etc/systemd/system",
                  "etc/udev/rules.d", "etc/passwd", "etc/group", "etc/shadow", "etc/gshadow",
                  "usr/local/src/appliance")

# The bootstrapped root is cached between runs: debootstrap is most of this module's time and all of its
# downloads. The key holds everything that changes what debootstrap makes.
CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "appliance-tests"
CACHE_KEY = hashlib.sha256(f"{SUITE}|minbase|{INCLUDE}|{MIRROR}".encode()).hexdigest()[:16]
CACHE_MAX_AGE_S = 30 * 24 * 3600

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def _reachable(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=15) as response:  # noqa: S310 - fixed registry URLs
            return response.status == 200
    except OSError:
        return False


def _report(request: pytest.FixtureRequest, line: str) -> None:
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line(f"[deploy] {line}")


def _bootstrap(debootstrap: str, root: Path) -> str:
    """Make a fresh root: from the cached tarball when there is a recent one, else with debootstrap (then cached)."""
    cached = CACHE_DIR / f"debootstrap-{SUITE}-{CACHE_KEY}.tar"
    root.mkdir(parents=True)
    if cached.exists() and time.time() - cached.stat().st_mtime < CACHE_MAX_AGE_S:
        subprocess.run(["tar", "-xpf", str(cached), "--numeric-owner", "-C", str(root)], check=True,
                       capture_output=True, timeout=300)
        return f"root from the cache {cached}"
    result = subprocess.run([debootstrap, "--variant=minbase", f"--include={INCLUDE}", SUITE, str(root), MIRROR],
                            capture_output=True, text=True, timeout=480)
    assert result.returncode == 0, f"debootstrap failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".tar.{os.getpid()}")
    subprocess.run(["tar", "-cpf", str(partial), "--numeric-owner", "-C", str(root), "."], check=True,
                   capture_output=True, timeout=300)
    partial.replace(cached)  # atomic: a run killed half-way never leaves a truncated cache behind
    return "debootstrap"


def _mounts_under(root: Path) -> list[str]:
    prefix = str(root.resolve())
    mounts = [line.split()[1] for line in Path("/proc/self/mounts").read_text().splitlines()]
    return [m for m in mounts if m == prefix or m.startswith(prefix + "/")]


def _unmount_all(root: Path) -> None:
    for mount in sorted(_mounts_under(root), key=len, reverse=True):
        if subprocess.run(["umount", mount], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", mount], capture_output=True)


class Chroot:
    """A debootstrapped root with /proc, /sys and /dev mounted, as pi-gen's on_chroot has."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def mount(self) -> None:
        for target, args in (("proc", ["-t", "proc", "proc"]), ("sys", ["-t", "sysfs", "sysfs"]),
                             ("dev", ["--bind", "/dev"]), ("dev/pts", ["--bind", "/dev/pts"])):
            (self.root / target).mkdir(parents=True, exist_ok=True)
            subprocess.run(["mount", *args, str(self.root / target)], check=True, capture_output=True)
        shutil.copyfile("/etc/resolv.conf", self.root / "etc" / "resolv.conf")
        if HOST_CA.exists():
            shutil.copyfile(HOST_CA, self.root / CHROOT_CA.lstrip("/"))
            CHROOT_ENV["PIP_CERT"] = CHROOT_CA

    def run(self, *argv: str, stdin: bytes | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(["chroot", str(self.root), *argv], input=stdin, capture_output=True,
                              env=CHROOT_ENV, timeout=timeout)

    def run_chroot_script(self, script: Path, timeout: float = 480) -> subprocess.CompletedProcess:
        """As pi-gen's `on_chroot < NN-run-chroot.sh`: bash -e reading the script on stdin."""
        return self.run("/bin/bash", "-e", stdin=script.read_bytes(), timeout=timeout)

    def install(self) -> subprocess.CompletedProcess:
        return self.run_chroot_script(STAGE / "00-appliance" / "01-run-chroot.sh")

    def ids(self, name: str) -> tuple[int, int]:
        for line in (self.root / "etc" / "passwd").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == name:
                return int(fields[2]), int(fields[3])
        raise AssertionError(f"no user {name} in the root")

    def gid(self, name: str) -> int:
        for line in (self.root / "etc" / "group").read_text().splitlines():
            fields = line.split(":")
            if fields[0] == name:
                return int(fields[2])
        raise AssertionError(f"no group {name} in the root")

    def manifest(self) -> dict[str, tuple]:
        """Path -> (type and mode, owner, group, checksum or link target, mtime) under MANIFEST_PATHS."""
        entries: dict[str, tuple] = {}
        for rel in MANIFEST_PATHS:
            top = self.root / rel
            paths = [top] if not top.is_dir() else [top, *top.rglob("*")]
            for path in paths:
                st = path.lstat()
                if stat.S_ISLNK(st.st_mode):
                    content = os.readlink(path)
                elif stat.S_ISREG(st.st_mode):
                    content = hashlib.sha256(path.read_bytes()).hexdigest()
                else:
                    content = ""
                mtime = st.st_mtime_ns if not stat.S_ISDIR(st.st_mode) else 0
                entries[str(path.relative_to(self.root))] = (oct(st.st_mode), st.st_uid, st.st_gid, content, mtime)
        return entries


@pytest.fixture(scope="module")
def installed(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    """A fresh bookworm root with the appliance installed once; unmounted and deleted afterwards."""
    if os.geteuid() != 0:
        pytest.skip("debootstrap and chroot need root (CI runs as root)")
    debootstrap = shutil.which("debootstrap")
    if debootstrap is None:
        pytest.skip("no debootstrap binary (./install.sh --dev installs it with apt)")
    if not _reachable(f"{MIRROR}/dists/{SUITE}/Release"):
        pytest.skip(f"the Debian mirror {MIRROR} is not reachable from here")  # the install needs apt too
    if not _reachable("https://pypi.org/simple/pip/"):
        pytest.skip("PyPI is not reachable: pip in the root could not install the appliance's dependencies")

    root = tmp_path_factory.mktemp("bookworm") / "root"
    chroot = Chroot(root)
    try:
        started = time.monotonic()
        source = _bootstrap(debootstrap, root)
        debootstrap_s = time.monotonic() - started
        chroot.mount()

        # pi-gen's sub-stage scripts, as pi-gen runs them: 00-run.sh on the host in its folder.
        copy = subprocess.run([str(STAGE / "00-appliance" / "00-run.sh")], cwd=STAGE / "00-appliance",
                              env={**os.environ, "ROOTFS_DIR": str(root), "STAGE_DIR": str(STAGE)},
                              capture_output=True, text=True, timeout=120)
        assert copy.returncode == 0, copy.stderr
        started = time.monotonic()
        first = chroot.install()
        install_s = time.monotonic() - started
        assert first.returncode == 0, f"install.sh --no-start failed:\n{first.stdout.decode()[-4000:]}\n" \
                                      f"{first.stderr.decode()[-4000:]}"
        _report(request, f"{source} {debootstrap_s:.0f} s, first install.sh --no-start {install_s:.0f} s")
        chroot.first_output = first.stdout.decode()  # type: ignore[attr-defined]
        yield chroot
    finally:
        _unmount_all(root)
        left = _mounts_under(root)
        # Never delete through a mount that is still there (/dev is a bind mount of the host's).
        if not left and root.exists():
            shutil.rmtree(root.parent, ignore_errors=True)
        assert not left, f"could not unmount {left}"


def test_the_service_user_is_a_system_user_in_dialout_and_bluetooth(installed: Chroot):
    uid, gid = installed.ids("appliance")
    assert uid < 1000 and gid == installed.gid("appliance")
    entry = installed.run("getent", "passwd", "appliance").stdout.decode().strip().split(":")
    assert entry[5:] == ["/var/lib/appliance", "/usr/sbin/nologin"]
    groups = installed.run("id", "-nG", "appliance").stdout.decode().split()
    assert {"appliance", "dialout", "bluetooth"} <= set(groups)


def test_directories_and_files_have_their_modes_and_owners(installed: Chroot):
    uid, gid = installed.ids("appliance")
    root = installed.root

    def check(rel: str, mode: int, owner: tuple[int, int]) -> None:
        st = (root / rel).stat()
        assert (oct(stat.S_IMODE(st.st_mode)), (st.st_uid, st.st_gid)) == (oct(mode), owner), rel

    check("var/lib/appliance", 0o700, (uid, gid))
    check("etc/appliance", 0o750, (0, gid))
    check("etc/appliance/config.yaml.example", 0o640, (0, gid))
    check("opt/appliance", 0o755, (0, 0))
    check("opt/appliance/libexec/appliance-setup-code", 0o755, (0, 0))
    check("etc/systemd/system/appliance.service", 0o644, (0, 0))
    check("etc/udev/rules.d/99-appliance-serial.rules", 0o644, (0, 0))
    assert not (root / "etc/appliance/config.yaml").exists(), "install.sh must never write the owner's config.yaml"


def test_units_and_udev_rules_are_installed_and_enabled(installed: Chroot):
    root = installed.root
    for name in ("appliance.service", "appliance-setup-code.service"):
        assert (root / "etc/systemd/system" / name).read_bytes() == (REPO / "systemd" / name).read_bytes()
        link = root / "etc/systemd/system/multi-user.target.wants" / name
        assert link.is_symlink() and os.readlink(link) == f"/etc/systemd/system/{name}", name
    rules = "99-appliance-serial.rules"
    assert (root / "etc/udev/rules.d" / rules).read_bytes() == (REPO / "systemd" / rules).read_bytes()
    enabled = installed.run("systemctl", "is-enabled", "appliance.service")
    assert enabled.stdout.decode().strip() == "enabled"


def test_the_installed_program_runs_and_is_not_an_editable_install(installed: Chroot):
    result = installed.run("/opt/appliance/bin/appliance", "--version")
    assert result.returncode == 0, result.stderr.decode()
    assert result.stdout.decode().strip().startswith("appliance ")
    where = installed.run("/opt/appliance/bin/python", "-c", "import appliance; print(appliance.__file__)")
    assert where.stdout.decode().startswith("/opt/appliance/lib/python3"), where.stdout
    assert not (installed.root / "usr/local/src/appliance/build").exists(), "pip built inside the checkout"
    # The real unit with its real ExecStart, verified where it is installed.
    verify = installed.run("systemd-analyze", "verify", "/etc/systemd/system/appliance.service")
    assert verify.returncode == 0, verify.stderr.decode()


def test_install_prints_the_url_and_where_the_setup_code_is(installed: Chroot):
    output = installed.first_output  # type: ignore[attr-defined]
    assert "http://" in output and ".local/" in output
    assert "journalctl -u appliance" in output and "setup code" in output


def test_a_second_install_changes_nothing(installed: Chroot):
    before = installed.manifest()
    again = installed.install()
    assert again.returncode == 0, again.stderr.decode()
    assert "is up to date" in again.stdout.decode()
    after = installed.manifest()
    changed = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
    assert changed == []


def test_the_installed_package_has_its_data_files(installed: Chroot):
    """Migrations, driver maps and adapter schemas are in the wheel: a fresh database and the example config load."""
    root = installed.root
    example = (root / "etc/appliance/config.yaml.example").read_text().splitlines()
    start = example.index("# home:")
    (root / "tmp/config.yaml").write_text("\n".join(line[2:] if line.startswith("# ") else "" for line in example[start:]))
    for argv in (("init-db",), ("import-config", "/tmp/config.yaml")):
        result = installed.run("/opt/appliance/bin/appliance", "--db", "/tmp/check.db", *argv)
        assert result.returncode == 0, result.stderr.decode()


def test_uninstall_keeps_data_and_purge_removes_everything(installed: Chroot):
    root = installed.root
    (root / "var/lib/appliance/appliance.db").write_bytes(b"data")
    (root / "etc/appliance/config.yaml").write_text("home: {id: h, name: H}\n")
    result = installed.run("/usr/local/src/appliance/install.sh", "--uninstall")
    assert result.returncode == 0, result.stderr.decode()
    assert not (root / "opt/appliance").exists()
    assert not (root / "etc/systemd/system/appliance.service").exists()
    assert not (root / "etc/systemd/system/multi-user.target.wants/appliance.service").exists()
    assert not (root / "etc/udev/rules.d/99-appliance-serial.rules").exists()
    assert (root / "var/lib/appliance/appliance.db").read_bytes() == b"data"
    assert (root / "etc/appliance/config.yaml").exists()
    assert installed.run("getent", "passwd", "appliance").returncode == 0

    result = installed.run("/usr/local/src/appliance/install.sh", "--purge")
    assert result.returncode == 0, result.stderr.decode()
    assert not (root / "var/lib/appliance").exists() and not (root / "etc/appliance").exists()
    assert installed.run("getent", "passwd", "appliance").returncode != 0
    assert installed.run("getent", "group", "appliance").returncode != 0
