// SPDX-License-Identifier: GPL-2.0-or-later
/* virtio.c - split virtqueues in guest memory: descriptor chains, used ring,
 *	      notifications and dirty-page logging
 *
 * Everything here reads memory that a possibly hostile guest writes at the
 * same time: each shared field is loaded once into a local and checked there,
 * every index is bounded by the ring size, every buffer address is translated
 * through the memory table with its length, and descriptor chains are bounded
 * in length so that a loop cannot make the daemon spin.
 *
 * Ordering follows the virtio specification: the available index is read
 * before the ring entries and descriptors it covers (read barrier), used
 * entries and buffer contents are written before the used index that
 * publishes them (write barrier), and a full fence separates publishing from
 * reading the driver's notification fields (and writing avail_event from
 * re-reading the available index), or an event could be lost.
 */

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"
#include "virtio.h"

#define smp_rmb()	__atomic_thread_fence(__ATOMIC_ACQUIRE)
#define smp_wmb()	__atomic_thread_fence(__ATOMIC_RELEASE)
#define smp_mb()	__atomic_thread_fence(__ATOMIC_SEQ_CST)

/**
 * load16() - read a little-endian 16-bit field of shared memory, once
 * @p:		field
 *
 * Return: value in host order
 */
static uint16_t load16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

/**
 * store16() - write a little-endian 16-bit field of shared memory, once
 * @p:		field
 * @v:		value in host order
 */
static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

/**
 * vu_fd_map() - map a file the front-end shares, from offset 0 to @end
 * @fd:		file descriptor from the front-end
 * @end:	offset one past the last byte that will be accessed
 * @what:	prefix for the log message on failure
 *
 * Accessing a shared mapping beyond the end of its file kills the process
 * with SIGBUS: the file's type and size are checked first.
 *
 * Return: the mapping, or NULL (logged) on failure
 */
static void *vu_fd_map(int fd, uint64_t end, const char *what)
{
	struct stat st;
	void *map;

	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size < end) {
		err("%s: fd is not a file of at least 0x%llx bytes", what,
		    (unsigned long long)end);
		return NULL;
	}
	map = mmap(NULL, end, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		   fd, 0);
	if (map == MAP_FAILED) {
		err("%s: mmap of 0x%llx bytes failed: %s", what,
		    (unsigned long long)end, strerror(errno));
		return NULL;
	}
	return map;
}

/**
 * vu_region_map() - check and map one region of guest memory
 * @out:	mapped region
 * @gpa:	guest-physical address of the region
 * @size:	its length
 * @uva:	its front-end address
 * @offset:	its offset in @fd
 * @fd:		file descriptor holding it
 * @what:	prefix for log messages
 *
 * Return: 0 on success, -1 (logged) on failure
 */
int vu_region_map(struct vu_region *out, uint64_t gpa, uint64_t size,
		  uint64_t uva, uint64_t offset, int fd, const char *what)
{
	uint64_t end = offset + size;
	void *map;

	if (!size || end < size || gpa + size < gpa || uva + size < uva ||
	    end > SIZE_MAX) {
		err("%s: size 0x%llx at offset 0x%llx, address 0x%llx overflows",
		    what, (unsigned long long)size,
		    (unsigned long long)offset, (unsigned long long)gpa);
		return -1;
	}
	map = vu_fd_map(fd, end, what);
	if (!map)
		return -1;
	out->gpa = gpa;
	out->size = size;
	out->uva = uva;
	out->map = map;
	out->map_len = end;
	out->host = (uint8_t *)map + offset;
	return 0;
}

/**
 * vu_mem_unmap() - unmap every guest memory region
 * @m:		guest memory
 */
void vu_mem_unmap(struct vu_mem *m)
{
	unsigned int i;

	for (i = 0; i < m->nregions; i++)
		munmap(m->regions[i].map, m->regions[i].map_len);
	m->nregions = 0;
}

/**
 * vu_log_map() - check and map the dirty log, replacing any previous one
 * @m:		guest memory
 * @fd:		file descriptor holding the log
 * @size:	bytes of the log
 * @offset:	offset of the log in @fd
 * @what:	prefix for log messages
 *
 * Return: 0 on success, -1 (logged) on failure
 */
