// SPDX-License-Identifier: GPL-2.0-or-later
/* main.c - unit-test runner: runs every registered case, or those named */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "unit.h"

#define UNIT_MAX	1024

static struct {
	const char *file;
	const char *name;
	unit_fn fn;
} cases[UNIT_MAX];
static int case_count;
static bool current_failed;
static const char *current_skip;

/**
 * unit_register() - add a test case to the run
 * @file:	source file defining it
 * @name:	function name of the case
 * @fn:		the case
 */
void unit_register(const char *file, const char *name, unit_fn fn)
{
	if (case_count == UNIT_MAX) {
		fprintf(stderr, "too many unit tests, raise UNIT_MAX\n");
		exit(2);
	}
	cases[case_count].file = file;
	cases[case_count].name = name;
	cases[case_count].fn = fn;
	case_count++;
}

/**
 * unit_fail() - record a failed check in the current case
 * @file:	source file of the check
 * @line:	line of the check
 * @what:	the condition that did not hold
 */
void unit_fail(const char *file, int line, const char *what)
{
	fprintf(stderr, "  %s:%d: check failed: %s\n", file, line, what);
	current_failed = true;
}

/**
 * unit_skip() - mark the current case as skipped, with the reason
 * @why:	printed with the case's name
 */
void unit_skip(const char *why)
{
	current_skip = why;
}

/**
 * selected() - whether a case was asked for on the command line
 * @name:	case name
 * @argc:	argument count
 * @argv:	names of cases to run; none means all
 *
 * Return: true if the case runs
 */
static bool selected(const char *name, int argc, char **argv)
{
	int i;

	if (argc < 2)
		return true;
	for (i = 1; i < argc; i++)
		if (strstr(name, argv[i]))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0, i;

	/* Cases check return values; expected errors need not be printed */
	log_init("unit", true, NULL, getenv("UNIT_DEBUG") ? LOG_LEVEL_TRACE :
							    LOG_LEVEL_ERR);
	for (i = 0; i < case_count; i++) {
		if (!selected(cases[i].name, argc, argv))
			continue;
		current_failed = false;
		current_skip = NULL;
		cases[i].fn();
		if (current_failed) {
			printf("FAIL %s (%s)\n", cases[i].name, cases[i].file);
			failed++;
		} else if (current_skip) {
			printf("skip %s: %s\n", cases[i].name, current_skip);
			skipped++;
		} else {
			printf("ok   %s\n", cases[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("unit: %d passed, %d failed, %d skipped\n",
	       passed, failed, skipped);
	return failed ? 1 : 0;
}
