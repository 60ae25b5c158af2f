/* Copy a directory tree between two directory descriptors (tmpcopyup). */
#ifndef LIBCRUN_COPY_TREE_H
#define LIBCRUN_COPY_TREE_H

#include "error.h"

/* Copy the contents of the directory `src` into the directory `dst`:
 * files, directories, symlinks and special files, with their owners and
 * modes; nothing is followed.  `where` names `src` in errors. */
int libcrun_copy_tree (int src, int dst, const char *where, libcrun_error_t *err);

#endif