int vu_log_map(struct vu_mem *m, int fd, uint64_t size, uint64_t offset,
	       const char *what)
{
	uint64_t end = size + offset;
	void *map;

	if (!size || end < size || end > SIZE_MAX) {
		err("%s: size 0x%llx at offset 0x%llx is invalid", what,
		    (unsigned long long)size, (unsigned long long)offset);
		return -1;
	}
	map = vu_fd_map(fd, end, what);
	if (!map)
		return -1;
	vu_log_unmap(m);
	m->log_map = map;
	m->log_map_len = end;
	m->log = (uint8_t *)map + offset;
	m->log_size = size;
	return 0;
}

/**
 * vu_log_unmap() - unmap the dirty log, if any
 * @m:		guest memory
 */
void vu_log_unmap(struct vu_mem *m)
{
	if (m->log_map)
		munmap(m->log_map, m->log_map_len);
	m->log_map = NULL;
	m->log = NULL;
	m->log_size = 0;
}

/**
 * vu_region_find() - the region holding a guest-physical address
 * @m:		guest memory
 * @gpa:	guest-physical address
 *
 * Return: region, or NULL if the address is outside every region
 */
static const struct vu_region *vu_region_find(const struct vu_mem *m,
					      uint64_t gpa)
{
	unsigned int i;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_region *r = &m->regions[i];

		if (gpa >= r->gpa && gpa - r->gpa < r->size)
			return r;
	}
	return NULL;
}

/**
 * vu_gpa_to_host() - translate a guest-physical address
 * @m:		guest memory
 * @gpa:	guest-physical address
 * @len:	bytes wanted; on return, bytes contiguous at the result (may be
 *		fewer: the caller goes on with the next region)
 *
 * Return: pointer in the daemon's mapping, or NULL if @gpa is not mapped
 */
void *vu_gpa_to_host(const struct vu_mem *m, uint64_t gpa, uint64_t *len)
{
	const struct vu_region *r = vu_region_find(m, gpa);

	if (!r)
		return NULL;
	*len = MIN(*len, r->size - (gpa - r->gpa));
	return r->host + (gpa - r->gpa);
}

/**
 * vu_uva_to_host() - translate a front-end address range inside one region
 * @m:		guest memory
 * @uva:	front-end virtual address (as in SET_VRING_ADDR)
 * @len:	length of the range, all of which must be in one region
 *
 * Return: pointer in the daemon's mapping, or NULL if not wholly mapped
 */
void *vu_uva_to_host(const struct vu_mem *m, uint64_t uva, uint64_t len)
{
	unsigned int i;

	for (i = 0; i < m->nregions; i++) {
		const struct vu_region *r = &m->regions[i];

		if (uva >= r->uva && uva - r->uva < r->size &&
		    len <= r->size - (uva - r->uva))
			return r->host + (uva - r->uva);
	}
	return NULL;
}

/**
 * vu_log_write() - mark the pages of a guest-memory write in the dirty log
 * @m:		guest memory, with its log
 * @gpa:	guest-physical address written
 * @len:	bytes written, all inside one mapped region
 */
void vu_log_write(struct vu_mem *m, uint64_t gpa, uint64_t len)
{
	uint64_t page, last;

	if (!m->log_on || !m->log || !len)
		return;
	last = (gpa + len - 1) / VU_LOG_PAGE;
	for (page = gpa / VU_LOG_PAGE; page <= last; page++) {
		if (page / 8 >= m->log_size) {
			m->log_missed++;
			continue;
		}
		__atomic_fetch_or(&m->log[page / 8], (uint8_t)(1U << (page % 8)),
				  __ATOMIC_RELAXED);
	}
	m->log_kick = true;
}

/**
 * vu_log_kick() - tell the front-end that the log changed, if it did
 * @m:		guest memory, with its log
 */
void vu_log_kick(struct vu_mem *m)
{
	if (m->log_missed) {
		err_ratelimit("vhost-user: %lu writes beyond the dirty log",
			      m->log_missed);
		m->log_missed = 0;
	}
	if (!m->log_kick)
		return;
	m->log_kick = false;
	if (m->log_fd >= 0)
		eventfd_write(m->log_fd, 1);
}

