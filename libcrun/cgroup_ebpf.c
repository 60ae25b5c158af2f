#include "cgroup_ebpf.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Registers the program keeps the request in (see program_prologue). */
enum
{
  R_CTX = 1,
  R_TYPE = 2,
  R_ACCESS = 3,
  R_MAJOR = 4,
  R_MINOR = 5,
  R_TMP = 1, /* the context pointer is not needed once the prologue ran */
};

static struct bpf_insn
insn (uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
  struct bpf_insn i;
  memset (&i, 0, sizeof (i));
  i.code = code;
  i.dst_reg = dst;
  i.src_reg = src;
  i.off = off;
  i.imm = imm;
  return i;
}

struct program
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static void
emit (struct program *p, struct bpf_insn i)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->insns = xrealloc (p->insns, p->cap * sizeof (*p->insns));
    }
  p->insns[p->n++] = i;
}

int
libcrun_device_rule_parse (const char *text, bool allow, struct libcrun_device_rule *r,
                           libcrun_error_t *err)
{
  char type, maj[24], min[24], acc[8];
  const char *a;
  long v;

  if (sscanf (text, "%c %23[^:]:%23s %7s", &type, maj, min, acc) != 4
      || (type != 'a' && type != 'c' && type != 'b'))
    return libcrun_make_error (err, EINVAL, "device rule `%s`: expected `TYPE MAJOR:MINOR ACCESS`",
                               text);
  r->allow = allow;
  r->type = type;
  r->major = strcmp (maj, "*") == 0 ? -1 : (parse_long (maj, &v) == 0 ? v : -2);
  r->minor = strcmp (min, "*") == 0 ? -1 : (parse_long (min, &v) == 0 ? v : -2);
  if (r->major < -1 || r->minor < -1)
    return libcrun_make_error (err, EINVAL, "device rule `%s`: bad major or minor", text);
  r->access = 0;
  for (a = acc; *a; a++)
    r->access |= *a == 'r'   ? LIBCRUN_DEV_READ
                 : *a == 'w' ? LIBCRUN_DEV_WRITE
                 : *a == 'm' ? LIBCRUN_DEV_MKNOD
                             : 0;
  return 0;
}

/* r2 = type, r3 = access, r4 = major, r5 = minor, from the context
 * (struct bpf_cgroup_dev_ctx: access_type = access << 16 | type). */
static void
program_prologue (struct program *p)
{
  emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, R_TYPE, R_CTX, 0, 0));
  emit (p, insn (BPF_ALU64 | BPF_MOV | BPF_X, R_ACCESS, R_TYPE, 0, 0));
  emit (p, insn (BPF_ALU64 | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16));
  emit (p, insn (BPF_ALU64 | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff));
  emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R_CTX, 4, 0));
  emit (p, insn (BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R_CTX, 8, 0));
}

/* One rule: fall through to "return allow" when it matches, else jump over
 * its remaining instructions.  Jump offsets are filled in afterwards.
 * Returns true when the rule matches everything (nothing after it runs). */
static bool
program_rule (struct program *p, const struct libcrun_device_rule *r)
{
  size_t start = p->n, i;

  if (r->type != 'a')
    emit (p, insn (BPF_JMP | BPF_JNE | BPF_K, R_TYPE, 0, 0,
                   r->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK));
  if ((r->access & 7) != 7)
    {
      /* Every requested access must be granted by the rule. */
      emit (p, insn (BPF_ALU64 | BPF_MOV | BPF_X, R_TMP, R_ACCESS, 0, 0));
      emit (p, insn (BPF_ALU64 | BPF_AND | BPF_K, R_TMP, 0, 0, (int32_t)~r->access & 7));
      emit (p, insn (BPF_JMP | BPF_JNE | BPF_K, R_TMP, 0, 0, 0));
    }
  if (r->major >= 0)
    emit (p, insn (BPF_JMP | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)r->major));
  if (r->minor >= 0)
    emit (p, insn (BPF_JMP | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)r->minor));
  emit (p, insn (BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0));
  emit (p, insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
  /* Every conditional jump of this rule goes to the next rule. */
  for (i = start; i < p->n; i++)
    if (p->insns[i].code == (BPF_JMP | BPF_JNE | BPF_K))
      p->insns[i].off = (int16_t)(p->n - i - 1);
  /* Only the return: the verifier refuses code after it as unreachable. */
  return p->n - start == 2;
}

