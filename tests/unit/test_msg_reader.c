/* Typed readers fail on short and trailing bytes and on oversized or NUL-holding strings. */
#include <stdint.h>
#include <string.h>

#include "msg_reader.h"
#include "check.h"

int
main(void)
{
	struct msg_writer	 w;
	struct msg_reader	 r;
	const uint8_t		*b;
	uint32_t		 u = 0x11223344, v, n;
	char			 s[8];

	msg_writer_init(&w);
	msg_put(&w, &u, sizeof(u));
	msg_put_str(&w, "name");
	msg_put_bytes(&w, "\0\1\2", 3);

	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get(&r, &v, sizeof(v)) == 0 && v == u);
	CHECK(msg_get_str(&r, s, sizeof(s)) == 0 && strcmp(s, "name") == 0);
	CHECK(msg_get_bytes(&r, &b, &n, 16) == 0 && n == 3 && b[2] == 2);
	CHECK(msg_end(&r) == 0);

	/* trailing bytes */
	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get(&r, &v, sizeof(v)) == 0);
	CHECK(msg_end(&r) == -1);

	/* short: one byte missing, then every later get fails too */
	msg_reader_init(&r, w.buf, w.len - 1);
	CHECK(msg_get(&r, &v, sizeof(v)) == 0);
	CHECK(msg_get_str(&r, s, sizeof(s)) == 0);
	CHECK(msg_get_bytes(&r, &b, &n, 16) == -1);
	CHECK(msg_end(&r) == -1);

	/* string longer than the destination */
	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get(&r, &v, sizeof(v)) == 0);
	CHECK(msg_get_str(&r, s, 4) == -1);
	CHECK(msg_end(&r) == -1);

	/* bytes over their maximum */
	msg_writer_reset(&w);
	msg_put_bytes(&w, "abcdef", 6);
	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get_bytes(&r, &b, &n, 5) == -1);

	/* a string holding a NUL */
	msg_writer_reset(&w);
	msg_put_bytes(&w, "a\0b", 3);
	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get_str(&r, s, sizeof(s)) == -1);

	/* a length prefix that claims more than there is */
	msg_writer_reset(&w);
	n = 1000;
	msg_put(&w, &n, sizeof(n));
	msg_put(&w, "xy", 2);
	msg_reader_init(&r, w.buf, w.len);
	CHECK(msg_get_bytes(&r, &b, &n, UINT32_MAX) == -1);

	msg_writer_free(&w);
	return check_done("test_msg_reader");
}
