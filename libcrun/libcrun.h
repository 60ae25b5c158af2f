/* Public header of libcrun: include this one to embed the runtime (build
 * with `pkg-config --cflags --libs libcrun`).  See error.h for the error
 * convention, log.h for log handling and helpers.h for the allocation
 * helpers (which abort on out of memory).  libcrun.so exports only the
 * functions marked LIBCRUN_PUBLIC in these headers; the crun front end
 * (src/) uses nothing else.
 *
 * What the library guarantees to the process that embeds it (each one is
 * checked by the test named after it):
 *
 * - Signals: it installs no signal handler and changes no signal
 *   disposition or mask of the caller; its hooks and helpers are created
 *   with exit signal 0, so the caller's SIGCHLD handler and waitpid(-1) never
 *   see them (tests/unit/test_embed_sigchld.c,
 *   tests/integration/test_embedder.py with contrib/embedder/supervisor.c).
 *   The container's init is the caller's child with exit signal SIGCHLD:
 *   its status belongs to whoever waits for it, as with crun; when a create
 *   fails, the library kills that init and waits for it itself.
 * - SIGPIPE: every write of the library to a pipe or socket uses
 *   MSG_NOSIGNAL or a memfd, so none is raised in the caller
 *   (tests/integration/test_library_guarantees.py).
 * - The caller's namespaces, cwd, umask and rlimits are left as they were,
 *   and no fd is left open once a container is deleted (500 runs in
 *   test_library_guarantees.py; namespaces joined by path in
 *   test_embed.py).
 * - Between clone and exec, every process the library creates calls only
 *   system calls: no malloc, no lock, so threads of the caller that
 *   allocate at the same time cannot make it hang.  The spawner's children
 *   (hooks, newuidmap/newgidmap, the waiter) exec their program; the
 *   container's init and the process libcrun_container_exec starts exec
 *   the runtime's helper (init_helper.h) right after their clone and do
 *   their set-up there, in a process image of their own; the children
 *   that join a container's namespaces for libcrun_container_exec and
 *   libcrun_container_change_mounts never exec and make system calls
 *   only.  tests/unit/test_threads_alloc.c counts
 *   the allocator calls made in children while four threads allocate and
 *   1,000 hooks run; tests/embed/threads-create.c does the same for 30
 *   containers created, exec'd into, given mounts and deleted
 *   (test_library_guarantees.py); contrib/embedder/supervisor.c creates
 *   containers in several threads at once while the others allocate.
 *   The helper is found where libcrun_set_helper says, by default the
 *   libcrun-init installed with the library.
 * - Out of memory: like crun, the library aborts the process (a failed
 *   allocation is not reported as an error).
 * - The library never prints (log.h routes messages to the caller's
 *   handler) and never exits the caller's process. */
#ifndef LIBCRUN_H
#define LIBCRUN_H

#include "error.h"
#include "helpers.h"
#include "log.h"
#include "config.h"
#include "state.h"
#include "container.h"
#include "exec.h"
#include "live_mounts.h"
#include "features.h"
#include "spec.h"
#include "init_helper.h"

#endif
