/* Unit tests of the config.json parser (libcrun/config.c) and of the default
 * spec generator (libcrun/spec.c). */
#include "tap.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sched.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>

#include "config.h"
#include "spec.h"
#include "utils.h"

#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

#define ORIGIN "/b/config.json"

/* A configuration that uses every field the parser knows. */
static const char full_config[]
    = "{\n"
      "  \"ociVersion\": \"1.2.0\",\n"
      "  \"unknownTopLevel\": {\"ignored\": [1, 2]},\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"consoleSize\": {\"height\": 25, \"width\": 80},\n"
      "    \"user\": {\"uid\": 1000, \"gid\": 1001, \"umask\": 18,\n"
      "             \"additionalGids\": [5, 6, 7], \"username\": "
      "\"alice\"},\n"
      "    \"args\": [\"/bin/sh\", \"-c\", \"echo hi\"],\n"
      "    \"env\": [\"PATH=/bin\", \"TERM=xterm\"],\n"
      "    \"cwd\": \"/home/alice\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\"],\n"
      "      \"effective\": [\"CAP_KILL\"],\n"
      "      \"inheritable\": [],\n"
      "      \"permitted\": [\"CAP_KILL\"],\n"
      "      \"ambient\": [\"CAP_CHOWN\"]\n"
      "    },\n"
      "    \"rlimits\": [\n"
      "      {\"type\": \"RLIMIT_NOFILE\", \"hard\": 4096, \"soft\": "
      "1024},\n"
      "      {\"type\": \"RLIMIT_CORE\", \"hard\": "
      "18446744073709551615, \"soft\": 0}\n"
      "    ],\n"
      "    \"noNewPrivileges\": true,\n"
      "    \"oomScoreAdj\": -500,\n"
      "    \"apparmorProfile\": \"myprofile\",\n"
      "    \"selinuxLabel\": \"system_u:system_r:container_t:s0\"\n"
      "  },\n"
      "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
      "  \"hostname\": \"box\",\n"
      "  \"domainname\": \"example.org\",\n"
      "  \"mounts\": [\n"
      "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": "
      "\"proc\"},\n"
      "    {\"destination\": \"/data\", \"source\": \"/srv/data\",\n"
      "     \"options\": [\"rbind\", \"ro\"]}\n"
      "  ],\n"
      "  \"hooks\": {\n"
      "    \"prestart\": [{\"path\": \"/usr/bin/pre\", \"args\": "
      "[\"pre\", \"x\"],\n"
      "                   \"env\": [\"A=1\"], \"timeout\": 5}],\n"
      "    \"createRuntime\": [{\"path\": \"/bin/cr\"}],\n"
      "    \"createContainer\": [{\"path\": \"/bin/cc\"}],\n"
      "    \"startContainer\": [{\"path\": \"/bin/sc\"}],\n"
      "    \"poststart\": [{\"path\": \"/bin/ps1\"}, {\"path\": "
      "\"/bin/ps2\"}],\n"
      "    \"poststop\": [{\"path\": \"/bin/pst\", \"timeout\": 1}]\n"
      "  },\n"
      "  \"annotations\": {\"io.example.key\": \"value\", \"other\": "
      "\"\"},\n"
      "  \"linux\": {\n"
      "    \"namespaces\": [\n"
      "      {\"type\": \"pid\"}, {\"type\": \"network\", \"path\": "
      "\"/run/netns/x\"},\n"
      "      {\"type\": \"mount\"}, {\"type\": \"ipc\"}, {\"type\": "
      "\"uts\"},\n"
      "      {\"type\": \"user\"}, {\"type\": \"cgroup\"}, {\"type\": "
      "\"time\"}\n"
      "    ],\n"
      "    \"uidMappings\": [{\"containerID\": 0, \"hostID\": 100000, "
      "\"size\": 65536}],\n"
      "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": 200000, "
      "\"size\": 1},\n"
      "                    {\"containerID\": 1, \"hostID\": 300000, "
      "\"size\": 10}],\n"
      "    \"devices\": [\n"
      "      {\"type\": \"c\", \"path\": \"/dev/fuse\", \"major\": 10, "
      "\"minor\": 229,\n"
      "       \"fileMode\": 438, \"uid\": 0, \"gid\": 0},\n"
      "      {\"type\": \"p\", \"path\": \"/dev/fifo\"}\n"
      "    ],\n"
      "    \"cgroupsPath\": \"/machine/c1\",\n"
      "    \"resources\": {\n"
      "      \"devices\": [{\"allow\": false, \"access\": \"rwm\"}],\n"
      "      \"memory\": {\"limit\": 536870912, \"swappiness\": 0},\n"
      "      \"cpu\": {\"shares\": 1024, \"quota\": -1, \"cpus\": "
      "\"0-1\"},\n"
      "      \"pids\": {\"limit\": 100},\n"
      "      \"unified\": {\"memory.high\": \"max\"}\n"
      "    },\n"
      "    \"sysctl\": {\"net.ipv4.ip_forward\": \"1\"},\n"
      "    \"seccomp\": {\n"
      "      \"defaultAction\": \"SCMP_ACT_ERRNO\",\n"
      "      \"defaultErrnoRet\": 38,\n"
      "      \"architectures\": [\"SCMP_ARCH_X86_64\"],\n"
      "      \"flags\": [\"SECCOMP_FILTER_FLAG_LOG\"],\n"
      "      \"listenerPath\": \"/run/listener.sock\",\n"
      "      \"listenerMetadata\": \"meta\",\n"
      "      \"syscalls\": [\n"
      "        {\"names\": [\"read\", \"write\"], \"action\": "
      "\"SCMP_ACT_ALLOW\"},\n"
      "        {\"names\": [\"personality\"], \"action\": "
      "\"SCMP_ACT_ERRNO\", \"errnoRet\": 1,\n"
      "         \"args\": [{\"index\": 0, \"value\": 8, \"valueTwo\": "
      "255, \"op\": \"SCMP_CMP_MASKED_EQ\"}]}\n"
      "      ]\n"
      "    },\n"
      "    \"rootfsPropagation\": \"rslave\",\n"
      "    \"maskedPaths\": [\"/proc/kcore\"],\n"
      "    \"readonlyPaths\": [\"/proc/sys\", \"/proc/bus\"],\n"
      "    \"mountLabel\": \"system_u:object_r:container_file_t:s0\",\n"
      "    \"timeOffsets\": {\"monotonic\": {\"secs\": -10, "
      "\"nanosecs\": 500},\n"
      "                    \"boottime\": {\"secs\": 86400}}\n"
      "  }\n"
      "}\n";

