/* Raw syscall wrappers and kernel constants that Debian 12's headers lack.
 * Every constant is guarded by #ifndef so newer headers win.  Support for
 * new kernel features is probed at run time by the callers (see spawn.c),
 * never assumed from these definitions. */
#ifndef LIBCRUN_SYSCALLS_H
#define LIBCRUN_SYSCALLS_H

#include <errno.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef __NR_clone3
#define __NR_clone3 435
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2) /* 5.11+ */
#endif

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif
/* Upstream Linux 7.1 values (include/uapi/linux/sched.h), clone3 only. */
#ifndef CLONE_AUTOREAP
#define CLONE_AUTOREAP 0x400000000ULL
#endif
#ifndef CLONE_NNP
#define CLONE_NNP 0x800000000ULL
#endif
#ifndef CLONE_PIDFD_AUTOKILL
#define CLONE_PIDFD_AUTOKILL 0x1000000000ULL
#endif

/* P_PIDFD comes from glibc's <sys/wait.h> (2.36+), as an enum value. */
#ifndef __WALL
#define __WALL 0x40000000
#endif

/* The clone3 argument block, CLONE_ARGS_SIZE_VER2 (88 bytes). */
struct libcrun_clone_args
{
  uint64_t flags;
  uint64_t pidfd;
  uint64_t child_tid;
  uint64_t parent_tid;
  uint64_t exit_signal;
  uint64_t stack;
  uint64_t stack_size;
  uint64_t tls;
  uint64_t set_tid;
  uint64_t set_tid_size;
  uint64_t cgroup;
};

/* PIDFD_GET_INFO, Linux 6.13+; PIDFD_INFO_EXIT, 6.15+.  Only the first 64
 * bytes are described; the kernel accepts any size >= 64. */
struct libcrun_pidfd_info
{
  uint64_t mask;
  uint64_t cgroupid;
  uint32_t pid;
  uint32_t tgid;
  uint32_t ppid;
  uint32_t ruid;
  uint32_t rgid;
  uint32_t euid;
  uint32_t egid;
  uint32_t suid;
  uint32_t sgid;
  uint32_t fsuid;
  uint32_t fsgid;
  int32_t exit_code;
};
#ifndef PIDFD_INFO_PID
#define PIDFD_INFO_PID (1UL << 0)
#endif
#ifndef PIDFD_INFO_CREDS
#define PIDFD_INFO_CREDS (1UL << 1)
#endif
#ifndef PIDFD_INFO_CGROUPID
#define PIDFD_INFO_CGROUPID (1UL << 2)
#endif
#ifndef PIDFD_INFO_EXIT
#define PIDFD_INFO_EXIT (1UL << 3)
#endif
#ifndef PIDFD_GET_INFO
#define PIDFD_GET_INFO _IOWR (0xFF, 11, struct libcrun_pidfd_info)
#endif

/* openat2 and its resolve flags (5.6+). */
struct libcrun_open_how
{
  uint64_t flags;
  uint64_t mode;
  uint64_t resolve;
};
#ifndef RESOLVE_NO_XDEV
#define RESOLVE_NO_XDEV 0x01
#endif
#ifndef RESOLVE_NO_MAGICLINKS
#define RESOLVE_NO_MAGICLINKS 0x02
#endif
#ifndef RESOLVE_NO_SYMLINKS
#define RESOLVE_NO_SYMLINKS 0x04
#endif
#ifndef RESOLVE_BENEATH
#define RESOLVE_BENEATH 0x08
#endif
#ifndef RESOLVE_IN_ROOT
#define RESOLVE_IN_ROOT 0x10
#endif

static inline long
sys_clone3 (struct libcrun_clone_args *args, size_t size)
{
  return syscall (__NR_clone3, args, size);
}

/* clone3 with the child born in the cgroup2 directory cgroup_fd
 * (CLONE_INTO_CGROUP, 5.7+) when that is >= 0; a kernel that refuses the
 * flag gets the clone without it, and *born says which happened. */
static inline long
sys_clone3_into_cgroup (struct libcrun_clone_args *args, int cgroup_fd, bool *born)
{
  long r;
  if (cgroup_fd >= 0)
    {
      args->flags |= CLONE_INTO_CGROUP;
      args->cgroup = (uint64_t)cgroup_fd;
    }
  r = sys_clone3 (args, sizeof (*args));
  if (r < 0 && cgroup_fd >= 0 && (errno == EINVAL || errno == E2BIG || errno == EOPNOTSUPP))
    {
      args->flags &= ~CLONE_INTO_CGROUP;
      args->cgroup = 0;
      r = sys_clone3 (args, sizeof (*args));
    }
  *born = r >= 0 && (args->flags & CLONE_INTO_CGROUP);
  return r;
}

static inline int
sys_pidfd_open (pid_t pid, unsigned int flags)
{
  return (int)syscall (__NR_pidfd_open, pid, flags);
}

static inline int
sys_pidfd_send_signal (int pidfd, int sig, siginfo_t *info, unsigned int flags)
{
  return (int)syscall (__NR_pidfd_send_signal, pidfd, sig, info, flags);
}

static inline int
sys_openat2 (int dirfd, const char *path, struct libcrun_open_how *how)
{
  return (int)syscall (__NR_openat2, dirfd, path, how, sizeof (*how));
}

static inline int
sys_pivot_root (const char *new_root, const char *put_old)
{
  return (int)syscall (__NR_pivot_root, new_root, put_old);
}

static inline int
sys_close_range (unsigned int first, unsigned int last, unsigned int flags)
{
  return (int)syscall (__NR_close_range, first, last, flags);
}

/* A detached copy of the mount tree at path (5.2+), for move_mount. */
static inline int
sys_open_tree (int dirfd, const char *path, unsigned int flags)
{
  return (int)syscall (__NR_open_tree, dirfd, path, flags);
}

/* Per-mount attributes of mount_setattr (5.12+), the kernel's values
 * (linux/mount.h is not included: older headers lack them). */
#define LIBCRUN_MOUNT_ATTR_RDONLY 0x00000001
#define LIBCRUN_MOUNT_ATTR_NOSUID 0x00000002
#define LIBCRUN_MOUNT_ATTR_NODEV 0x00000004
#define LIBCRUN_MOUNT_ATTR_NOEXEC 0x00000008
#define LIBCRUN_MOUNT_ATTR__ATIME 0x00000070
#define LIBCRUN_MOUNT_ATTR_RELATIME 0x00000000
#define LIBCRUN_MOUNT_ATTR_NOATIME 0x00000010
#define LIBCRUN_MOUNT_ATTR_STRICTATIME 0x00000020
#define LIBCRUN_MOUNT_ATTR_NODIRATIME 0x00000080
#define LIBCRUN_MOUNT_ATTR_IDMAP 0x00100000
#define LIBCRUN_MOUNT_ATTR_NOSYMFOLLOW 0x00200000

struct libcrun_mount_attr
{
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};

static inline int
sys_mount_setattr (int dirfd, const char *path, unsigned int flags, struct libcrun_mount_attr *attr)
{
  return (int)syscall (__NR_mount_setattr, dirfd, path, flags, attr, sizeof (*attr));
}

static inline int
sys_move_mount (int from_dirfd, const char *from_path, int to_dirfd, const char *to_path,
                unsigned int flags)
{
  return (int)syscall (__NR_move_mount, from_dirfd, from_path, to_dirfd, to_path, flags);
}

#endif