static long
sys_bpf (int cmd, union bpf_attr *attr)
{
  return syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

/* Detach the device programs attached to the cgroup before ours. */
static void
detach_old_programs (int cgfd, int keep_fd)
{
  union bpf_attr attr;
  uint32_t ids[64];
  uint32_t i;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = (uint32_t)cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uint64_t)(uintptr_t)ids;
  attr.query.prog_cnt = 64;
  if (sys_bpf (BPF_PROG_QUERY, &attr) < 0)
    return;
  for (i = 0; i < attr.query.prog_cnt; i++)
    {
      union bpf_attr g, d;
      int fd;
      memset (&g, 0, sizeof (g));
      g.prog_id = ids[i];
      fd = (int)sys_bpf (BPF_PROG_GET_FD_BY_ID, &g);
      if (fd < 0)
        continue;
      memset (&d, 0, sizeof (d));
      d.target_fd = (uint32_t)cgfd;
      d.attach_bpf_fd = (uint32_t)fd;
      d.attach_type = BPF_CGROUP_DEVICE;
      /* Our new program has just been attached: keep it (same id). */
      {
        union bpf_attr info_attr;
        struct bpf_prog_info a, b;
        uint32_t len = sizeof (a);
        memset (&a, 0, sizeof (a));
        memset (&b, 0, sizeof (b));
        memset (&info_attr, 0, sizeof (info_attr));
        info_attr.info.bpf_fd = (uint32_t)keep_fd;
        info_attr.info.info_len = len;
        info_attr.info.info = (uint64_t)(uintptr_t)&a;
        if (sys_bpf (BPF_OBJ_GET_INFO_BY_FD, &info_attr) == 0 && a.id == ids[i])
          {
            close (fd);
            continue;
          }
      }
      sys_bpf (BPF_PROG_DETACH, &d);
      close (fd);
    }
}

static int
prog_load (const struct program *p, char *log, size_t log_size)
{
  union bpf_attr attr;
  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uint64_t)(uintptr_t)p->insns;
  attr.insn_cnt = (uint32_t)p->n;
  attr.license = (uint64_t)(uintptr_t) "GPL";
  if (log)
    {
      attr.log_buf = (uint64_t)(uintptr_t)log;
      attr.log_size = (uint32_t)log_size;
      attr.log_level = 1;
    }
  return (int)sys_bpf (BPF_PROG_LOAD, &attr);
}

/* Load without a verifier log first: before Linux 6.4 a log that fills
 * its buffer makes the load itself fail with ENOSPC, and the log of a
 * program with a few dozen rules is longer than any buffer worth having
 * (seen on Debian's 6.1).  Only a failed load is repeated with the log,
 * whose end says why. */
static int
load_program (const struct program *p, libcrun_error_t *err)
{
  char log[16384];
  size_t len;
  int prog = prog_load (p, NULL, 0), e;

  if (prog >= 0)
    return prog;
  e = errno;
  memset (log, 0, sizeof (log));
  prog = prog_load (p, log, sizeof (log));
  if (prog >= 0)
    return prog;
  len = strlen (log);
  while (len && log[len - 1] == '\n')
    log[--len] = '\0';
  return libcrun_make_error (err, e, "load the eBPF device program (verifier: %s)",
                             len == 0    ? "no log"
                             : len > 400 ? log + len - 400
                                         : log);
}

int
libcrun_cgroup_ebpf_devices (const char *dir, const struct libcrun_device_rule *rules, size_t n,
                             libcrun_error_t *err)
{
  struct program p = { NULL, 0, 0 };
  union bpf_attr attr;
  cleanup_close int cgfd = -1, prog = -1;
  size_t i;
  int ret = 0;

  program_prologue (&p);
  /* The last matching rule decides: test them from the last one; no match
   * denies. */
  for (i = n; i > 0; i--)
    if (program_rule (&p, &rules[i - 1]))
      break;
  if (i == 0)
    {
      emit (&p, insn (BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0));
      emit (&p, insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0));
    }

  prog = load_program (&p, err);
  free (p.insns);
  if (prog < 0)
    return -1;

  cgfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return libcrun_make_error (err, errno, "open `%s`", dir);
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = (uint32_t)cgfd;
  attr.attach_bpf_fd = (uint32_t)prog;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (sys_bpf (BPF_PROG_ATTACH, &attr) < 0)
    ret = libcrun_make_error (err, errno, "attach the eBPF device program to `%s`", dir);
  else
    detach_old_programs (cgfd, prog);
  return ret;
}
