#!/usr/bin/python3
"""Render a container seccomp profile (the JSON format Docker and podman take
with `--security-opt seccomp=FILE`) to the flat OCI `linux.seccomp` object of
config.json, for one capability set and one architecture.

    render.py PROFILE.json [--caps CAP_A,CAP_B] [--arch x86_64] [--kernel 6.18]
              [--drop-unknown] [--derive-strict]

Selection rules (those of Docker and podman):
  includes.caps      the rule applies only if ALL these capabilities are in
                     the set (give one rule per capability for "any of")
  includes.arches    ... only if the native architecture is one of these
  includes.minKernel ... only if the kernel (--kernel, default the running
                     one) is at least this version
  excludes.caps      the rule is dropped if ANY of these capabilities is in
                     the set
  excludes.arches    ... dropped if the native architecture is one of these
Architecture names in includes/excludes are Go's GOARCH names (amd64,
arm64, s390x, ...), as Docker and podman compare them with GOARCH; --arch
takes either that or the kernel's name (x86_64, aarch64, ...).
`architectures` is the archMap entry of the native architecture and its
sub-architectures.

A name given twice with the same action and no args is kept once (the
first time); a name given twice with different unconditional actions, or
both with and without args, is an error in the profile.  `comment` fields
are dropped (OCI has none).

--drop-unknown drops names the libseccomp of this host cannot resolve (the
runtime would skip them with a warning each time), and lists them on stderr.
--derive-strict prints, instead, the strict variant of the profile in the
profile format: clone3 answered with ENOSYS unless CAP_SYS_ADMIN (Docker's
behaviour).  strict.json is made with it.

Python 3 standard library only.
"""

import argparse
import ctypes
import ctypes.util
import json
import os
import sys

ENOSYS = 38

# kernel name -> Go name
GOARCH = {
    "x86_64": "amd64", "amd64": "amd64",
    "i386": "386", "i686": "386", "x86": "386", "386": "386",
    "aarch64": "arm64", "arm64": "arm64",
    "armv7l": "arm", "arm": "arm",
    "s390x": "s390x", "s390": "s390",
    "ppc64le": "ppc64le", "riscv64": "riscv64",
}
# Go name -> the SCMP_ARCH_ of the archMap entry
SCMP_ARCH = {
    "amd64": "SCMP_ARCH_X86_64", "386": "SCMP_ARCH_X86", "arm64": "SCMP_ARCH_AARCH64",
    "arm": "SCMP_ARCH_ARM", "s390x": "SCMP_ARCH_S390X", "s390": "SCMP_ARCH_S390",
    "ppc64le": "SCMP_ARCH_PPC64LE", "riscv64": "SCMP_ARCH_RISCV64",
}

STRICT_CLONE3 = [
    {
        "names": ["clone3"],
        "action": "SCMP_ACT_ALLOW",
        "includes": {"caps": ["CAP_SYS_ADMIN"]},
        "comment": "clone3 with CAP_SYS_ADMIN: allowed",
    },
    {
        "names": ["clone3"],
        "action": "SCMP_ACT_ERRNO",
        "errnoRet": ENOSYS,
        "excludes": {"caps": ["CAP_SYS_ADMIN"]},
        "comment": "strict: clone3 answers ENOSYS without CAP_SYS_ADMIN (Docker's behaviour), so glibc "
                   "falls back to clone, whose flags the clone rules above can check; CLONE_AUTOREAP "
                   "and the other clone3-only flags are then unavailable in the container",
    },
]


class ProfileError(Exception):
    pass


def kernel_version(s):
    parts = []
    for p in s.split("-")[0].split(".")[:3]:
        digits = "".join(c for c in p if c.isdigit()) if p else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def norm_cap(c):
    c = c.strip().upper()
    if not c:
        return None
    return c if c.startswith("CAP_") else "CAP_" + c


def selected(rule, caps, goarch, kernel):
    inc = rule.get("includes") or {}
    exc = rule.get("excludes") or {}
    for c in inc.get("caps") or []:
        if c not in caps:
            return False
    if inc.get("arches") and goarch not in inc["arches"]:
        return False
    if inc.get("minKernel") and kernel < kernel_version(inc["minKernel"]):
        return False
    for c in exc.get("caps") or []:
        if c in caps:
            return False
    if exc.get("arches") and goarch in exc["arches"]:
        return False
    return True


def libseccomp_resolver():
    name = ctypes.util.find_library("seccomp") or "libseccomp.so.2"
    try:
        lib = ctypes.CDLL(name)
    except OSError as e:
        raise ProfileError("--drop-unknown: cannot load libseccomp (%s)" % e)
    f = lib.seccomp_syscall_resolve_name
    f.argtypes = [ctypes.c_char_p]
    f.restype = ctypes.c_int
    return lambda n: f(n.encode()) != -1  # __NR_SCMP_ERROR


def architectures(profile, goarch):
    want = SCMP_ARCH.get(goarch)
    for entry in profile.get("archMap") or []:
        if entry.get("architecture") == want:
            return [want] + list(entry.get("subArchitectures") or [])
    if profile.get("architectures"):
        return list(profile["architectures"])
    raise ProfileError("no archMap entry for %s (%s)" % (goarch, want))


