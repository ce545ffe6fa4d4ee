/* SPDX-License-Identifier: MIT */
/* pb-true — the tiny static program price's fork + exec runs (and hyperfine
 * runs beside it): it exits 0 at once. Built -static by the Makefile, next
 * to the parbench binary. */
int main(void)
{
	return 0;
}
