/*
 * FALLOCATE (every mode), LSEEK (SEEK_DATA/SEEK_HOLE, on files only) and COPY_FILE_RANGE,
 * each one call on the guest's handles.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

#include "msg.h"
#include "msg_reader.h"
#include "worker.h"

void
op_fallocate(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_fallocate	 m;
	struct whandle		*h;
	int			 err = 0;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    m.offset > INT64_MAX || m.length > INT64_MAX) {
		reply_status(req, EINVAL);
		return;
	}
	if (ops_readonly(req) || (h = handle_get(m.fh, &err)) == NULL) {
		if (err != 0)
			reply_status(req, err);
		return;
	}
	/* The kernel checks the mode bits and offset + length overflow (EFBIG). */
	if (fallocate(handle_fd(h), (int)m.mode, (off_t)m.offset, (off_t)m.length) == -1)
		err = errno;
	handle_put(h);
	reply_status(req, err);
}

void
op_lseek(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_lseek	 m;
	struct whandle		*h;
	off_t			 off;
	int			 err = 0;

	/* a negative offset goes to lseek(2) as it is: ENXIO/EINVAL as on a local file */
	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    (m.whence != SEEK_SET && m.whence != SEEK_END &&
	    m.whence != SEEK_DATA && m.whence != SEEK_HOLE)) {
		reply_status(req, EINVAL);
		return;
	}
	if ((h = ops_handle(req, m.fh)) == NULL)
		return;
	/*
	 * A guest kernel seeks in a directory by itself (each READDIR carries its offset):
	 * LSEEK comes for files only. A directory fd's position belongs to the handle's
	 * READDIR stream; refuse as a local directory without SEEK_DATA/SEEK_HOLE does.
	 */
	if (S_ISDIR(node_type(handle_node(h)))) {
		handle_put(h);
		reply_status(req, EINVAL);
		return;
	}
	/* A file's position is not used by anything else (pread/pwrite). */
	off = lseek(handle_fd(h), (off_t)(int64_t)m.offset, (int)m.whence);
	if (off == -1)
		err = errno;
	handle_put(h);
	if (err != 0)
		reply_status(req, err);
	else
		reply_count(req, (uint64_t)off);
}

void
op_copy_file_range(struct wreq *req)
{
	struct msg_reader	 r;
	struct msg_copy_range	 m;
	struct whandle		*in = NULL, *out = NULL;
	loff_t			 off_in, off_out;
	ssize_t			 n = 0;
	int			 err = 0;

	if (ops_begin(req, &r, &m, sizeof(m)) != 0 || msg_end(&r) == -1 ||
	    m.off_in > INT64_MAX || m.off_out > INT64_MAX || m.flags > UINT32_MAX) {
		reply_status(req, EINVAL);
		return;
	}
	if (ops_readonly(req))
		return;
	if ((in = handle_get(m.fh_in, &err)) == NULL ||
	    (out = handle_get(m.fh_out, &err)) == NULL)
		goto done;
	if (node_id(handle_node(in)) != req->hdr.nodeid ||
	    node_id(handle_node(out)) != m.nodeid_out) {
		err = EBADF;
		goto done;
	}
	off_in = (loff_t)m.off_in;
	off_out = (loff_t)m.off_out;
	/* The guest's answer holds a 32-bit count. */
	n = copy_file_range(handle_fd(in), &off_in, handle_fd(out), &off_out,
	    m.len > UINT32_MAX ? UINT32_MAX : (size_t)m.len, (unsigned int)m.flags);
	if (n == -1)
		err = errno;
 done:
	if (out != NULL)
		handle_put(out);
	if (in != NULL)
		handle_put(in);
	if (err != 0)
		reply_status(req, err);
	else
		reply_count(req, (uint64_t)n);
}
