/* The allocator interposed so that calls made in a process other than the
 * test's own are counted: the tests that check that a child of the library
 * calls no allocator function between its clone and its execve
 * (test_threads_alloc.c, tests/embed/threads-create.c).  The test sets
 * main_pid and points foreign_calls at memory shared with its children.
 * Not under AddressSanitizer, which interposes the allocator itself
 * (COUNT_FOREIGN_CALLS is then 0). */
#ifndef FOREIGN_ALLOC_H
#define FOREIGN_ALLOC_H

#include <stddef.h>
#include <sys/syscall.h>
#include <unistd.h>

static long main_pid;
static volatile long *foreign_calls; /* shared with every child */

/* ---- the allocator, interposed: calls from another process are counted.
 * Not under AddressSanitizer, which interposes the allocator itself (the
 * sanitized run keeps the stress and the watchdog). */
#ifndef __SANITIZE_ADDRESS__
#define COUNT_FOREIGN_CALLS 1
extern void *__libc_malloc (size_t);
extern void *__libc_calloc (size_t, size_t);
extern void *__libc_realloc (void *, size_t);
extern void __libc_free (void *);
extern void *__libc_memalign (size_t, size_t);

static void
note_caller (void)
{
  if (foreign_calls && syscall (SYS_getpid) != main_pid)
    __atomic_add_fetch (foreign_calls, 1, __ATOMIC_SEQ_CST);
}

void *
malloc (size_t n)
{
  note_caller ();
  return __libc_malloc (n);
}

void *
calloc (size_t a, size_t b)
{
  note_caller ();
  return __libc_calloc (a, b);
}

void *
realloc (void *p, size_t n)
{
  note_caller ();
  return __libc_realloc (p, n);
}

void
free (void *p)
{
  note_caller ();
  __libc_free (p);
}

int
posix_memalign (void **out, size_t align, size_t n)
{
  note_caller ();
  *out = __libc_memalign (align, n);
  return *out ? 0 : 12; /* ENOMEM */
}
#else
#define COUNT_FOREIGN_CALLS 0
#endif

#endif