static bool
streq (const char *a, const char *b)
{
  return a && b && strcmp (a, b) == 0;
}

static bool
strv_is (char *const *v, const char *const *expected)
{
  size_t i;
  if (v == NULL)
    return false;
  for (i = 0; expected[i]; i++)
    if (!streq (v[i], expected[i]))
      return false;
  return v[i] == NULL;
}

static void
test_full_config (void)
{
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  struct oci_process *p;
  struct oci_linux *l;
  struct oci_seccomp *s;
  yajl_val v;
  const char *path_pids[] = { "pids", "limit", NULL };

  tap_require (libcrun_config_load_string (full_config, ORIGIN, &c, &err) == 0, "parse: %s",
               err ? err->msg : "?");
  tap_check (err == NULL, "no error on success");
  tap_check (streq (c->oci_version, "1.2.0"), "ociVersion");

  p = c->process;
  tap_require (p != NULL, "process");
  tap_check (p->terminal, "terminal");
  tap_check (p->has_console_size && p->console_height == 25 && p->console_width == 80,
             "consoleSize");
  tap_check (p->user.uid == 1000 && p->user.gid == 1001, "uid/gid");
  tap_check (p->user.has_umask && p->user.umask == 18, "umask");
  tap_check (p->user.n_additional_gids == 3 && p->user.additional_gids[0] == 5
                 && p->user.additional_gids[2] == 7,
             "additionalGids");
  tap_check (streq (p->user.username, "alice"), "username");
  tap_check (strv_is (p->args, (const char *[]){ "/bin/sh", "-c", "echo hi", NULL }), "args");
  tap_check (strv_is (p->env, (const char *[]){ "PATH=/bin", "TERM=xterm", NULL }), "env");
  tap_check (streq (p->cwd, "/home/alice"), "cwd");
  tap_require (p->capabilities != NULL, "capabilities");
  tap_check (strv_is (p->capabilities->bounding, (const char *[]){ "CAP_KILL", "CAP_CHOWN", NULL }),
             "bounding");
  tap_check (strv_is (p->capabilities->effective, (const char *[]){ "CAP_KILL", NULL }),
             "effective");
  tap_check (p->capabilities->inheritable && p->capabilities->inheritable[0] == NULL,
             "empty inheritable is an empty vector");
  tap_check (strv_is (p->capabilities->permitted, (const char *[]){ "CAP_KILL", NULL }),
             "permitted");
  tap_check (strv_is (p->capabilities->ambient, (const char *[]){ "CAP_CHOWN", NULL }), "ambient");
  tap_require (p->n_rlimits == 2, "two rlimits");
  tap_check (streq (p->rlimits[0].type, "RLIMIT_NOFILE") && p->rlimits[0].resource == RLIMIT_NOFILE
                 && p->rlimits[0].hard == 4096 && p->rlimits[0].soft == 1024,
             "rlimit 0");
  tap_check (p->rlimits[1].resource == RLIMIT_CORE && p->rlimits[1].hard == UINT64_MAX
                 && p->rlimits[1].soft == 0,
             "rlimit 1 with 2^64-1");
  tap_check (p->no_new_privileges, "noNewPrivileges");
  tap_check (p->has_oom_score_adj && p->oom_score_adj == -500, "oomScoreAdj");
  tap_check (streq (p->apparmor_profile, "myprofile"), "apparmorProfile");
  tap_check (streq (p->selinux_label, "system_u:system_r:container_t:s0"), "selinuxLabel");

  tap_check (streq (c->root_path, "rootfs") && c->root_readonly, "root");
  tap_check (streq (c->hostname, "box"), "hostname");
  tap_check (streq (c->domainname, "example.org"), "domainname");

  tap_require (c->n_mounts == 2, "two mounts");
  tap_check (streq (c->mounts[0].destination, "/proc") && streq (c->mounts[0].type, "proc")
                 && streq (c->mounts[0].source, "proc") && c->mounts[0].options == NULL,
             "mount 0");
  tap_check (streq (c->mounts[1].destination, "/data") && c->mounts[1].type == NULL
                 && streq (c->mounts[1].source, "/srv/data")
                 && strv_is (c->mounts[1].options, (const char *[]){ "rbind", "ro", NULL }),
             "mount 1 (bind, no type)");

  tap_require (c->n_hooks[OCI_HOOK_PRESTART] == 1, "prestart hook");
  tap_check (
      streq (c->hooks[OCI_HOOK_PRESTART][0].path, "/usr/bin/pre")
          && strv_is (c->hooks[OCI_HOOK_PRESTART][0].args, (const char *[]){ "pre", "x", NULL })
          && strv_is (c->hooks[OCI_HOOK_PRESTART][0].env, (const char *[]){ "A=1", NULL })
          && c->hooks[OCI_HOOK_PRESTART][0].has_timeout
          && c->hooks[OCI_HOOK_PRESTART][0].timeout == 5,
      "prestart hook fields");
  tap_check (c->n_hooks[OCI_HOOK_CREATE_RUNTIME] == 1
                 && streq (c->hooks[OCI_HOOK_CREATE_RUNTIME][0].path, "/bin/cr")
                 && !c->hooks[OCI_HOOK_CREATE_RUNTIME][0].has_timeout,
             "createRuntime");
  tap_check (c->n_hooks[OCI_HOOK_CREATE_CONTAINER] == 1
                 && streq (c->hooks[OCI_HOOK_CREATE_CONTAINER][0].path, "/bin/cc"),
             "createContainer");
  tap_check (c->n_hooks[OCI_HOOK_START_CONTAINER] == 1
                 && streq (c->hooks[OCI_HOOK_START_CONTAINER][0].path, "/bin/sc"),
             "startContainer");
  tap_check (c->n_hooks[OCI_HOOK_POSTSTART] == 2
                 && streq (c->hooks[OCI_HOOK_POSTSTART][1].path, "/bin/ps2"),
             "poststart");
  tap_check (c->n_hooks[OCI_HOOK_POSTSTOP] == 1 && c->hooks[OCI_HOOK_POSTSTOP][0].timeout == 1,
             "poststop");

  tap_check (c->n_annotations == 2, "two annotations");
  tap_check (streq (oci_config_annotation (c, "io.example.key"), "value"), "annotation lookup");
  tap_check (streq (oci_config_annotation (c, "other"), ""), "empty annotation value");
  tap_check (oci_config_annotation (c, "missing") == NULL, "missing annotation");

  l = c->linux_cfg;
  tap_require (l != NULL, "linux");
  tap_require (l->n_namespaces == 8, "eight namespaces");
  tap_check (l->namespaces[0].type == CLONE_NEWPID && l->namespaces[0].path == NULL, "pid ns");
  tap_check (l->namespaces[1].type == CLONE_NEWNET && streq (l->namespaces[1].path, "/run/netns/x"),
             "network ns with path");
  tap_check (l->namespaces[2].type == CLONE_NEWNS && l->namespaces[3].type == CLONE_NEWIPC
                 && l->namespaces[4].type == CLONE_NEWUTS && l->namespaces[5].type == CLONE_NEWUSER
                 && l->namespaces[6].type == CLONE_NEWCGROUP
                 && l->namespaces[7].type == CLONE_NEWTIME,
             "other namespace types");
  tap_check (oci_config_namespace (c, CLONE_NEWNET) == &l->namespaces[1], "namespace lookup");
  tap_check (l->n_uid_mappings == 1 && l->uid_mappings[0].container_id == 0
                 && l->uid_mappings[0].host_id == 100000 && l->uid_mappings[0].size == 65536,
             "uidMappings");
  tap_check (l->n_gid_mappings == 2 && l->gid_mappings[1].container_id == 1
                 && l->gid_mappings[1].host_id == 300000 && l->gid_mappings[1].size == 10,
             "gidMappings");
  tap_require (l->n_devices == 2, "two devices");
  tap_check (l->devices[0].type == 'c' && streq (l->devices[0].path, "/dev/fuse")
                 && l->devices[0].major == 10 && l->devices[0].minor == 229
                 && l->devices[0].has_file_mode && l->devices[0].file_mode == 0666
                 && l->devices[0].has_uid && l->devices[0].uid == 0 && l->devices[0].has_gid
                 && l->devices[0].gid == 0,
             "device 0");
  tap_check (l->devices[1].type == 'p' && !l->devices[1].has_file_mode && !l->devices[1].has_uid,
             "fifo device without numbers");
  tap_check (streq (l->cgroups_path, "/machine/c1"), "cgroupsPath");
  tap_require (l->resources != NULL && YAJL_IS_OBJECT (l->resources), "resources kept");
  v = yajl_tree_get (l->resources, path_pids, yajl_t_number);
  tap_check (v != NULL && YAJL_GET_INTEGER (v) == 100, "resources subtree readable");
  tap_check (l->n_sysctl == 1 && streq (l->sysctl[0].key, "net.ipv4.ip_forward")
                 && streq (l->sysctl[0].value, "1"),
             "sysctl");

  s = l->seccomp;
  tap_require (s != NULL, "seccomp");
  tap_check (streq (s->default_action, "SCMP_ACT_ERRNO") && s->has_default_errno_ret
                 && s->default_errno_ret == 38,
             "seccomp default");
  tap_check (strv_is (s->architectures, (const char *[]){ "SCMP_ARCH_X86_64", NULL }),
             "architectures");
  tap_check (strv_is (s->flags, (const char *[]){ "SECCOMP_FILTER_FLAG_LOG", NULL }), "flags");
  tap_check (streq (s->listener_path, "/run/listener.sock") && streq (s->listener_metadata, "meta"),
             "listener");
  tap_require (s->n_syscalls == 2, "two syscall rules");
  tap_check (strv_is (s->syscalls[0].names, (const char *[]){ "read", "write", NULL })
                 && streq (s->syscalls[0].action, "SCMP_ACT_ALLOW") && !s->syscalls[0].has_errno_ret
                 && s->syscalls[0].n_args == 0,
             "syscall rule 0");
  tap_check (s->syscalls[1].has_errno_ret && s->syscalls[1].errno_ret == 1
                 && s->syscalls[1].n_args == 1 && s->syscalls[1].args[0].index == 0
                 && s->syscalls[1].args[0].value == 8 && s->syscalls[1].args[0].value_two == 255
                 && streq (s->syscalls[1].args[0].op, "SCMP_CMP_MASKED_EQ"),
             "syscall rule 1 with args");

  tap_check (streq (l->rootfs_propagation, "rslave"), "rootfsPropagation");
  tap_check (strv_is (l->masked_paths, (const char *[]){ "/proc/kcore", NULL }), "maskedPaths");
  tap_check (strv_is (l->readonly_paths, (const char *[]){ "/proc/sys", "/proc/bus", NULL }),
             "readonlyPaths");
  tap_check (streq (l->mount_label, "system_u:object_r:container_file_t:s0"), "mountLabel");
  tap_check (l->time_monotonic.present && l->time_monotonic.secs == -10
                 && l->time_monotonic.nanosecs == 500,
             "monotonic offset");
  tap_check (l->time_boottime.present && l->time_boottime.secs == 86400
                 && l->time_boottime.nanosecs == 0,
             "boottime offset");

  libcrun_config_free (c);
}

