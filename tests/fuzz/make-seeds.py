#!/usr/bin/python3
"""Write the generated seeds of the fuzz corpus into DIR: texts too large
to keep in the repository, deep and wide.
    make-seeds.py DIR
"""
import json
import os
import sys

if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
    # `make-seeds.py --help` once made a directory named --help
    sys.exit("usage: make-seeds.py DIR")
d = sys.argv[1]
base = json.load(open(os.path.join(os.path.dirname(__file__), "corpus", "spec.json")))
text = json.dumps(base)


def member(name, value):
    """base with one more member; its value given as JSON text."""
    return text[:-1] + ', "%s": %s}' % (name, value)


seeds = {
    # past the depth limit (JSON_MAX_DEPTH, 1000) and far past it (the bug)
    "deep-1001.json": member("x", "[" * 1001 + "]" * 1001),
    "deep-300000.json": member("x", "[" * 300000 + "]" * 300000),
    "deep-objects.json": member("x", '{"a":' * 5000 + "1" + "}" * 5000),
    # wide: many members and elements where the parser keeps arrays
    "wide-env.json": text.replace('"env": [', '"env": [' + ", ".join('"V%d=x"' % i for i in range(20000)) + ", ", 1),
    "wide-mounts.json": member("mounts", json.dumps([{"destination": "/m%d" % i, "type": "tmpfs", "source": "tmpfs"} for i in range(5000)])),
    # the mount words of crun and the runtime spec 1.1 mount mappings
    "mount-options.json": member("mounts", json.dumps([
        {"destination": "/a", "type": "bind", "source": "/tmp",
         "options": ["rbind", "rro", "rnoatime", "ridmap", "idmap=uids=0-1000-10#10-2000-5;gids=0-1000-10",
                     "src-nofollow", "dest-nofollow", "copy-symlink"],
         "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}],
         "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 10}]},
        {"destination": "/b", "type": "tmpfs", "source": "tmpfs", "options": ["tmpcopyup", "mode=755", "rsync"]}])),
    # process.scheduler, process.ioPriority and linux.memoryPolicy, and crun's annotations
    "process-attrs.json": json.dumps(dict(
        base,
        process=dict(base["process"],
                     scheduler={"policy": "SCHED_DEADLINE", "runtime": 1000000, "deadline": 2000000,
                                "period": 2000000, "flags": ["SCHED_FLAG_RECLAIM"]},
                     ioPriority={"class": "IOPRIO_CLASS_BE", "priority": 4}),
        annotations={"run.oci.timens_offset": "monotonic 5 7", "run.oci.keep_original_groups": "1"},
        linux=dict(base.get("linux", {}),
                   memoryPolicy={"mode": "MPOL_BIND", "nodes": "0-3,7,1000-1023", "flags": ["MPOL_F_STATIC_NODES"]}))),
    "wide-annotations.json": member("annotations", json.dumps({"k%d" % i: "v" * 50 for i in range(20000)})),
}
os.makedirs(d, exist_ok=True)
for name, t in seeds.items():
    with open(os.path.join(d, name), "w") as f:
        f.write(t)
