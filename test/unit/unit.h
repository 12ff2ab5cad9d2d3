/* SPDX-License-Identifier: GPL-2.0-or-later
 * unit.h - the unit-test runner's registration and assertion macros
 */
#ifndef UNIT_H
#define UNIT_H

#include <stdbool.h>

typedef void (*unit_fn)(void);

void unit_register(const char *file, const char *name, unit_fn fn);
void unit_fail(const char *file, int line, const char *what);
void unit_skip(const char *why);

/**
 * TEST() - define a test case, registered before main() runs
 */
#define TEST(name)							\
	static void name(void);						\
	__attribute__((constructor)) static void unit_reg_##name(void)	\
	{								\
		unit_register(__FILE__, #name, name);			\
	}								\
	static void name(void)

/**
 * CHECK() - fail the current test case and return from it unless @cond
 */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			unit_fail(__FILE__, __LINE__, #cond);		\
			return;						\
		}							\
	} while (0)

#endif /* UNIT_H */