static void
test_minimal_config (void)
{
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;

  tap_require (libcrun_config_load_string ("{\"ociVersion\": \"1.0.2\", \"hostname\": null}",
                                           ORIGIN, &c, &err)
                   == 0,
               "parse: %s", err ? err->msg : "?");
  tap_check (c->process == NULL && c->root_path == NULL && c->linux_cfg == NULL && c->mounts == NULL
                 && c->n_mounts == 0 && c->annotations == NULL,
             "absent sections stay empty");
  tap_check (c->hostname == NULL, "null is treated as absent");
  tap_check (oci_config_namespace (c, CLONE_NEWPID) == NULL, "no namespace without linux");
  libcrun_config_free (c);
  libcrun_config_free (NULL);
}

/* Load json and expect a failure whose message contains every fragment. */
static void
expect_error_impl (const char *json, const char *const *fragments, int line)
{
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  size_t i;
  int ret = libcrun_config_load_string (json, ORIGIN, &c, &err);

  tap_check (ret < 0, "line %d: parse should fail", line);
  if (ret >= 0)
    {
      libcrun_config_free (c);
      return;
    }
  tap_check (c == NULL, "line %d: no config on failure", line);
  tap_require (err != NULL && err->msg != NULL, "line %d: an error is set", line);
  for (i = 0; fragments[i]; i++)
    tap_check (strstr (err->msg, fragments[i]) != NULL, "line %d: `%s` not in: %s", line,
               fragments[i], err->msg);
  libcrun_error_release (&err);
  tap_check (err == NULL, "released");
}

