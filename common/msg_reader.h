/*
 * Typed readers for variable message payloads (OpenSMTPD mproc.c m_get_* / m_end): every
 * read is bounds-checked, and the message is rejected on short or trailing bytes.
 * Fields are written with msg_put_*() into an iovec-free growable buffer.
 */
#ifndef PRIVFSD_MSG_READER_H
#define PRIVFSD_MSG_READER_H

#include <stddef.h>
#include <stdint.h>

struct msg_reader {
	const uint8_t	*p;
	size_t		 left;
	int		 failed;	/* sticky: any failed get makes msg_end() fail */
};

void	msg_reader_init(struct msg_reader *, const void *data, size_t len);
/* Copy len fixed bytes. Returns 0, or -1 (and sets failed) when short. */
int	msg_get(struct msg_reader *, void *dst, size_t len);
/*
 * A length-prefixed field (u32 length, then bytes; no padding). *out points into the
 * message. Returns 0, or -1 when short or longer than max.
 */
int	msg_get_bytes(struct msg_reader *, const uint8_t **out, uint32_t *len, uint32_t max);
/*
 * A length-prefixed string whose bytes hold no NUL, copied NUL-terminated into dst of
 * dstsize bytes. Returns 0, or -1 when short, too long for dst, or holding a NUL.
 */
int	msg_get_str(struct msg_reader *, char *dst, size_t dstsize);
/* 0 when every byte was read and no get failed; -1 otherwise. */
int	msg_end(const struct msg_reader *);

/* Writer: a growable buffer the sender fills, then hands to chan_compose(). */
struct msg_writer {
	uint8_t		*buf;
	size_t		 len;
	size_t		 cap;
};

void	msg_writer_init(struct msg_writer *);
void	msg_put(struct msg_writer *, const void *src, size_t len);
void	msg_put_bytes(struct msg_writer *, const void *src, uint32_t len);	/* u32 length + bytes */
void	msg_put_str(struct msg_writer *, const char *s);	/* u32 length + bytes, no NUL */
void	msg_writer_reset(struct msg_writer *);		/* len = 0, keeps the buffer */
void	msg_writer_free(struct msg_writer *);

#endif