/**
 * used_log() - mark a write into the used ring, if the ring is logged
 * @q:		virtqueue
 * @m:		guest memory
 * @field:	written field, inside the used ring
 * @len:	bytes written
 */
static void used_log(const struct virtq *q, struct vu_mem *m,
		     const void *field, size_t len)
{
	if (q->log_used)
		vu_log_write(m, q->log_gpa + (uint64_t)((const uint8_t *)field -
						       (uint8_t *)q->used),
			     len);
}

/**
 * virtq_start() - map a queue's rings, before it is processed
 * @q:		virtqueue, with @num and @last_avail set
 * @m:		guest memory
 * @desc_uva:	front-end address of the descriptor table
 * @avail_uva:	front-end address of the available ring
 * @used_uva:	front-end address of the used ring
 *
 * Return: 0 on success, -EFAULT if a ring is not wholly mapped or misaligned
 */
int virtq_start(struct virtq *q, const struct vu_mem *m, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva)
{
	uint16_t used_idx;

	q->desc = vu_uva_to_host(m, desc_uva, VRING_DESC_SIZE(q->num));
	q->avail = vu_uva_to_host(m, avail_uva, VRING_AVAIL_SIZE(q->num));
	q->used = vu_uva_to_host(m, used_uva, VRING_USED_SIZE(q->num));
	if (!q->desc || !q->avail || !q->used ||
	    (uintptr_t)q->desc % 16 || (uintptr_t)q->avail % 2 ||
	    (uintptr_t)q->used % 4) {
		q->desc = NULL;
		q->avail = NULL;
		q->used = NULL;
		return -EFAULT;
	}

	/* Chains are completed in order: whatever the used ring says was
	 * completed is where the device resumes
	 */
	used_idx = load16(&q->used->idx);
	if (used_idx != q->last_avail)
		debug("vhost-user: ring base %u, used index %u: resuming at %u",
		      q->last_avail, used_idx, used_idx);
	q->last_avail = q->used_idx = used_idx;
	q->signalled_valid = false;
	return 0;
}

/**
 * virtq_avail_count() - chains the driver made available and not yet taken
 * @q:		started virtqueue
 *
 * Return: count, or -EINVAL if the driver's index is impossible
 */
int virtq_avail_count(const struct virtq *q)
{
	uint16_t n = load16(&q->avail->idx) - q->last_avail;

	if (n > q->num)
		return -EINVAL;
	/* Ring entries and descriptors are read after the index */
	smp_rmb();
	return n;
}

/**
 * chain_add() - append one descriptor's buffer to a chain
 * @chain:	chain being collected
 * @d:		descriptor, already copied out of shared memory
 *
 * Return: 0 on success, -E2BIG if the chain has too many buffers
 */
static int chain_add(struct virtq_chain *chain, const struct vring_desc *d)
{
	bool in = d->flags & VRING_DESC_F_WRITE;
	struct virtq_seg *segs = in ? chain->in : chain->out;
	unsigned int *cnt = in ? &chain->in_cnt : &chain->out_cnt;

	if (!d->len)
		return 0;
	if (*cnt == VIRTQ_SEGS_MAX)
		return -E2BIG;
	segs[*cnt].gpa = d->addr;
	segs[*cnt].len = d->len;
	(*cnt)++;
	if (in)
		chain->in_len += d->len;
	else
		chain->out_len += d->len;
	return 0;
}

/**
 * desc_load() - copy one descriptor out of shared memory, in host order
 * @table:	descriptor table
 * @i:		index, already checked against the table's size
 * @d:		result
 */
static void desc_load(const struct vring_desc *table, unsigned int i,
		      struct vring_desc *d)
{
	struct vring_desc raw;

	memcpy(&raw, &table[i], sizeof(raw));
	d->addr = le64toh(raw.addr);
	d->len = le32toh(raw.len);
	d->flags = le16toh(raw.flags);
	d->next = le16toh(raw.next);
}

/**
 * chain_walk() - collect the buffers of a chain, following indirect tables
 * @q:		virtqueue
 * @m:		guest memory
 * @chain:	chain with @head set, buffers filled in
 *
 * Return: 0 on success, -EBADMSG for a loop, a bad index or a bad indirect
 *	   table, -E2BIG for too many buffers
 */