#define expect_error(json, ...)                                                                    \
  expect_error_impl (json, (const char *const[]){ __VA_ARGS__, NULL }, __LINE__)

/* A process whose args, user and cwd are valid, to embed in error cases. */
#define OKPROC "\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"], \"cwd\": \"/\""

static void
test_syntax_errors (void)
{
  expect_error ("{\n  \"ociVersion\": \"1.0.0\",\n  \"hostname\": \"x\" \"y\"\n}\n",
                "`" ORIGIN "`: line 3, column 19: parse error");
  expect_error ("{\"a\": [1, 2}", "line 1, column 12");
  expect_error ("{\"a\": 1 234}", "line 1, column 9", "after key and value");
  expect_error ("{\n  \"a\": [1 {}]}", "line 2, column 11", "after array element");
  expect_error ("{\"a\" 1}", "line 1, column 6", "separated by a colon");
  expect_error ("{\"a\": \"b\\q\"}", "line 1, column 9", "lexical error");
  expect_error ("// comments are allowed, as in yajl_tree_parse\n{\"a\": x}", "line 2, column 7");
  expect_error ("{\n\t\"ociVersion\": tru\n}", "line 2, column", "lexical error");
  expect_error ("{\"ociVersion\": \"1.0.0\"", "line 1, column 23", "premature EOF");
  expect_error ("", "line 1, column 1");
  expect_error ("{} x", "line 1, column 4", "trailing garbage");
  expect_error ("[1, 2]", "expected a JSON object at the top level");
}

