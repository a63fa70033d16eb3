/*
 * What the protocol test cases share.
 */
#ifndef PROTO_H
#define PROTO_H

#include <stdarg.h>

#include "vu_cli.h"
#include "vu_fuse.h"

struct proto_case {
	const char	*name;
	void		(*fn)(void);
	int		 flags;
};

extern struct vu_cli	cli;
extern int		failures;

void	check(int ok, const char *fmt, ...) __attribute__((__format__(printf, 2, 3)));
int	open_dev(struct vu_dev *, const struct vu_opts *);
int	do_init(struct vu_dev *);
char	*host_listing(const char *path);
/* Files the cases look for, created in --host-dir. */
int	populate(const char *dir);

void	case_mount(void);
void	case_mq(void);
void	case_indirect(void);
void	case_event_idx(void);
void	case_late_used_event(void);
void	case_unkicked_chain(void);
void	case_out_of_order(void);
void	case_reboot(void);
void	case_enosys(void);
void	case_before_init(void);
void	case_second_init(void);
void	case_add_mem_reg(void);
void	case_qemu_acks(void);
void	case_dirty_log(void);
void	case_state_save(void);
void	case_state_load(void);
void	case_state_bad(void);
void	case_state_worker_dies(void);

#endif
