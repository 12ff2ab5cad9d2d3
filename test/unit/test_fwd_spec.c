// SPDX-License-Identifier: GPL-2.0-or-later
/* test_fwd_spec.c - port forwarding specifications as passt spells them */

#include <arpa/inet.h>
#include <string.h>

#include "fwd_spec.h"
#include "unit.h"

/**
 * fwd_of() - parse specifications into a fresh table
 * @fwd:	table, cleared first
 * @a:		first argument
 * @b:		second argument, or NULL
 *
 * Return: 0 if every argument parsed, -1 otherwise
 */
static int fwd_of(struct fwd_ports *fwd, const char *a, const char *b)
{
	memset(fwd, 0, sizeof(*fwd));
	if (fwd_spec_parse(fwd, a))
		return -1;
	return b ? fwd_spec_parse(fwd, b) : 0;
}

TEST(fwd_spec_single_port_forwards_to_itself)
{
	struct fwd_ports f;
	uint16_t to = 0;

	CHECK(!fwd_of(&f, "22", NULL));
	CHECK(f.mode == FWD_SPEC);
	CHECK(fwd_spec_port_fwd(&f, 22, &to) && to == 22);
	CHECK(!fwd_spec_port_fwd(&f, 23, &to));
}

TEST(fwd_spec_range_with_remap_shifts_each_port)
{
	struct fwd_ports f;
	uint16_t to = 0;

	CHECK(!fwd_of(&f, "8000-8010:9000-9010", NULL));
	CHECK(fwd_spec_port_fwd(&f, 8005, &to) && to == 9005);
	CHECK(!fwd_spec_port_fwd(&f, 8011, &to));
}

TEST(fwd_spec_remap_single_port)
{
	struct fwd_ports f;
	uint16_t to = 0;

	CHECK(!fwd_of(&f, "10022:22", NULL));
	CHECK(fwd_spec_port_fwd(&f, 10022, &to) && to == 22);
}

TEST(fwd_spec_exclusions_alone_mean_all_others)
{
	struct fwd_ports f;
	uint16_t to = 0;

	CHECK(!fwd_of(&f, "~22,~80-90", NULL));
	CHECK(f.mode == FWD_ALL);
	CHECK(!fwd_spec_port_fwd(&f, 22, &to));
	CHECK(!fwd_spec_port_fwd(&f, 85, &to));
	CHECK(fwd_spec_port_fwd(&f, 443, &to) && to == 443);
}

TEST(fwd_spec_exclusion_wins_inside_a_range)
{
	struct fwd_ports f;
	uint16_t to = 0;

	CHECK(!fwd_of(&f, "1-1000,~22", NULL));
	CHECK(!fwd_spec_port_fwd(&f, 22, &to));
	CHECK(fwd_spec_port_fwd(&f, 21, &to));
}

TEST(fwd_spec_address_and_interface_binding)
{
	struct fwd_ports f;
	struct in_addr a;

	CHECK(!fwd_of(&f, "127.0.0.1%lo/8080", NULL));
	inet_pton(AF_INET, "127.0.0.1", &a);
	CHECK(f.specs[0].bind_addr.family == AF_INET);
	CHECK(f.specs[0].bind_addr.a4.s_addr == a.s_addr);
	CHECK(!strcmp(f.specs[0].bind_if, "lo"));
	CHECK(!fwd_of(&f, "::1/22", NULL));
	CHECK(f.specs[0].bind_addr.family == AF_INET6);
}

TEST(fwd_spec_keywords)
{
	struct fwd_ports f;

	CHECK(!fwd_of(&f, "all", NULL) && f.mode == FWD_ALL);
	CHECK(!fwd_of(&f, "auto", NULL) && f.mode == FWD_AUTO);
	CHECK(!fwd_of(&f, "none", NULL) && f.mode == FWD_NONE);
}

TEST(fwd_spec_malformed_is_refused)
{
	static const char *const bad[] = {
		"", "0", "65536", "80-70", "a", "22,", ",22", "22:", "1-10:5-7",
		"~22:23", "300.1.1.1/22", "1.2.3.4/", "%/22", "22-", "-5",
		"65535:2-3", "22x", "1.2.3.4%0123456789abcdefgh/22",
	};
	struct fwd_ports f;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK(fwd_of(&f, bad[i], NULL) == -1);
}

TEST(fwd_spec_none_after_ports_is_refused)
{
	struct fwd_ports f;

	CHECK(fwd_of(&f, "22", "none") == -1);
	CHECK(fwd_of(&f, "22", "all") == -1);
}
