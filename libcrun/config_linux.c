/* config.json's `linux`: namespaces and their names, id mappings, devices,
 * memoryPolicy, personality, timeOffsets, sysctl and the paths; it calls
 * config_resources.c for linux.resources and config_seccomp.c for
 * linux.seccomp. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "config_internal.h"
#include "syscalls.h" /* CLONE_NEWCGROUP, CLONE_NEWTIME */

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* namespaces                                                               */

static const struct
{
  const char *name;
  int type;
} namespace_names[] = {
  { "pid", CLONE_NEWPID },       { "network", CLONE_NEWNET }, { "mount", CLONE_NEWNS },
  { "ipc", CLONE_NEWIPC },       { "uts", CLONE_NEWUTS },     { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

int
oci_namespace_type_from_name (const char *name)
{
  size_t i;
  if (name == NULL)
    return -1;
  for (i = 0; i < sizeof (namespace_names) / sizeof (namespace_names[0]); i++)
    if (strcmp (namespace_names[i].name, name) == 0)
      return namespace_names[i].type;
  return -1;
}

const char *
oci_namespace_type_name (int type)
{
  size_t i;
  for (i = 0; i < sizeof (namespace_names) / sizeof (namespace_names[0]); i++)
    if (namespace_names[i].type == type)
      return namespace_names[i].name;
  return NULL;
}

/* namespaces[i]; the ones before it are checked for the same type. */
static int
parse_namespace (struct parser *p, yajl_val item, void *array, size_t i)
{
  struct oci_namespace *ns = array;
  cleanup_free char *type = NULL;
  size_t j, mark;
  int ret = cfg_get_string (p, item, "type", true, &type);

  if (ret < 0)
    return ret;
  mark = cfg_enter_key (p, "type");
  ns[i].type = oci_namespace_type_from_name (type);
  if (ns[i].type < 0)
    ret = cfg_fail (p, "unknown namespace type `%s`", type);
  for (j = 0; ret == 0 && j < i; j++)
    if (ns[j].type == ns[i].type)
      ret = cfg_fail (p, "duplicate namespace type `%s`", type);
  cfg_leave (p, mark);
  if (ret == 0)
    ret = cfg_get_string (p, item, "path", false, &ns[i].path);
  return ret;
}

/* ------------------------------------------------------------------------ */
/* id mappings                                                              */

static int
parse_id_mapping (struct parser *p, yajl_val item, void *array, size_t i)
{
  struct oci_id_mapping *m = (struct oci_id_mapping *)array + i;
  uint64_t n = 0;
  int ret = cfg_get_uint (p, item, "containerID", true, UINT32_MAX, &n, NULL);

  m->container_id = (uint32_t)n;
  if (ret == 0)
    ret = cfg_get_uint (p, item, "hostID", true, UINT32_MAX, &n, NULL);
  m->host_id = (uint32_t)n;
  if (ret == 0)
    ret = cfg_get_uint (p, item, "size", true, UINT32_MAX, &n, NULL);
  m->size = (uint32_t)n;
  /* The kernel rejects a mapping line of length 0. */
  if (ret == 0 && m->size == 0)
    ret = cfg_fail_at (p, "size", "must be greater than zero");
  return ret;
}

int
cfg_parse_id_mappings (struct parser *p, yajl_val obj, const char *key, struct oci_id_mapping **out,
                       size_t *n_out)
{
  return CFG_PARSE_ARRAY (p, obj, key, out, n_out, parse_id_mapping);
}

/* An empty mapping list becomes "0 -> id, size 1". */
static void
map_root_to (struct oci_id_mapping **m, size_t *n, uint32_t id)
{
  if (*n)
    return;
  free (*m);
  *m = xmalloc0 (sizeof (**m));
  (*m)->host_id = id;
  (*m)->size = 1;
  *n = 1;
}

/* Id mappings belong to a new user namespace.  Without one they are an
 * error; a new user namespace given none gets crun's default: the
 * container's root is the caller's uid and gid, a mapping of size 1 (the
 * one mapping an unprivileged caller may always write). */
static int
check_user_namespace_mappings (struct parser *p, struct oci_linux *l)
{
  const struct oci_namespace *user = NULL;
  size_t i;

  for (i = 0; i < l->n_namespaces; i++)
    if (l->namespaces[i].type == CLONE_NEWUSER)
      user = &l->namespaces[i];
  if (user == NULL)
    {
      const char *key = l->n_uid_mappings   ? "uidMappings"
                        : l->n_gid_mappings ? "gidMappings"
                                            : NULL;
      if (key == NULL)
        return 0;
      return cfg_fail_at (p, key,
                          "given, but linux.namespaces has no user namespace to apply them to");
    }
  if (user->path != NULL)
    return 0;
  map_root_to (&l->uid_mappings, &l->n_uid_mappings, (uint32_t)geteuid ());
  map_root_to (&l->gid_mappings, &l->n_gid_mappings, (uint32_t)getegid ());
  return 0;
}

/* ------------------------------------------------------------------------ */
/* devices                                                                  */

static int
parse_device_type (struct parser *p, yajl_val obj, struct oci_device *d)
{
  cleanup_free char *type = NULL;
  int ret = cfg_get_string (p, obj, "type", true, &type);

  if (ret < 0)
    return ret;
  if (strlen (type) != 1 || strchr ("cbup", type[0]) == NULL)
    return cfg_fail_at (p, "type", "unknown device type `%s` (expected c, b, u or p)", type);
  d->type = type[0];
  return 0;
}

/* The mode and the owner of the device node. */
static int
parse_device_node (struct parser *p, yajl_val obj, struct oci_device *d)
{
  uint64_t n = 0;
  bool has = false;
  /* Podman writes the file-type bits too (020666 for a character device),
   * as Go's os.FileMode carries them; runc and crun take the permission
   * bits.  Anything beyond a mode_t is still refused. */
  int ret = cfg_get_uint (p, obj, "fileMode", false, 0177777, &n, &has);

  if (ret < 0)
    return ret;
  d->has_file_mode = has;
  d->file_mode = (mode_t)(n & 07777);
  ret = cfg_get_uint (p, obj, "uid", false, UINT32_MAX - 1, &n, &d->has_uid);
  if (ret < 0)
    return ret;
  d->uid = (uid_t)n;
  ret = cfg_get_uint (p, obj, "gid", false, UINT32_MAX - 1, &n, &d->has_gid);
  if (ret < 0)
    return ret;
  d->gid = (gid_t)n;
  return 0;
}

/* devices[i] */
static int
parse_device (struct parser *p, yajl_val obj, void *array, size_t i)
{
  struct oci_device *d = (struct oci_device *)array + i;
  int64_t s = 0;
  int ret = parse_device_type (p, obj, d);

  if (ret == 0)
    ret = cfg_get_abs_path (p, obj, "path", true, &d->path);
  if (ret < 0)
    return ret;
  /* A FIFO has no device number; every other type needs both. */
  ret = cfg_get_int (p, obj, "major", d->type != 'p', INT64_MIN, INT64_MAX, &s, NULL);
  d->major = s;
  if (ret == 0)
    {
      s = 0;
      ret = cfg_get_int (p, obj, "minor", d->type != 'p', INT64_MIN, INT64_MAX, &s, NULL);
      d->minor = s;
    }
  if (ret < 0)
    return ret;
  return parse_device_node (p, obj, d);
}

/* ------------------------------------------------------------------------ */
/* linux.memoryPolicy (set_mempolicy)                                       */

static const struct named_value mpol_modes[] = {
  { "MPOL_DEFAULT", 0 },
  { "MPOL_PREFERRED", 1 },
  { "MPOL_BIND", 2 },
  { "MPOL_INTERLEAVE", 3 },
  { "MPOL_LOCAL", 4 },
  { "MPOL_PREFERRED_MANY", 5 },
  { "MPOL_WEIGHTED_INTERLEAVE", 6 },
};
#define MPOL_F_NUMA_BALANCING_ (1u << 13)
#define MPOL_F_RELATIVE_NODES_ (1u << 14)
#define MPOL_F_STATIC_NODES_ (1u << 15)
static const struct named_value mpol_flags[] = {
  { "MPOL_F_NUMA_BALANCING", MPOL_F_NUMA_BALANCING_ },
  { "MPOL_F_RELATIVE_NODES", MPOL_F_RELATIVE_NODES_ },
  { "MPOL_F_STATIC_NODES", MPOL_F_STATIC_NODES_ },
};

/* "0-3,7" into the bitmap; false on a malformed list or a node >= 1024. */
static bool
parse_node_list (const char *s, unsigned long *bits)
{
  const size_t w = 8 * sizeof (unsigned long);

  while (*s)
    {
      char *end;
      unsigned long a, b, i;

      if (*s < '0' || *s > '9')
        return false;
      a = strtoul (s, &end, 10);
      b = a;
      if (*end == '-')
        {
          if (end[1] < '0' || end[1] > '9')
            return false;
          b = strtoul (end + 1, &end, 10);
        }
      if (a > b || b >= OCI_MAX_NUMA_NODES || (*end != ',' && *end != '\0'))
        return false;
      for (i = a; i <= b; i++)
        bits[i / w] |= 1UL << (i % w);
      s = *end == ',' ? end + 1 : end;
      if (*end == ',' && *s == '\0')
        return false;
    }
  return true;
}

/* What set_mempolicy would refuse (mm/mempolicy.c: mpol_new and the flag
 * checks), said before the container starts. */
static const char *
memory_policy_problem (const struct oci_memory_policy *m, const char **key)
{
  unsigned int f = m->flags;
  bool nodal = f & (MPOL_F_STATIC_NODES_ | MPOL_F_RELATIVE_NODES_);

  *key = "flags";
  if ((f & MPOL_F_STATIC_NODES_) && (f & MPOL_F_RELATIVE_NODES_))
    return "MPOL_F_STATIC_NODES and MPOL_F_RELATIVE_NODES exclude each other";
  if ((f & MPOL_F_NUMA_BALANCING_) && m->mode != 2 && m->mode != 5)
    return "MPOL_F_NUMA_BALANCING needs MPOL_BIND or MPOL_PREFERRED_MANY";
  switch (m->mode)
    {
    case 0: /* MPOL_DEFAULT */
      *key = "nodes";
      return m->has_nodes ? "must be empty with MPOL_DEFAULT" : NULL;
    case 4: /* MPOL_LOCAL */
      if (nodal)
        return "MPOL_LOCAL takes no node flags";
      *key = "nodes";
      return m->has_nodes ? "must be empty with MPOL_LOCAL" : NULL;
    case 1: /* MPOL_PREFERRED: no nodes means local allocation */
      return !m->has_nodes && nodal ? "node flags need nodes with MPOL_PREFERRED" : NULL;
    default:
      *key = "nodes";
      return m->has_nodes ? NULL : "required with this mode";
    }
}

/* memoryPolicy.nodes into the bitmap. */
static int
parse_nodes (struct parser *p, yajl_val obj, struct oci_memory_policy *m)
{
  cleanup_free char *nodes = NULL;
  size_t i;
  int ret = cfg_get_string (p, obj, "nodes", false, &nodes);

  if (ret < 0 || nodes == NULL || nodes[0] == '\0')
    return ret;
  if (!parse_node_list (nodes, m->nodes))
    return cfg_fail_at (p, "nodes",
                        "`%s`: expected node numbers and ranges such as 0-3,7, below %d", nodes,
                        OCI_MAX_NUMA_NODES);
  for (i = 0; i < sizeof (m->nodes) / sizeof (m->nodes[0]); i++)
    m->has_nodes |= m->nodes[i] != 0;
  return 0;
}

static int
parse_memory_policy (struct parser *p, yajl_val obj, struct oci_memory_policy *m)
{
  uint64_t v = 0;
  const char *key, *why;
  int ret = cfg_get_named (p, obj, "mode", true, mpol_modes, CFG_N_NAMES (mpol_modes), &v, NULL);

  m->mode = (int)v;
  if (ret == 0)
    ret = cfg_get_named_flags (p, obj, "flags", mpol_flags, CFG_N_NAMES (mpol_flags), &v);
  m->flags = (unsigned int)v;
  if (ret == 0)
    ret = parse_nodes (p, obj, m);
  if (ret < 0)
    return ret;
  why = memory_policy_problem (m, &key);
  if (why == NULL)
    return 0;
  return cfg_fail_at (p, key, "%s", why);
}

/* ------------------------------------------------------------------------ */
/* personality, timeOffsets, rootfsPropagation                              */

/* linux.personality: the domain LINUX or LINUX32 (uname -m says i686 in
 * the latter); the spec defines no flags yet, so any is refused. */
static int
parse_personality (struct parser *p, yajl_val obj, struct oci_linux *l)
{
  cleanup_free char *domain = NULL;
  cleanup_strv char **flags = NULL;
  int ret = cfg_get_string (p, obj, "domain", true, &domain);

  if (ret == 0)
    ret = cfg_get_strv (p, obj, "flags", false, &flags);
  if (ret < 0)
    return ret;
  if (flags && flags[0])
    return cfg_fail_at (p, "flags", "unknown flag `%s` (the runtime spec defines none)", flags[0]);
  if (strcmp (domain, "LINUX") == 0)
    l->personality = 0x0000; /* PER_LINUX */
  else if (strcmp (domain, "LINUX32") == 0)
    l->personality = 0x0008; /* PER_LINUX32 */
  else
    return cfg_fail_at (p, "domain", "unknown domain `%s` (LINUX or LINUX32)", domain);
  l->has_personality = true;
  return 0;
}

/* timeOffsets.monotonic or timeOffsets.boottime */
static int
parse_clock_offset (struct parser *p, yajl_val obj, struct oci_time_offset *t)
{
  uint64_t n = 0;
  int ret = cfg_get_int (p, obj, "secs", false, INT64_MIN, INT64_MAX, &t->secs, NULL);

  if (ret == 0)
    ret = cfg_get_uint (p, obj, "nanosecs", false, 999999999, &n, NULL);
  t->nanosecs = (uint32_t)n;
  t->present = ret == 0;
  return ret;
}

static int
parse_time_offsets (struct parser *p, yajl_val obj, struct oci_linux *l)
{
  int ret = CFG_PARSE_OBJECT (p, obj, "monotonic", false, parse_clock_offset, &l->time_monotonic);

  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, obj, "boottime", false, parse_clock_offset, &l->time_boottime);
  return ret;
}

static const char *const propagation_names[] = {
  "shared", "slave", "private", "unbindable", "rshared", "rslave", "rprivate", "runbindable", NULL,
};

static int
parse_propagation (struct parser *p, yajl_val lx, struct oci_linux *l)
{
  size_t i;
  int ret = cfg_get_string (p, lx, "rootfsPropagation", false, &l->rootfs_propagation);

  if (ret < 0 || l->rootfs_propagation == NULL)
    return ret;
  for (i = 0; propagation_names[i]; i++)
    if (strcmp (propagation_names[i], l->rootfs_propagation) == 0)
      return 0;
  return cfg_fail_at (p, "rootfsPropagation", "unknown propagation `%s`", l->rootfs_propagation);
}

/* ------------------------------------------------------------------------ */
/* The linux object                                                         */

int
cfg_parse_linux (struct parser *p, yajl_val lx, struct oci_linux *l)
{
  int ret
      = CFG_PARSE_ARRAY (p, lx, "namespaces", &l->namespaces, &l->n_namespaces, parse_namespace);

  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, lx, "memoryPolicy", &l->memory_policy, parse_memory_policy);
  if (ret == 0)
    ret = cfg_parse_id_mappings (p, lx, "uidMappings", &l->uid_mappings, &l->n_uid_mappings);
  if (ret == 0)
    ret = cfg_parse_id_mappings (p, lx, "gidMappings", &l->gid_mappings, &l->n_gid_mappings);
  if (ret == 0)
    ret = check_user_namespace_mappings (p, l);
  if (ret == 0)
    ret = CFG_PARSE_ARRAY (p, lx, "devices", &l->devices, &l->n_devices, parse_device);
  if (ret == 0)
    ret = cfg_get_string (p, lx, "cgroupsPath", false, &l->cgroups_path);
  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, lx, "resources", false, cfg_check_resources, &l->resources);
  if (ret == 0)
    ret = cfg_get_string_map (p, lx, "sysctl", &l->sysctl, &l->n_sysctl);
  if (ret == 0)
    ret = CFG_PARSE_OPTIONAL_OBJECT (p, lx, "seccomp", &l->seccomp, cfg_parse_seccomp);
  if (ret == 0)
    ret = parse_propagation (p, lx, l);
  if (ret == 0)
    ret = cfg_get_strv (p, lx, "maskedPaths", false, &l->masked_paths);
  if (ret == 0)
    ret = cfg_get_strv (p, lx, "readonlyPaths", false, &l->readonly_paths);
  if (ret == 0)
    ret = cfg_get_string (p, lx, "mountLabel", false, &l->mount_label);
  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, lx, "personality", false, parse_personality, l);
  if (ret == 0)
    ret = CFG_PARSE_OBJECT (p, lx, "timeOffsets", false, parse_time_offsets, l);
  return ret;
}

void
cfg_free_linux (struct oci_linux *l)
{
  size_t i;

  if (l == NULL)
    return;
  for (i = 0; i < l->n_namespaces; i++)
    free (l->namespaces[i].path);
  free (l->namespaces);
  free (l->memory_policy);
  free (l->uid_mappings);
  free (l->gid_mappings);
  for (i = 0; i < l->n_devices; i++)
    free (l->devices[i].path);
  free (l->devices);
  free (l->cgroups_path);
  /* resources points into the config's tree, freed with it. */
  cfg_free_kv (l->sysctl, l->n_sysctl);
  cfg_free_seccomp (l->seccomp);
  free (l->rootfs_propagation);
  strv_free (l->masked_paths);
  strv_free (l->readonly_paths);
  free (l->mount_label);
  free (l);
}
