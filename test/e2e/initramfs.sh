#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# passt - test/e2e/initramfs.sh: build the guest's initramfs (cpio newc, gzip)
#
# Usage: test/e2e/initramfs.sh KERNEL_DIR OUTPUT
#
# KERNEL_DIR is a Debian kernel package unpacked by setup.sh (it holds
# lib/modules/VERSION). The image contains a static busybox with a link for
# each applet, the modules virtio-net needs (and whatever they depend on, in
# load order), the guest's /init and udhcpc script from test/e2e/guest/, and
# e2e-pattern (test/e2e/pattern.c, built static): the same binary is left
# next to OUTPUT for the test's other end; and e2e-traffic
# (test/tools/tcp_traffic.c, built static) for the migration benchmark's
# many connections.

set -eu

KERNEL_DIR="$1"
OUTPUT="$2"
GUEST_DIR="$(dirname "$0")/guest"
PATTERN_SRC="$(dirname "$0")/pattern.c"
PATTERN="$(dirname "${OUTPUT}")/e2e-pattern"
TRAFFIC_SRC="$(dirname "$0")/../tools/tcp_traffic.c"
TRAFFIC="$(dirname "${OUTPUT}")/e2e-traffic"
BUSYBOX="${BUSYBOX:-/bin/busybox}"
# Modules the guest needs; their dependencies are found from their .modinfo
WANTED_MODULES="virtio_pci virtio_net"

MODDIR="$(ls -d "${KERNEL_DIR}"/lib/modules/*/ | head -1)"
STAGE="${OUTPUT}.d"

# module_file() - print the path of module $1 (.ko or .ko.xz), if it exists
# $1:	module name, with underscores or dashes
module_file() {
	pattern="$(echo "$1" | sed 's/[-_]/[-_]/g')"
	find "${MODDIR}" \( -name "${pattern}.ko" -o -name "${pattern}.ko.xz" \) |
		head -1
}

# builtin() - true if module $1 is built into the kernel
# $1:	module name
builtin() {
	grep -q "/${1}\.ko\$" "${MODDIR}/modules.builtin" 2>/dev/null
}

# module_depends() - print the modules the plain .ko file $1 depends on
# $1:	path of an uncompressed module
module_depends() {
	objcopy -O binary -j .modinfo "$1" "${STAGE}/.modinfo"
	tr '\0' '\n' < "${STAGE}/.modinfo" | sed -n 's/^depends=//p' | tr ',' ' '
	rm -f "${STAGE}/.modinfo"
}

# add_module() - copy module $1 and, first, its dependencies into the image
# $1:	module name
#
# Appends each module's file name to lib/modules/load.order after all of its
# dependencies, so that the guest can insmod them in that order.
add_module() {
	local name src dst dep

	name="$(echo "$1" | tr '-' '_')"
	grep -qx "${name}.ko" "${STAGE}/lib/modules/load.order" && return 0
	builtin "${name}" && return 0

	src="$(module_file "${name}")"
	if [ -z "${src}" ]; then
		echo "initramfs: module ${name} not found in ${MODDIR}" >&2
		exit 1
	fi
	dst="${STAGE}/lib/modules/${name}.ko"
	case "${src}" in
	*.xz)	xz -dc "${src}" > "${dst}" ;;
	*)	cp "${src}" "${dst}" ;;
	esac

	for dep in $(module_depends "${dst}"); do
		add_module "${dep}"
	done
	echo "${name}.ko" >> "${STAGE}/lib/modules/load.order"
}

# add_busybox() - copy the static busybox and link every applet to it
add_busybox() {
	if LC_ALL=C readelf -l "${BUSYBOX}" | grep -q 'program interpreter'; then
		echo "initramfs: ${BUSYBOX} is not static (busybox-static?)" >&2
		exit 1
	fi
	cp "${BUSYBOX}" "${STAGE}/bin/busybox"
	for applet in $("${BUSYBOX}" --list); do
		[ "${applet}" = busybox ] && continue
		ln -s busybox "${STAGE}/bin/${applet}"
	done
}

rm -rf "${STAGE}"
mkdir -p "${STAGE}"/{bin,dev,proc,sys,etc,tmp,run,lib/modules}
: > "${STAGE}/lib/modules/load.order"
# The kernel opens /dev/console for /init before devtmpfs is mounted
mknod -m 600 "${STAGE}/dev/console" c 5 1
ln -s bin "${STAGE}/sbin"
mkdir -p "${STAGE}/usr" && ln -s ../bin "${STAGE}/usr/bin"

add_busybox
for module in ${WANTED_MODULES}; do
	add_module "${module}"
done
${CC:-gcc} -static -O2 -Wall -Wextra -Werror -o "${PATTERN}" "${PATTERN_SRC}"
install -m 755 "${PATTERN}" "${STAGE}/bin/e2e-pattern"
${CC:-gcc} -static -D_GNU_SOURCE -O2 -Wall -Wextra -Werror -o "${TRAFFIC}" \
	"${TRAFFIC_SRC}"
install -m 755 "${TRAFFIC}" "${STAGE}/bin/e2e-traffic"
install -m 755 "${GUEST_DIR}/init" "${STAGE}/init"
install -m 755 "${GUEST_DIR}/udhcpc.script" "${STAGE}/etc/udhcpc.script"

(cd "${STAGE}" && find . -mindepth 1 | LC_ALL=C sort |
	cpio --quiet -o -H newc -R 0:0) | gzip -6 > "${OUTPUT}.tmp"
mv "${OUTPUT}.tmp" "${OUTPUT}"
rm -rf "${STAGE}"