def render(profile, caps, goarch, kernel, known=None, dropped=None):
    out = {"defaultAction": profile["defaultAction"]}
    if "defaultErrnoRet" in profile:
        out["defaultErrnoRet"] = profile["defaultErrnoRet"]
    out["architectures"] = architectures(profile, goarch)
    if profile.get("flags"):
        out["flags"] = list(profile["flags"])
    seen = {}  # name -> (action, errnoRet, has args)
    syscalls = []
    for i, rule in enumerate(profile.get("syscalls") or []):
        if not selected(rule, caps, goarch, kernel):
            continue
        names = rule.get("names") or ([rule["name"]] if rule.get("name") else [])
        action, errno_ret = rule["action"], rule.get("errnoRet")
        args = rule.get("args") or []
        key = (action, errno_ret, bool(args))
        keep = []
        for n in names:
            if known is not None and not known(n):
                if dropped is not None and n not in dropped:
                    dropped.append(n)
                continue
            prev = seen.get(n)
            if prev is not None:
                if prev != key or args:
                    if not args and not prev[2]:
                        raise ProfileError("syscalls[%d]: `%s` already has the unconditional action %s%s"
                                           % (i, n, prev[0], "" if prev[1] is None else " (errno %d)" % prev[1]))
                    if bool(args) != prev[2]:
                        raise ProfileError("syscalls[%d]: `%s` has rules both with and without args" % (i, n))
                    keep.append(n)
                continue
            seen[n] = key
            keep.append(n)
        if not keep:
            continue
        r = {"names": keep, "action": action}
        if errno_ret is not None:
            r["errnoRet"] = errno_ret
        if args:
            r["args"] = [{k: a[k] for k in ("index", "value", "valueTwo", "op") if k in a} for a in args]
        syscalls.append(r)
    out["syscalls"] = syscalls
    return out


def derive_strict(profile):
    """The profile with its clone3 rules replaced by STRICT_CLONE3, at the
    place of the first one."""
    res = {k: v for k, v in profile.items() if k != "syscalls"}
    rules, placed = [], False
    for rule in profile["syscalls"]:
        names = rule.get("names") or []
        if "clone3" not in names:
            rules.append(rule)
            continue
        rest = [n for n in names if n != "clone3"]
        if rest:
            rules.append(dict(rule, names=rest))
        if not placed:
            rules.extend(STRICT_CLONE3)
            placed = True
    if not placed:
        rules.extend(STRICT_CLONE3)
    res["syscalls"] = rules
    return res


def dump_profile(profile):
    """The profile in the layout of default.json: one line per key, names
    wrapped."""
    order = ["names", "action", "errnoRet", "args", "includes", "excludes", "comment"]

    def rule_text(r):
        lines = []
        for k, v in sorted(r.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else len(order)):
            if k == "names":
                rows, cur = [], ""
                for w in (json.dumps(n) for n in v):
                    if cur and len(cur) + len(w) + 2 > 92:
                        rows.append(cur + ",")
                        cur = ""
                    cur = (cur + ", " + w) if cur else w
                rows.append(cur)
                lines.append('      "names": [\n' + "\n".join("        " + x for x in rows) + "\n      ]")
            else:
                lines.append("      %s: %s" % (json.dumps(k), json.dumps(v)))
        return "    {\n" + ",\n".join(lines) + "\n    }"

    out = ["{"]
    for k, v in profile.items():
        if k == "syscalls":
            continue
        if k == "archMap":
            out.append('  "archMap": [\n' + ",\n".join("    " + json.dumps(a) for a in v) + "\n  ],")
        else:
            out.append("  %s: %s," % (json.dumps(k), json.dumps(v)))
    out.append('  "syscalls": [\n' + ",\n".join(rule_text(r) for r in profile["syscalls"]) + "\n  ]")
    out.append("}")
    text = "\n".join(out) + "\n"
    assert json.loads(text) == profile
    return text


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("profile")
    ap.add_argument("--caps", default="", help="comma-separated capabilities (the bounding set); default none")
    ap.add_argument("--arch", default=os.uname().machine, help="native architecture (default: this machine's)")
    ap.add_argument("--kernel", default=os.uname().release, help="kernel version for includes.minKernel")
    ap.add_argument("--drop-unknown", action="store_true",
                    help="drop names this host's libseccomp does not know (listed on stderr)")
    ap.add_argument("--derive-strict", action="store_true",
                    help="print the strict variant of PROFILE (profile format) instead")
    a = ap.parse_args(argv)
    try:
        with open(a.profile) as f:
            profile = json.load(f)
        if a.derive_strict:
            sys.stdout.write(dump_profile(derive_strict(profile)))
            return 0
        goarch = GOARCH.get(a.arch)
        if goarch is None:
            raise ProfileError("unknown architecture `%s`" % a.arch)
        caps = {c for c in (norm_cap(x) for x in a.caps.split(",")) if c}
        known = libseccomp_resolver() if a.drop_unknown else None
        dropped = []
        res = render(profile, caps, goarch, kernel_version(a.kernel), known, dropped)
    except (OSError, ValueError, KeyError, ProfileError) as e:
        print("render.py: %s: %s" % (a.profile, e), file=sys.stderr)
        return 1
    if dropped:
        print("render.py: dropped, unknown to this libseccomp: %s" % " ".join(dropped), file=sys.stderr)
    json.dump(res, sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
