"""The Debian packages (issue 16): `dpkg-buildpackage -us -uc -b` on a copy
of the tree with Debian's own build dependencies gives crun-autoreap (the
runtime under its own name, next to Debian's crun), libcrun0 and libcrun-dev;
unpacked into a scratch root with `dpkg -x`, the installed binary prints its
version and runs a container, and the library has its SONAME."""

import glob
import os
import shutil
import subprocess

import pytest

from conftest import IS_RUNC, REPO


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    if IS_RUNC:
        pytest.skip("our packages")
    if shutil.which("dpkg-buildpackage") is None or not os.path.exists("/usr/share/perl5/Debian/Debhelper"):
        pytest.skip("dpkg-dev or debhelper is missing (contrib/install-deps.sh installs them)")
    top = str(tmp_path_factory.mktemp("deb"))
    src = os.path.join(top, "src")
    os.mkdir(src)
    files = subprocess.run(["git", "-C", REPO, "ls-files", "-z"], capture_output=True, check=True).stdout
    subprocess.run(["tar", "--null", "-T", "-", "-cf", os.path.join(top, "tree.tar")], input=files, cwd=REPO,
                   check=True)
    subprocess.run(["tar", "-C", src, "-xf", os.path.join(top, "tree.tar")], check=True)
    r = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    debs = {os.path.basename(p).split("_")[0]: p for p in glob.glob(os.path.join(top, "*.deb"))}
    root = os.path.join(top, "root")
    for name in ("crun-autoreap", "libcrun0", "libcrun-dev"):
        assert name in debs, debs
        subprocess.run(["dpkg", "-x", debs[name], root], check=True)
    return root


def test_packages_hold_what_they_should(packages):
    root = packages
    assert os.path.exists(os.path.join(root, "usr/bin/crun-autoreap"))
    assert not os.path.exists(os.path.join(root, "usr/bin/crun")), "would clash with Debian's crun"
    assert os.path.exists(os.path.join(root, "usr/share/man/man1/crun-autoreap.1.gz"))
    so = glob.glob(os.path.join(root, "usr/lib/*/libcrun.so.0.1.0"))
    assert so, "no libcrun.so.0.1.0"
    out = subprocess.run(["readelf", "-d", so[0]], capture_output=True, text=True, check=True).stdout
    assert "Library soname: [libcrun.so.0]" in out
    for rel in ("usr/include/libcrun/libcrun.h", "usr/lib/*/pkgconfig/libcrun.pc", "usr/lib/*/libcrun.a"):
        assert glob.glob(os.path.join(root, rel)), rel
    # the runtime's helper for embedders, where the library looks for it
    helper = "/usr/libexec/crun-autoreap/libcrun-init"
    assert os.access(root + helper, os.X_OK), helper
    with open(so[0], "rb") as f:
        assert helper.encode() + b"\0" in f.read(), "libcrun.so does not default to " + helper


def test_installed_binary_runs_a_container(packages, runtime, bundle):
    exe = os.path.join(packages, "usr/bin/crun-autoreap")
    r = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "+AUTOREAP" in r.stdout, r
    bundle.sh("echo from-the-package")
    bundle.write()
    argv = [exe, "--root", runtime.root, "run", "--bundle", bundle.path, "pkg-1"]
    runtime.ids.append("pkg-1")
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and p.stdout == "from-the-package\n", p