static void
test_type_errors (void)
{
  expect_error ("{}", "`" ORIGIN "`: `ociVersion`: required field is missing");
  expect_error ("{\"ociVersion\": 1}", "`ociVersion`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": \"0\", \"gid\": 0}, "
                "\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`" ORIGIN "`: `process.user.uid`: expected a non-negative integer");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": -1, \"gid\": 0}, "
                "\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`process.user.uid`: expected a non-negative integer");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 1.5, \"gid\": 0}, "
                "\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`process.user.uid`: expected a non-negative integer");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 4294967295, \"gid\": "
                "0}, \"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`process.user.uid`: value 4294967295 is out of range");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0}, "
                "\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`process.user.gid`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\"}}",
                "`process.user`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC ", \"terminal\": \"yes\"}}",
                "`process.terminal`: expected a boolean");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, "
                "\"args\": [\"sh\", 3], \"cwd\": \"/\"}}",
                "`process.args[1]`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC ", \"oomScoreAdj\": 2000}}",
                "`process.oomScoreAdj`: value 2000 is out of range");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC
                ", \"capabilities\": {\"bounding\": \"CAP_KILL\"}}}",
                "`process.capabilities.bounding`: expected an array of strings");
  expect_error ("{\"ociVersion\": \"1\", \"mounts\": {}}", "`mounts`: expected an array");
  expect_error ("{\"ociVersion\": \"1\", \"mounts\": [{\"destination\": \"/a\"}, 7]}",
                "`mounts[1]`: expected an object");
  expect_error ("{\"ociVersion\": \"1\", \"mounts\": [{\"destination\": \"/a\", \"options\": "
                "[\"ro\", null]}]}",
                "`mounts[0].options[1]`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"root\": {}}", "`root.path`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"root\": {\"path\": \"r\", \"readonly\": 1}}",
                "`root.readonly`: expected a boolean");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"uidMappings\": [{\"containerID\": 0, "
                "\"hostID\": 1000}]}}",
                "`linux.uidMappings[0].size`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"resources\": {\"memory\": {\"limit\": "
                "\"1G\"}}}}",
                "`linux.resources.memory.limit`: expected an integer");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"resources\": {\"devices\": [{\"access\": "
                "\"rwm\"}]}}}",
                "`linux.resources.devices[0].allow`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"sysctl\": {\"net.core.somaxconn\": 1024}}}",
                "`linux.sysctl[\"net.core.somaxconn\"]`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"seccomp\": {\"defaultAction\": "
                "\"SCMP_ACT_ALLOW\", \"syscalls\": [{\"names\": [\"read\"], \"action\": "
                "\"SCMP_ACT_ERRNO\", \"args\": [{\"index\": 6, \"value\": 1, \"op\": "
                "\"SCMP_CMP_EQ\"}]}]}}}",
                "`linux.seccomp.syscalls[0].args[0].index`: value 6 is out of range");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"seccomp\": {}}}",
                "`linux.seccomp.defaultAction`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"timeOffsets\": {\"boottime\": "
                "{\"nanosecs\": 1000000000}}}}",
                "`linux.timeOffsets.boottime.nanosecs`: value 1000000000 is out of range");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"rootfsPropagation\": \"sideways\"}}",
                "`linux.rootfsPropagation`: unknown propagation `sideways`");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": []}", "`linux`: expected an object");
}

static void
test_semantic_errors (void)
{
  expect_error ("{\"ociVersion\": \"1\", \"mounts\": [{\"destination\": \"/a\"}, {\"destination\": "
                "\"/b\"}, {\"destination\": \"tmp\"}]}",
                "`" ORIGIN "`: `mounts[2].destination`: must be an absolute path");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, "
                "\"args\": [\"sh\"], \"cwd\": \"home\"}}",
                "`process.cwd`: must be an absolute path");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, "
                "\"args\": [\"sh\"]}}",
                "`process.cwd`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, "
                "\"args\": [], \"cwd\": \"/\"}}",
                "`process.args`: must not be empty");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {\"user\": {\"uid\": 0, \"gid\": 0}, "
                "\"cwd\": \"/\"}}",
                "`process.args`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, "
                "{\"type\": \"foo\"}]}}",
                "`linux.namespaces[1].type`: unknown namespace type `foo`");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, "
                "{\"type\": \"mount\"}, {\"type\": \"pid\"}]}}",
                "`linux.namespaces[2].type`: duplicate namespace type `pid`");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC
                ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1}, "
                "{\"type\": \"RLIMIT_FOO\", \"hard\": 1, \"soft\": 1}]}}",
                "`process.rlimits[1].type`: unknown rlimit `RLIMIT_FOO`");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC
                ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 1}, "
                "{\"type\": \"RLIMIT_NOFILE\", \"hard\": 2, \"soft\": 2}]}}",
                "`process.rlimits[1].type`: duplicate rlimit `RLIMIT_NOFILE`");
  expect_error ("{\"ociVersion\": \"1\", \"process\": {" OKPROC
                ", \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1, \"soft\": 2}]}}",
                "`process.rlimits[0].soft`: must not be greater than hard");
  expect_error ("{\"ociVersion\": \"1\", \"hooks\": {\"prestart\": [{\"path\": \"/bin/true\", "
                "\"timeout\": 0}]}}",
                "`hooks.prestart[0].timeout`: must be greater than zero");
  expect_error ("{\"ociVersion\": \"1\", \"hooks\": {\"poststop\": [{\"path\": \"/bin/true\"}, "
                "{\"path\": \"/bin/true\", \"timeout\": -5}]}}",
                "`hooks.poststop[1].timeout`: must be greater than zero");
  expect_error ("{\"ociVersion\": \"1\", \"hooks\": {\"createRuntime\": [{\"path\": \"true\"}]}}",
                "`hooks.createRuntime[0].path`: must be an absolute path");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"devices\": [{\"type\": \"x\", \"path\": "
                "\"/dev/x\", \"major\": 1, \"minor\": 1}]}}",
                "`linux.devices[0].type`: unknown device type `x`");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"devices\": [{\"type\": \"cc\", \"path\": "
                "\"/dev/x\", \"major\": 1, \"minor\": 1}]}}",
                "`linux.devices[0].type`: unknown device type `cc`");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"devices\": [{\"type\": \"b\", \"path\": "
                "\"/dev/sda\", \"major\": 8}]}}",
                "`linux.devices[0].minor`: required field is missing");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"devices\": [{\"type\": \"c\", \"path\": "
                "\"dev/x\", \"major\": 1, \"minor\": 1}]}}",
                "`linux.devices[0].path`: must be an absolute path");
  expect_error ("{\"ociVersion\": \"1\", \"annotations\": {\"a\": \"b\", \"n\": 1}}",
                "`annotations.n`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"annotations\": {\"io.x\": true}}",
                "`annotations[\"io.x\"]`: expected a string");
  expect_error ("{\"ociVersion\": \"1\", \"annotations\": [\"a\"]}",
                "`annotations`: expected an object");
  expect_error ("{\"ociVersion\": \"1\", \"annotations\": {\"a\": \"1\", \"a\": \"2\"}}",
                "`annotations.a`: duplicate key");
  expect_error ("{\"ociVersion\": \"1\", \"linux\": {\"gidMappings\": [{\"containerID\": 0, "
                "\"hostID\": 1000, \"size\": 0}]}}",
                "`linux.gidMappings[0].size`: must be greater than zero");
  expect_error ("{\"ociVersion\": \"1\", \"root\": {\"path\": \"\"}}",
                "`root.path`: must not be empty");
}

