#!/bin/bash
# The main job, from a fresh Debian 12 machine as root: install what is
# missing, build crun, make a busybox bundle, and run a container whose OCI
# hooks are spawned in autoreap mode (annotation run.oci.autoreap=1).  The
# debug log shows which spawner rung this kernel gives; the hooks' log shows
# the state each hook received on stdin.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

bash contrib/install-deps.sh
bash contrib/build.sh
bash tests/make-rootfs.sh "$top/tests/build/rootfs" >/dev/null

work=$(mktemp -d /tmp/crun-demo.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bundle"
cp -a "$top/tests/build/rootfs" "$work/bundle/rootfs"
cat > "$work/hook.sh" <<'HOOK'
#!/bin/sh
# An OCI hook: append the stage and the state JSON from stdin to the log.
printf '%s: %s\n' "$1" "$(cat)" >> "$HOOK_LOG"
HOOK
chmod +x "$work/hook.sh"

"$top/crun" spec --bundle "$work/bundle"
/usr/bin/python3 - "$work" <<'PY'
import json, sys
work = sys.argv[1]
path = f"{work}/bundle/config.json"
c = json.load(open(path))
c["process"]["terminal"] = False
c["process"]["args"] = ["sh", "-c", "echo hello from $(hostname), pid $$"]
env = [f"HOOK_LOG={work}/hooks.log", "PATH=/usr/bin:/bin"]
c["hooks"] = {stage: [{"path": f"{work}/hook.sh", "args": ["hook.sh", stage], "env": env, "timeout": 10}]
              for stage in ["prestart", "createRuntime", "poststart", "poststop"]}
c["annotations"] = {"run.oci.autoreap": "1"}
json.dump(c, open(path, "w"), indent=2)
PY

echo "== crun run (run.oci.autoreap=1), debug log:"
"$top/crun" --debug --root "$work/state" run --bundle "$work/bundle" demo 2>&1 | grep -v "ambient capability"
echo "== hooks, in the order they ran, with the state they got on stdin:"
cat "$work/hooks.log"
echo "== features:"
"$top/crun" features | grep '"run.oci.autoreap'
