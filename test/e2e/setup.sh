#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/setup.sh: install what the QEMU end-to-end test needs
#
# Idempotent: installs only what is missing, from Debian's archive alone.
#   - qemu-system-x86 from bookworm-backports (QEMU 10)
#   - busybox-static, cpio, xz-utils, iproute2 (ip, ss, bridge), binutils
#     (objcopy), gcc and libc6-dev (the static e2e-pattern), util-linux
#     (setpriv), nftables (nft, for the same-ns migration case)
#   - a Debian kernel image, unpacked under CACHE_DIR (never into /boot)
#
# Usage: test/e2e/setup.sh [CACHE_DIR]	(default: build/e2e)

set -eu

CACHE="${1:-build/e2e}"
BACKPORTS_LIST=/etc/apt/sources.list.d/bookworm-backports.list
QEMU_MIN_MAJOR=10
APT_UPDATED=0

# apt_update() - run apt-get update once per invocation of this script
apt_update() {
	[ "${APT_UPDATED}" = 1 ] && return 0
	apt-get -q update >/dev/null
	APT_UPDATED=1
}

# backports_enabled() - true if bookworm-backports is among the apt sources
backports_enabled() {
	grep -rqs 'bookworm-backports' /etc/apt/sources.list \
		/etc/apt/sources.list.d/
}

# archive_uri() - print the URI of the apt source that carries bookworm itself
#
# bookworm-backports lives in the same archive as bookworm, so its URI is the
# one this machine already uses, read from deb822 .sources files or from
# one-line "deb URI SUITE ..." entries.
archive_uri() {
	{
		awk '/^URIs:/ { uri = $2 }
		     /^Suites:/ { for (i = 2; i <= NF; i++)
				      if ($i == "bookworm") print uri }
		     /^$/ { uri = "" }' /etc/apt/sources.list.d/*.sources \
			2>/dev/null
		awk '$1 == "deb" { for (i = 2; i < NF; i++)
				       if ($(i + 1) == "bookworm" &&
					   $i !~ /^\[/) print $i }' \
			/etc/apt/sources.list /etc/apt/sources.list.d/*.list \
			2>/dev/null
	} | head -1
}

# qemu_major() - print the major version of the installed QEMU, or 0
qemu_major() {
	qemu-system-x86_64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p' | head -1 |
		grep . || echo 0
}

# install_qemu() - install QEMU 10 from bookworm-backports unless present
install_qemu() {
	[ "$(qemu_major)" -ge "${QEMU_MIN_MAJOR}" ] && return 0
	if ! backports_enabled; then
		uri="$(archive_uri)"
		if [ -z "${uri}" ]; then
			echo "setup: no apt source carries bookworm, so the" \
			     "archive for bookworm-backports is unknown" >&2
			exit 1
		fi
		echo "deb ${uri} bookworm-backports main" > "${BACKPORTS_LIST}"
		APT_UPDATED=0
	fi
	apt_update
	DEBIAN_FRONTEND=noninteractive apt-get -q -y \
		-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
		install --no-install-recommends -t bookworm-backports \
		qemu-system-x86 >/dev/null
	if [ "$(qemu_major)" -lt "${QEMU_MIN_MAJOR}" ]; then
		echo "setup: QEMU >= ${QEMU_MIN_MAJOR} needed, have $(qemu_major)" >&2
		exit 1
	fi
}

# installed() - true if the Debian package $1 is installed
installed() {
	dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'ok installed'
}

# install_tools() - install the tools above (but QEMU) that are missing
install_tools() {
	missing=
	for pkg in busybox-static cpio xz-utils iproute2 binutils gcc libc6-dev \
		   util-linux nftables; do
		installed "${pkg}" || missing="${missing} ${pkg}"
	done
	[ -z "${missing}" ] && return 0
	apt_update
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive apt-get -q -y install \
		--no-install-recommends ${missing} >/dev/null
}

# kernel_package() - print the linux-image package linux-image-amd64 depends on
kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-[0-9].*-amd64\)$/\1/p' | head -1
}

# fetch_kernel() - download and unpack the Debian kernel into $CACHE/kernel
#
# The package is unpacked with dpkg-deb, never installed: $CACHE/kernel then
# holds boot/vmlinuz-VERSION, lib/modules/VERSION, a vmlinuz link and a file
# naming the package.
fetch_kernel() {
	[ -s "${CACHE}/kernel/vmlinuz" ] && return 0
	apt_update
	pkg="$(kernel_package)"
	if [ -z "${pkg}" ]; then
		echo "setup: cannot resolve linux-image-amd64's kernel" >&2
		exit 1
	fi
	mkdir -p "${CACHE}/deb"
	rm -rf "${CACHE}/kernel.tmp" "${CACHE}/deb/${pkg}"_*.deb
	(cd "${CACHE}/deb" &&
		apt-get -q -o APT::Sandbox::User=root download "${pkg}" >/dev/null)
	dpkg-deb -x "${CACHE}/deb/${pkg}"_*.deb "${CACHE}/kernel.tmp"
	image="$(cd "${CACHE}/kernel.tmp" && ls boot/vmlinuz-*)"
	ln -s "${image}" "${CACHE}/kernel.tmp/vmlinuz"
	echo "${pkg}" > "${CACHE}/kernel.tmp/package"
	rm -rf "${CACHE}/kernel" "${CACHE}/deb"
	mv "${CACHE}/kernel.tmp" "${CACHE}/kernel"
}

install_qemu
install_tools
fetch_kernel