static void
test_namespace_names (void)
{
  static const char *const names[]
      = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time", NULL };
  size_t i;

  for (i = 0; names[i]; i++)
    {
      int t = oci_namespace_type_from_name (names[i]);
      tap_check (t > 0, "%s known", names[i]);
      tap_check (streq (oci_namespace_type_name (t), names[i]), "%s round-trips", names[i]);
    }
  tap_check (oci_namespace_type_from_name ("net") == -1, "net is not a spec name");
  tap_check (oci_namespace_type_from_name (NULL) == -1, "NULL name");
  tap_check (oci_namespace_type_from_name ("mount") == CLONE_NEWNS, "mount is CLONE_NEWNS");
  tap_check (oci_namespace_type_name (0) == NULL, "no name for 0");
}

static void
test_hook_stage_names (void)
{
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_PRESTART), "prestart"), "prestart");
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_CREATE_RUNTIME), "createRuntime"),
             "createRuntime");
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_CREATE_CONTAINER), "createContainer"),
             "createContainer");
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_START_CONTAINER), "startContainer"),
             "startContainer");
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_POSTSTART), "poststart"), "poststart");
  tap_check (streq (oci_hook_stage_name (OCI_HOOK_POSTSTOP), "poststop"), "poststop");
  tap_check (oci_hook_stage_name (OCI_HOOK_STAGES) == NULL, "out of range");
}

static bool
has_option (const struct oci_mount *m, const char *opt)
{
  size_t i;
  for (i = 0; m->options && m->options[i]; i++)
    if (strcmp (m->options[i], opt) == 0)
      return true;
  return false;
}

static const struct oci_mount *
find_mount (const struct oci_config *c, const char *destination)
{
  size_t i;
  for (i = 0; i < c->n_mounts; i++)
    if (streq (c->mounts[i].destination, destination))
      return &c->mounts[i];
  return NULL;
}