static int chain_walk(const struct virtq *q, const struct vu_mem *m,
		      struct virtq_chain *chain)
{
	const struct vring_desc *table = q->desc;
	unsigned int limit = q->num, i = chain->head, visited = 0;
	bool indirect = false;
	struct vring_desc d;
	int ret;

	for (;;) {
		if (visited++ >= limit)
			return -EBADMSG;
		desc_load(table, i, &d);

		if (d.flags & VRING_DESC_F_INDIRECT) {
			uint64_t len = d.len;

			if (indirect || (d.flags & VRING_DESC_F_NEXT) ||
			    !d.len || d.len % sizeof(d) ||
			    d.len / sizeof(d) > VIRTQ_SIZE_MAX)
				return -EBADMSG;
			table = vu_gpa_to_host(m, d.addr, &len);
			if (!table || len != d.len ||
			    (uintptr_t)table % _Alignof(struct vring_desc))
				return -EBADMSG;
			limit = d.len / sizeof(d);
			indirect = true;
			visited = 0;
			i = 0;
			continue;
		}

		ret = chain_add(chain, &d);
		if (ret)
			return ret;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= limit)
			return -EBADMSG;
	}
}

/**
 * virtq_pop() - take the next available chain and collect its buffers
 * @q:		started virtqueue
 * @m:		guest memory
 * @chain:	result
 *
 * On -EBADMSG and -E2BIG the chain is taken (chain->head is valid): the
 * caller gives it back with no data written.
 *
 * Return: 1 if a chain was taken, 0 if none is available, -EINVAL if the
 *	   available ring is corrupt, -EBADMSG or -E2BIG for a bad chain
 */
int virtq_pop(struct virtq *q, const struct vu_mem *m,
	      struct virtq_chain *chain)
{
	int avail = virtq_avail_count(q);
	uint16_t head;
	int ret;

	if (avail <= 0)
		return avail;
	head = load16(&q->avail->ring[q->last_avail % q->num]);
	if (head >= q->num)
		return -EINVAL;
	q->last_avail++;

	chain->head = head;
	chain->out_cnt = chain->in_cnt = 0;
	chain->out_len = chain->in_len = 0;
	ret = chain_walk(q, m, chain);
	return ret ? ret : 1;
}

/**
 * virtq_unpop() - give back chains taken but not used, in reverse order
 * @q:		virtqueue
 * @n:		number of chains
 */
void virtq_unpop(struct virtq *q, unsigned int n)
{
	q->last_avail -= (uint16_t)n;
}

/**
 * virtq_chain_read() - copy the device-readable part of a chain
 * @m:		guest memory
 * @chain:	chain
 * @buf:	destination
 * @size:	size of @buf
 *
 * The data is copied, never used in place: the guest can change it at any
 * time, and checks done on a copy stay true.
 *
 * Return: bytes copied, -EMSGSIZE if larger than @size, -EFAULT if a buffer
 *	   is not in guest memory
 */
ssize_t virtq_chain_read(const struct vu_mem *m,
			 const struct virtq_chain *chain, uint8_t *buf,
			 size_t size)
{
	size_t done = 0;
	unsigned int i;

	if (chain->out_len > size)
		return -EMSGSIZE;
	for (i = 0; i < chain->out_cnt; i++) {
		uint64_t gpa = chain->out[i].gpa, left = chain->out[i].len;

		while (left) {
			uint64_t n = left;
			const void *p = vu_gpa_to_host(m, gpa, &n);

			if (!p)
				return -EFAULT;
			memcpy(buf + done, p, n);
			done += n;
			gpa += n;
			left -= n;
		}
	}
	return (ssize_t)done;
}

/**
 * iov_pos_take() - the next contiguous piece of source data
 * @src:	read position, advanced by the bytes taken
 * @max:	most bytes wanted
 * @len:	bytes in the returned piece
 *
 * Return: pointer to the piece, or NULL at the end of the data
 */
