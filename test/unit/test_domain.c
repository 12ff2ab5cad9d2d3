// SPDX-License-Identifier: GPL-2.0-or-later
/* test_domain.c - domain names in DNS wire format */

#include <errno.h>
#include <string.h>

#include "domain.h"
#include "unit.h"

TEST(domain_encode_labels_and_root)
{
	const uint8_t want[] = { 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				 3, 'o', 'r', 'g', 0 };
	uint8_t buf[64];

	CHECK(domain_encode(buf, sizeof(buf), "example.org") == sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
	CHECK(domain_encode(buf, sizeof(buf), "example.org.") == sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
}

TEST(domain_encode_refuses_bad_names)
{
	char label64[80];
	uint8_t buf[300];

	memset(label64, 'a', 64);
	strcpy(label64 + 64, ".org");
	CHECK(domain_encode(buf, sizeof(buf), "") == -EINVAL);
	CHECK(domain_encode(buf, sizeof(buf), ".") == -EINVAL);
	CHECK(domain_encode(buf, sizeof(buf), "a..org") == -EINVAL);
	CHECK(domain_encode(buf, sizeof(buf), ".org") == -EINVAL);
	CHECK(domain_encode(buf, sizeof(buf), label64) == -EINVAL);
	label64[63] = 0;
	CHECK(domain_encode(buf, sizeof(buf), label64) == 65);
}

TEST(domain_encode_exact_fit_and_no_space)
{
	uint8_t buf[13];

	CHECK(domain_encode(buf, 13, "example.org") == 13);
	CHECK(domain_encode(buf, 12, "example.org") == -ENOSPC);
	CHECK(domain_encode(buf, 0, "example.org") == -ENOSPC);
}

TEST(domain_list_skips_invalid_names)
{
	char names[3][DOMAIN_MAXLEN] = { "a.example", "bad..name", "b" };
	const uint8_t want[] = { 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				 0, 1, 'b', 0 };
	uint8_t buf[64];

	CHECK(domain_list_encode(buf, sizeof(buf), names, 3) == sizeof(want));
	CHECK(!memcmp(buf, want, sizeof(want)));
	CHECK(domain_list_encode(buf, sizeof(want) - 1, names, 3) == -ENOSPC);
	CHECK(domain_list_encode(buf, sizeof(buf), names, 0) == 0);
}
