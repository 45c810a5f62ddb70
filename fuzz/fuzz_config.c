/*
 * fuzz_config.c - libFuzzer target for the configuration reader.
 *
 * config_load() takes a file name, so each input is written to a memfd
 * and read back through /proc/self/fd: no files left behind, no disk
 * traffic. Besides crashes and leaks it checks what the reader promises:
 * an error always comes with a message naming the file, and a success
 * leaves settings that obey the cross-key rules.
 */
#include "app/config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static int fd = -1;
static char path[64];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config c;
	char errbuf[512];

	if (fd < 0) {
		fd = memfd_create("fuzz_config", MFD_CLOEXEC);
		if (fd < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) || (size && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();

	config_defaults(&c);
	errbuf[0] = '\0';
	int err = config_load(&c, path, errbuf, sizeof(errbuf));
	if (err) {
		if (err != EINVAL || strncmp(errbuf, path, strlen(path)) != 0)
			abort();
		return 0;
	}
	if (c.min_expires > c.default_expires || c.default_expires > c.max_expires ||
	    c.listen_address_count == 0 || c.listen_address_count > CONFIG_MAX_LIST ||
	    c.domain_count > CONFIG_MAX_LIST || (c.tcp_port && c.tcp_port == c.tls_port) ||
	    !memchr(c.state_dir, '\0', sizeof(c.state_dir)) || !c.state_dir[0] ||
	    !memchr(c.realm, '\0', sizeof(c.realm)) || !memchr(c.log_level, '\0', sizeof(c.log_level)))
		abort();
	return 0;
}