static const uint8_t *iov_pos_take(struct iov_pos *src, size_t max,
				   size_t *len)
{
	const uint8_t *p;

	while (src->i < src->cnt && src->off == src->iov[src->i].iov_len) {
		src->i++;
		src->off = 0;
	}
	if (src->i == src->cnt)
		return NULL;
	p = (const uint8_t *)src->iov[src->i].iov_base + src->off;
	*len = MIN(max, src->iov[src->i].iov_len - src->off);
	src->off += *len;
	return p;
}

/**
 * virtq_chain_write() - fill the device-writable buffers of a chain
 * @m:		guest memory, every write marked in its log
 * @chain:	chain
 * @src:	data, consumed as far as the chain holds it
 *
 * Return: bytes written, or -EFAULT if a buffer is not in guest memory
 */
ssize_t virtq_chain_write(struct vu_mem *m, const struct virtq_chain *chain,
			  struct iov_pos *src)
{
	size_t done = 0;
	unsigned int i;

	for (i = 0; i < chain->in_cnt; i++) {
		uint64_t gpa = chain->in[i].gpa, left = chain->in[i].len;

		while (left) {
			uint64_t n = left;
			uint8_t *p = vu_gpa_to_host(m, gpa, &n);
			const uint8_t *data;
			size_t len;

			if (!p)
				return -EFAULT;
			data = iov_pos_take(src, n, &len);
			if (!data)
				return (ssize_t)done;
			memcpy(p, data, len);
			vu_log_write(m, gpa, len);
			done += len;
			gpa += len;
			left -= len;
		}
	}
	return (ssize_t)done;
}

/**
 * virtq_used_add() - fill a used-ring entry, not yet visible to the driver
 * @q:		virtqueue
 * @m:		guest memory
 * @head:	head of the completed chain
 * @len:	bytes written into the chain
 * @pos:	position after the used entries added since the last publish
 */