static bool
host_has_cgroup2 (void)
{
  struct statfs st;
  return statfs ("/sys/fs/cgroup", &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

static const char *const expected_caps[]
    = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };

/* Checks shared by both variants of the default spec. */
static void
check_default_common (const struct oci_config *c)
{
  const struct oci_process *p = c->process;
  const struct oci_mount *m;

  tap_check (streq (c->oci_version, "1.0.0"), "ociVersion");
  tap_require (p != NULL, "process");
  tap_check (p->terminal, "terminal");
  tap_check (p->user.uid == 0 && p->user.gid == 0, "root user");
  tap_check (strv_is (p->args, (const char *[]){ "sh", NULL }), "args");
  tap_check (strv_is (p->env,
                      (const char *[]){
                          "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                          "TERM=xterm", NULL }),
             "env");
  tap_check (streq (p->cwd, "/"), "cwd");
  tap_require (p->capabilities != NULL, "capabilities");
  tap_check (strv_is (p->capabilities->bounding, expected_caps), "bounding");
  tap_check (strv_is (p->capabilities->effective, expected_caps), "effective");
  tap_check (strv_is (p->capabilities->permitted, expected_caps), "permitted");
  tap_check (strv_is (p->capabilities->ambient, expected_caps), "ambient");
  tap_check (p->capabilities->inheritable && p->capabilities->inheritable[0] == NULL,
             "inheritable empty");
  tap_check (p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NOFILE
                 && p->rlimits[0].hard == 1024 && p->rlimits[0].soft == 1024,
             "rlimit");
  tap_check (p->no_new_privileges, "noNewPrivileges");
  tap_check (streq (c->root_path, "rootfs") && c->root_readonly, "root");
  tap_check (streq (c->hostname, "crun"), "hostname");

  tap_check (c->n_mounts == 7, "seven mounts");
  m = find_mount (c, "/proc");
  tap_check (m && streq (m->type, "proc"), "/proc");
  m = find_mount (c, "/dev");
  tap_check (m && streq (m->type, "tmpfs") && has_option (m, "mode=755")
                 && has_option (m, "size=65536k") && has_option (m, "strictatime"),
             "/dev");
  m = find_mount (c, "/dev/pts");
  tap_check (m && streq (m->type, "devpts") && has_option (m, "newinstance")
                 && has_option (m, "ptmxmode=0666") && has_option (m, "mode=0620"),
             "/dev/pts");
  m = find_mount (c, "/dev/shm");
  tap_check (m && streq (m->type, "tmpfs") && has_option (m, "mode=1777"), "/dev/shm");
  m = find_mount (c, "/dev/mqueue");
  tap_check (m && streq (m->type, "mqueue"), "/dev/mqueue");
  m = find_mount (c, "/sys/fs/cgroup");
  tap_check (m && streq (m->type, "cgroup") && has_option (m, "relatime") && has_option (m, "ro")
                 && has_option (m, "nosuid"),
             "/sys/fs/cgroup");

  tap_require (c->linux_cfg != NULL, "linux");
  tap_check (c->linux_cfg->resources != NULL, "resources");
  tap_check (oci_config_namespace (c, CLONE_NEWPID) && oci_config_namespace (c, CLONE_NEWIPC)
                 && oci_config_namespace (c, CLONE_NEWUTS) && oci_config_namespace (c, CLONE_NEWNS),
             "pid, ipc, uts, mount namespaces");
  tap_check ((oci_config_namespace (c, CLONE_NEWCGROUP) != NULL) == host_has_cgroup2 (),
             "cgroup namespace exactly on a cgroup v2 host");
  tap_check (strv_len (c->linux_cfg->masked_paths) == 10
                 && streq (c->linux_cfg->masked_paths[0], "/proc/acpi")
                 && streq (c->linux_cfg->masked_paths[9], "/proc/scsi"),
             "maskedPaths");
  tap_check (strv_is (c->linux_cfg->readonly_paths,
                      (const char *[]){ "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
                                        "/proc/sysrq-trigger", NULL }),
             "readonlyPaths");
}

static void
test_default_spec (void)
{
  cleanup_free char *json = NULL;
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  const struct oci_mount *m;
  yajl_val dev;
  const char *path_devices[] = { "devices", NULL };

  tap_require (libcrun_default_spec (false, 0, 0, &json, &err) == 0, "generate: %s",
               err ? err->msg : "?");
  tap_check (json[strlen (json) - 1] == '\n', "ends with a newline");
  tap_check (strchr (json, '\t') != NULL, "indented");
  tap_require (libcrun_config_load_string (json, "default", &c, &err) == 0, "round-trip: %s",
               err ? err->msg : "?");
  check_default_common (c);
  tap_check (oci_config_namespace (c, CLONE_NEWNET) != NULL, "network namespace");
  tap_check (oci_config_namespace (c, CLONE_NEWUSER) == NULL, "no user namespace");
  tap_check (c->linux_cfg->n_uid_mappings == 0 && c->linux_cfg->n_gid_mappings == 0, "no mappings");
  m = find_mount (c, "/sys");
  tap_check (m && streq (m->type, "sysfs") && has_option (m, "ro"), "/sys is sysfs");
  m = find_mount (c, "/dev/pts");
  tap_check (m && has_option (m, "gid=5"), "devpts gid=5");
  dev = yajl_tree_get (c->linux_cfg->resources, path_devices, yajl_t_array);
  tap_check (dev && dev->u.array.len == 1
                 && YAJL_IS_FALSE (yajl_tree_get (dev->u.array.values[0],
                                                  (const char *[]){ "allow", NULL }, yajl_t_any)),
             "devices deny all");
  libcrun_config_free (c);
}

static void
test_default_spec_rootless (void)
{
  cleanup_free char *json = NULL;
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  const struct oci_mount *m;
  const struct oci_linux *l;

  tap_require (libcrun_default_spec (true, 1234, 5678, &json, &err) == 0, "generate: %s",
               err ? err->msg : "?");
  tap_require (libcrun_config_load_string (json, "default", &c, &err) == 0, "round-trip: %s",
               err ? err->msg : "?");
  check_default_common (c);
  l = c->linux_cfg;
  tap_check (oci_config_namespace (c, CLONE_NEWNET) == NULL, "no network namespace");
  tap_check (oci_config_namespace (c, CLONE_NEWUSER) != NULL, "user namespace");
  tap_check (l->n_uid_mappings == 1 && l->uid_mappings[0].container_id == 0
                 && l->uid_mappings[0].host_id == 1234 && l->uid_mappings[0].size == 1,
             "uid mapping");
  tap_check (l->n_gid_mappings == 1 && l->gid_mappings[0].container_id == 0
                 && l->gid_mappings[0].host_id == 5678 && l->gid_mappings[0].size == 1,
             "gid mapping");
  m = find_mount (c, "/sys");
  tap_check (m && streq (m->type, "none") && streq (m->source, "/sys")
                 && strv_is (m->options,
                             (const char *[]){ "rbind", "nosuid", "noexec", "nodev", "ro", NULL }),
             "/sys is an rbind");
  m = find_mount (c, "/dev/pts");
  tap_check (m && !has_option (m, "gid=5"), "no gid=5 on devpts");
  libcrun_config_free (c);
}

/* A scratch directory, removed at the end of the test by the caller. */
static char *
make_tmpdir (void)
{
  char *dir = xstrdup ("/tmp/test_config.XXXXXX");
  tap_require (mkdtemp (dir) != NULL, "mkdtemp: %s", strerror (errno));
  return dir;
}

static void
write_text (const char *path, const char *text)
{
  libcrun_error_t err = NULL;
  tap_require (write_file (path, text, strlen (text), 0600, &err) == 0, "write %s", path);
}

static void
test_load_file (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *good = xasprintf ("%s/config.json", dir);
  cleanup_free char *bad = xasprintf ("%s/bad.json", dir);
  cleanup_free char *nul = xasprintf ("%s/nul.json", dir);
  cleanup_free char *missing = xasprintf ("%s/missing.json", dir);
  struct oci_config *c = NULL;
  libcrun_error_t err = NULL;
  int fd;

  write_text (good, full_config);
  tap_check (libcrun_config_load_file (good, &c, &err) == 0, "load file: %s", err ? err->msg : "?");
  tap_check (c && streq (c->hostname, "box"), "file content parsed");
  libcrun_config_free (c);
  c = NULL;

  write_text (bad, "{\"ociVersion\": \"1\", \"mounts\": [{\"destination\": \"x\"}]}");
  tap_check (libcrun_config_load_file (bad, &c, &err) < 0, "bad file fails");
  tap_check (err && strstr (err->msg, bad) && strstr (err->msg, "`mounts[0].destination`"),
             "error names the file and field: %s", err ? err->msg : "?");
  libcrun_error_release (&err);

  fd = open (nul, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  tap_require (fd >= 0, "create nul file");
  tap_require (write (fd, "{\"a\":\0 1}", 9) == 9, "write nul file");
  close (fd);
  tap_check (libcrun_config_load_file (nul, &c, &err) < 0, "NUL byte fails");
  tap_check (err && strstr (err->msg, "NUL byte"), "NUL byte message: %s", err ? err->msg : "?");
  libcrun_error_release (&err);

  tap_check (libcrun_config_load_file (missing, &c, &err) < 0, "missing file fails");
  tap_check (err && err->status == ENOENT && strstr (err->msg, missing), "ENOENT naming the file");
  libcrun_error_release (&err);

  tap_check (remove_tree (dir, &err) == 0, "cleanup");
}

static void
test_process_file (void)
{
  cleanup_free char *dir = make_tmpdir ();
  cleanup_free char *good = xasprintf ("%s/process.json", dir);
  cleanup_free char *bad = xasprintf ("%s/bad.json", dir);
  cleanup_free char *syntax = xasprintf ("%s/syntax.json", dir);
  struct oci_process *p = NULL;
  libcrun_error_t err = NULL;

  write_text (good,
              "{\n  \"terminal\": false,\n  \"user\": {\"uid\": 5, \"gid\": 6},\n"
              "  \"args\": [\"/bin/ls\", \"-l\"],\n  \"env\": [\"HOME=/root\"],\n"
              "  \"cwd\": \"/tmp\",\n  \"noNewPrivileges\": true,\n"
              "  \"capabilities\": {\"bounding\": [\"CAP_KILL\"]},\n"
              "  \"rlimits\": [{\"type\": \"RLIMIT_NPROC\", \"hard\": 10, \"soft\": 5}]\n}\n");
  tap_require (libcrun_process_load_file (good, &p, &err) == 0, "load: %s", err ? err->msg : "?");
  tap_check (!p->terminal && p->user.uid == 5 && p->user.gid == 6, "user");
  tap_check (strv_is (p->args, (const char *[]){ "/bin/ls", "-l", NULL }), "args");
  tap_check (strv_is (p->env, (const char *[]){ "HOME=/root", NULL }), "env");
  tap_check (streq (p->cwd, "/tmp") && p->no_new_privileges, "cwd, noNewPrivileges");
  tap_check (p->capabilities
                 && strv_is (p->capabilities->bounding, (const char *[]){ "CAP_KILL", NULL })
                 && p->capabilities->effective == NULL,
             "capabilities");
  tap_check (p->n_rlimits == 1 && p->rlimits[0].resource == RLIMIT_NPROC, "rlimits");
  libcrun_process_free (p);
  p = NULL;
  libcrun_process_free (NULL);

  write_text (bad, "{\"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [], \"cwd\": \"/\"}");
  tap_check (libcrun_process_load_file (bad, &p, &err) < 0, "empty args fails");
  tap_check (err && strstr (err->msg, bad) && strstr (err->msg, "`args`: must not be empty"),
             "message: %s", err ? err->msg : "?");
  libcrun_error_release (&err);

  write_text (syntax, "{\"user\": {\"uid\": 0,\n\"gid\": 0}, \"args\": [\"sh\"],,\n}");
  tap_check (libcrun_process_load_file (syntax, &p, &err) < 0, "syntax error fails");
  tap_check (err && strstr (err->msg, "line 2, column"), "syntax message: %s",
             err ? err->msg : "?");
  libcrun_error_release (&err);

  tap_check (remove_tree (dir, &err) == 0, "cleanup");
}

int
main (void)
{
  TAP_RUN (test_full_config);
  TAP_RUN (test_minimal_config);
  TAP_RUN (test_syntax_errors);
  TAP_RUN (test_type_errors);
  TAP_RUN (test_semantic_errors);
  TAP_RUN (test_namespace_names);
  TAP_RUN (test_hook_stage_names);
  TAP_RUN (test_default_spec);
  TAP_RUN (test_default_spec_rootless);
  TAP_RUN (test_load_file);
  TAP_RUN (test_process_file);
  return tap_done ();
}
