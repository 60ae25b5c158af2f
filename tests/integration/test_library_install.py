"""libcrun installed like a library (issue 16): `make install DESTDIR=...`
puts the binary, the man page, libcrun.so with its SONAME, libcrun.a, the
public headers and libcrun.pc in place; libcrun.so exports exactly the
functions the public headers mark LIBCRUN_PUBLIC; and an embedder built with
`pkg-config --cflags --libs libcrun` against the installed copy creates and
deletes a container through it."""

import os
import re
import subprocess

import pytest

from conftest import IS_RUNC, REPO

PUBLIC_HEADERS = ("libcrun.h", "error.h", "helpers.h", "log.h", "config.h", "state.h", "container.h",
                  "exec.h", "live_mounts.h", "features.h", "spec.h", "init_helper.h")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    if IS_RUNC or not os.path.exists(os.path.join(REPO, "Makefile")):
        pytest.skip("needs this tree, built")
    dest = str(tmp_path_factory.mktemp("destdir"))
    r = subprocess.run(["make", "-C", REPO, "install", "DESTDIR=" + dest], capture_output=True, text=True,
                       timeout=600)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    return dest


def prefix_of(dest):
    with open(os.path.join(REPO, "config.status")) as f:
        m = re.search(r'S\["prefix"\]="([^"]*)"', f.read())
    return dest + m.group(1)


def build_against_installed(dest, source, out, *extra):
    """Compile `source` into `out` with `pkg-config --cflags --libs libcrun`
    of the copy installed in `dest`; returns the environment to run it in."""
    pre = prefix_of(dest)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(pre, "lib/pkgconfig"), PKG_CONFIG_SYSROOT_DIR=dest)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcrun"], env=env, capture_output=True,
                           text=True, check=True).stdout.split()
    assert "-lcrun" in flags, flags
    r = subprocess.run(["gcc", "-Wall", "-Werror", "-o", out, source] + flags + list(extra), capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return dict(os.environ, LD_LIBRARY_PATH=os.path.join(pre, "lib"),
                CRUN_TEST_HELPER=os.path.join(pre, "libexec/crun-autoreap/libcrun-init"))


def test_installed_files(installed):
    pre = prefix_of(installed)
    for rel in ["bin/crun", "libexec/crun-autoreap/libcrun-init", "share/man/man1/crun.1", "lib/libcrun.a", "lib/libcrun.so.0.1.0",
                "lib/pkgconfig/libcrun.pc"] + ["include/libcrun/" + h for h in PUBLIC_HEADERS]:
        assert os.path.exists(os.path.join(pre, rel)), rel
    assert os.readlink(os.path.join(pre, "lib/libcrun.so.0")) == "libcrun.so.0.1.0"
    assert os.readlink(os.path.join(pre, "lib/libcrun.so")) == "libcrun.so.0"
    r = subprocess.run(["readelf", "-d", os.path.join(pre, "lib/libcrun.so.0.1.0")], capture_output=True,
                       text=True, check=True)
    assert "Library soname: [libcrun.so.0]" in r.stdout, r.stdout


def test_only_the_public_api_is_exported(installed):
    pre = prefix_of(installed)
    marked = set()
    for h in PUBLIC_HEADERS:
        with open(os.path.join(pre, "include/libcrun", h)) as f:
            text = f.read()
        marked |= set(re.findall(r"LIBCRUN_PUBLIC [^;(]*?\b((?:libcrun|oci)_\w+) \(", text))
    r = subprocess.run(["nm", "-D", "--defined-only", os.path.join(pre, "lib/libcrun.so.0.1.0")],
                       capture_output=True, text=True, check=True)
    exported = {line.split()[-1] for line in r.stdout.splitlines() if line.split()[1] in "TDBRW"}
    assert len(marked) > 30, marked
    assert exported == marked, ("exported but not public", exported - marked, "public but missing",
                                marked - exported)


def test_embedder_built_with_pkg_config(installed, runtime, bundle, workdir):
    exe = os.path.join(workdir, "embed-create")
    run_env = build_against_installed(installed, os.path.join(REPO, "tests", "embed", "embed-create.c"), exe)
    ldd = subprocess.run(["ldd", exe], env=run_env, capture_output=True, text=True).stdout
    assert os.path.join(prefix_of(installed), "lib/libcrun.so.0") in ldd, ldd
    bundle.set_args("true")
    bundle.write()
    r = subprocess.run([exe, runtime.root, bundle.path, "embedded-1"], env=run_env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, (r.stdout, r.stderr)
    assert "ns pid" in r.stdout, r.stdout


def test_the_front_end_uses_only_the_public_api(installed, workdir):
    """src/ includes only crun.h and libcrun.h, and the crun binary links
    against the installed libcrun.so alone: a call of anything the shared
    library does not export would fail the link."""
    import glob
    for path in glob.glob(os.path.join(REPO, "src", "*.[ch]")):
        with open(path) as f:
            inc = set(re.findall(r'#include "([^"]+)"', f.read()))
        assert inc <= {"crun.h", "libcrun.h"}, (path, inc)
    pre = prefix_of(installed)
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.join(pre, "lib/pkgconfig"), PKG_CONFIG_SYSROOT_DIR=installed)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libcrun", "yajl", "libseccomp", "libcap"],
                           env=env, capture_output=True, text=True, check=True).stdout.split()
    exe = os.path.join(workdir, "crun-shared")
    # libcrun-init.c is the helper's own program (its main), not crun's
    srcs = sorted(p for p in glob.glob(os.path.join(REPO, "src", "*.c")) if not p.endswith("/libcrun-init.c"))
    # the installed headers only: src/ includes them as "libcrun.h"
    inc = os.path.join(pre, "include", "libcrun")
    r = subprocess.run(["gcc", "-D_GNU_SOURCE", '-DCRUN_VERSION="shared"', "-iquote", inc, "-Wl,--no-undefined",
                        "-o", exe, *srcs] + flags, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    r = subprocess.run([exe, "--version"], env=dict(os.environ, LD_LIBRARY_PATH=os.path.join(pre, "lib")),
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0 and "shared" in r.stdout, r
