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
 * - Between clone and exec, the processes the spawner creates (hooks,
 *   newuidmap/newgidmap, the waiter) call only async-signal-safe functions:
 *   no malloc, no lock, so threads of the caller that allocate at the same
 *   time cannot make them hang (tests/unit/test_threads_alloc.c counts the
 *   allocator calls made in children while four threads allocate).  The
 *   container's init and the process libcrun_container_exec starts are not
 *   such processes: they run library code (and malloc) between their clone
 *   and the container program's execve.  An embedder whose other threads
 *   allocate while it creates a container can see that init block forever
 *   on an allocator lock held at the clone (measured: about one run in five
 *   of contrib/embedder/supervisor.c before it locked around its creates).
 *   No other thread may be inside the allocator or hold a lock of libc
 *   during libcrun_container_create or libcrun_container_exec: the
 *   supervisor runs its threads under the read side of a lock whose write
 *   side it takes to create; a child process that creates is another way.
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
