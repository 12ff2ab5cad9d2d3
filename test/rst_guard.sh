# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/rst_guard.sh: drop the kernel's resets in a namespace while
# two daemons in it hand connections over (sourced by test/e2e/lib.sh and
# test/ns/lib.sh)
#
# In one namespace, the source closes a frozen socket before the target can
# connect the same addresses again; a peer's segment arriving in between
# meets no socket. See doc/operator-guide.md, "Source and target on one
# host".

# rst_guard_add() - drop the resets a namespace's kernel sends for segments
#		    that no socket owns
# $1:	namespace
#
# Such a reset, answering a segment that has ACK set, carries RST alone; a
# socket's own reset (an abort, or a close with SO_LINGER 0) carries RST and
# ACK, and still goes out.
# Return: 0 once the rule is in place
rst_guard_add() {
	ip netns exec "$1" nft -f - <<-EOF
	table inet test_rst_guard {
		chain out {
			type filter hook output priority 0; policy accept;
			tcp flags == rst counter drop
		}
	}
	EOF
}

# rst_guard_del() - remove rst_guard_add()'s rule, print how many it dropped
# $1:	namespace
rst_guard_del() {
	ip netns exec "$1" nft list table inet test_rst_guard 2>/dev/null |
		sed -n 's/.* counter packets \([0-9]*\) .*/\1/p'
	ip netns exec "$1" nft delete table inet test_rst_guard 2>/dev/null
	return 0
}
