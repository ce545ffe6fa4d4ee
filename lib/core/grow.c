/* SPDX-License-Identifier: MIT */
/* grow — see grow.h. */
#include "grow.h"

#include <stdio.h>
#include <stdlib.h>

void *grow(void *p, size_t *cap, size_t need, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;

	if (need <= *cap)
		return p;
	while (n < need)
		n *= 2;
	p = realloc(p, n * size);
	if (!p) {
		fprintf(stderr, "parbench: out of memory (%zu bytes)\n", n * size);
		exit(1);
	}
	*cap = n;
	return p;
}
