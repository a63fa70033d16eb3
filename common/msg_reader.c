/*
 * Bounds-checked readers and a growable writer for variable message payloads.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "msg_reader.h"

void
msg_reader_init(struct msg_reader *r, const void *data, size_t len)
{
	r->p = data;
	r->left = len;
	r->failed = 0;
}

int
msg_get(struct msg_reader *r, void *dst, size_t len)
{
	if (r->failed || len > r->left) {
		r->failed = 1;
		return -1;
	}
	memcpy(dst, r->p, len);
	r->p += len;
	r->left -= len;
	return 0;
}

int
msg_get_bytes(struct msg_reader *r, const uint8_t **out, uint32_t *len, uint32_t max)
{
	uint32_t n;

	if (msg_get(r, &n, sizeof(n)) == -1)
		return -1;
	if (n > max || n > r->left) {
		r->failed = 1;
		return -1;
	}
	*out = r->p;
	*len = n;
	r->p += n;
	r->left -= n;
	return 0;
}

int
msg_get_str(struct msg_reader *r, char *dst, size_t dstsize)
{
	const uint8_t	*s;
	uint32_t	 n;

	if (dstsize == 0 || msg_get_bytes(r, &s, &n, UINT32_MAX) == -1)
		goto fail;
	if (n >= dstsize || memchr(s, '\0', n) != NULL)
		goto fail;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
fail:
	r->failed = 1;
	return -1;
}

int
msg_end(const struct msg_reader *r)
{
	return (r->failed || r->left != 0) ? -1 : 0;
}

void
msg_writer_init(struct msg_writer *w)
{
	w->buf = NULL;
	w->len = 0;
	w->cap = 0;
}

void
msg_put(struct msg_writer *w, const void *src, size_t len)
{
	size_t	 need, cap;
	uint8_t	*p;

	if (len > SIZE_MAX - w->len)
		fatalx("msg_put: size overflow");
	need = w->len + len;
	if (need > w->cap) {
		cap = w->cap ? w->cap : 256;
		while (cap < need)
			cap *= 2;
		if ((p = realloc(w->buf, cap)) == NULL)
			fatal("msg_put");
		w->buf = p;
		w->cap = cap;
	}
	if (len > 0)
		memcpy(w->buf + w->len, src, len);
	w->len = need;
}

void
msg_put_bytes(struct msg_writer *w, const void *src, uint32_t len)
{
	msg_put(w, &len, sizeof(len));
	msg_put(w, src, len);
}

void
msg_put_str(struct msg_writer *w, const char *s)
{
	size_t n = strlen(s);

	if (n > UINT32_MAX)
		fatalx("msg_put_str: string too long");
	msg_put_bytes(w, s, (uint32_t)n);
}

void
msg_writer_reset(struct msg_writer *w)
{
	w->len = 0;
}

void
msg_writer_free(struct msg_writer *w)
{
	free(w->buf);
	msg_writer_init(w);
}