void virtq_used_add(struct virtq *q, struct vu_mem *m, uint16_t head,
		    uint32_t len, unsigned int pos)
{
	struct vring_used_elem *e;

	e = &q->used->ring[(uint16_t)(q->used_idx + pos) % q->num];
	__atomic_store_n(&e->id, htole32(head), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
	used_log(q, m, e, sizeof(*e));
}

/**
 * virtq_used_publish() - make used entries and their buffers visible
 * @q:		virtqueue
 * @m:		guest memory
 * @n:		number of entries added with virtq_used_add()
 */
void virtq_used_publish(struct virtq *q, struct vu_mem *m, unsigned int n)
{
	/* Buffers and used entries before the index that publishes them */
	smp_wmb();
	q->used_idx += (uint16_t)n;
	store16(&q->used->idx, q->used_idx);
	used_log(q, m, &q->used->idx, sizeof(q->used->idx));
}

/**
 * need_event() - whether the driver's event index lies in (old, new]
 * @event:	index the driver wants to be told about
 * @new:	index now
 * @old:	index at the last notification
 *
 * Return: true if the driver must be notified
 */
static bool need_event(uint16_t event, uint16_t new, uint16_t old)
{
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

/**
 * virtq_notify() - notify the driver of used entries, unless it declined
 * @q:		virtqueue
 */
void virtq_notify(struct virtq *q)
{
	bool notify;

	/* The used index is visible before the driver's wishes are read */
	smp_mb();
	if (q->event_idx) {
		uint16_t old = q->signalled;
		bool valid = q->signalled_valid;

		q->signalled = q->used_idx;
		q->signalled_valid = true;
		notify = !valid ||
			 need_event(load16(&q->avail->ring[q->num]),
				    q->used_idx, old);
	} else {
		notify = !(load16(&q->avail->flags) &
			   VRING_AVAIL_F_NO_INTERRUPT);
	}
	if (notify && q->call_fd >= 0)
		eventfd_write(q->call_fd, 1);
}

/**
 * virtq_kick_enable() - ask the driver to kick for the next available chain
 * @q:		started virtqueue
 * @m:		guest memory
 *
 * Return: true if chains are already available: process them, no kick comes
 */
bool virtq_kick_enable(struct virtq *q, struct vu_mem *m)
{
	if (q->event_idx) {
		uint16_t *avail_event = (uint16_t *)&q->used->ring[q->num];

		store16(avail_event, q->last_avail);
		used_log(q, m, avail_event, sizeof(*avail_event));
	}
	/* avail_event is visible before the index is read again */
	smp_mb();
	return load16(&q->avail->idx) != q->last_avail;
}

/**
 * virtq_drain() - take available chains, pass each on, then give it back
 * @q:		started virtqueue
 * @m:		guest memory
 * @chain:	storage for one chain
 * @fn:		called for each well-formed chain, before it is given back
 *		(its buffers must be copied, not kept)
 * @opaque:	passed to @fn
 *
 * A chain's buffers belong to the device until its used entry is published:
 * from then on the driver may reuse them for its next frame, so @fn copies
 * the data out first. Takes at most one ring's worth, then notifies the
 * driver if it wants.
 *
 * Return: true if chains may be left: the caller comes back later
 */
bool virtq_drain(struct virtq *q, struct vu_mem *m, struct virtq_chain *chain,
		 virtq_chain_fn fn, void *opaque)
{
	unsigned int n, used = 0;
	bool more = false;

	for (n = 0; ; n++) {
		int ret;

		if (n == q->num) {
			more = true;
			break;
		}
		ret = virtq_pop(q, m, chain);
		if (ret == 0 && virtq_kick_enable(q, m))
			continue;
		if (ret == 0)
			break;
		if (ret == -EINVAL) {
			err_ratelimit("virtio: available ring corrupt");
			break;
		}
		if (ret < 0)
			err_ratelimit("virtio: chain %u malformed: %s",
				      chain->head, strerror(-ret));
		else
			fn(opaque, chain);
		virtq_used_add(q, m, chain->head, 0, 0);
		virtq_used_publish(q, m, 1);
		used++;
	}
	if (used)
		virtq_notify(q);
	return more;
}

/**
 * virtq_rx_collect() - take enough device-writable chains for @total bytes
 * @q:		started virtqueue
 * @m:		guest memory
 * @chains:	storage for up to @max chains
 * @max:	most chains one frame may use (1 without mergeable buffers)
 * @total:	bytes to place
 *
 * A malformed chain at the front is given back empty, so that it cannot
 * block the queue; one met later is left for the next frame to find first.
 *
 * Return: number of chains taken, -EAGAIN if the driver offers too little
 *	   room (nothing taken), -EIO if the ring is corrupt
 */
int virtq_rx_collect(struct virtq *q, struct vu_mem *m,
		     struct virtq_chain *chains, unsigned int max, size_t total)
{
	unsigned int n = 0;
	size_t room = 0;

	while (room < total) {
		struct virtq_chain *chain = &chains[n];
		int ret;

		if (n == max) {
			virtq_unpop(q, n);
			return -EAGAIN;
		}
		ret = virtq_pop(q, m, chain);
		if (ret == 0 && virtq_kick_enable(q, m))
			continue;
		if (ret == 0) {
			virtq_unpop(q, n);
			return -EAGAIN;
		}
		if (ret == -EINVAL) {
			virtq_unpop(q, n);
			err_ratelimit("virtio: available ring corrupt");
			return -EIO;
		}
		if (ret < 0 || !chain->in_len) {
			err_ratelimit("virtio: chain %u malformed or read-only",
				      chain->head);
			if (n) {
				virtq_unpop(q, n + 1);
				return -EAGAIN;
			}
			virtq_used_add(q, m, chain->head, 0, 0);
			virtq_used_publish(q, m, 1);
			continue;
		}
		room += chain->in_len;
		n++;
	}
	return (int)n;
}

/**
 * virtq_rx_fill() - write data into collected chains, give them back, notify
 * @q:		started virtqueue
 * @m:		guest memory
 * @chains:	chains from virtq_rx_collect()
 * @n:		number of chains
 * @src:	data, header included
 */
void virtq_rx_fill(struct virtq *q, struct vu_mem *m,
		   const struct virtq_chain *chains, unsigned int n,
		   struct iov_pos *src)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		ssize_t w = virtq_chain_write(m, &chains[i], src);

		if (w < 0) {
			err_ratelimit("virtio: chain %u: buffer outside guest "
				      "memory", chains[i].head);
			w = 0;
		}
		virtq_used_add(q, m, chains[i].head, (uint32_t)w, i);
	}
	virtq_used_publish(q, m, n);
	virtq_notify(q);
}
