/* SPDX-License-Identifier: GPL-2.0-or-later
 * virtio.h - split virtqueues in guest memory: descriptor chains, used ring,
 *	      notifications and dirty-page logging
 */
#ifndef VIRTIO_H
#define VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Feature bits (virtio 1.x and vhost) */
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_GUEST_ANNOUNCE	21
#define VHOST_F_LOG_ALL			26
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29
#define VIRTIO_F_VERSION_1		32

/* Descriptor flags */
#define VRING_DESC_F_NEXT		1
#define VRING_DESC_F_WRITE		2
#define VRING_DESC_F_INDIRECT		4

#define VRING_AVAIL_F_NO_INTERRUPT	1

#define VIRTQ_SIZE_MAX		32768
/* Buffers of one descriptor chain the daemon accepts (linear and indirect) */
#define VIRTQ_SEGS_MAX		64
#define VU_REGIONS_MAX		8
#define VU_LOG_PAGE		4096

/**
 * struct vring_desc - one descriptor (little-endian in guest memory)
 * @addr:	guest-physical address of the buffer
 * @len:	buffer length
 * @flags:	VRING_DESC_F_*
 * @next:	index of the next descriptor if VRING_DESC_F_NEXT
 */
struct vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

/**
 * struct vring_avail - the driver's ring of available chain heads
 * @flags:	VRING_AVAIL_F_NO_INTERRUPT
 * @idx:	where the driver puts the next entry (free-running)
 * @ring:	chain heads, then used_event (with EVENT_IDX)
 */
struct vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

/**
 * struct vring_used_elem - one completed chain
 * @id:		head index of the chain
 * @len:	bytes written into the chain's buffers
 */
struct vring_used_elem {
	uint32_t id;
	uint32_t len;
};

/**
 * struct vring_used - the device's ring of completed chains
 * @flags:	unused by this device
 * @idx:	where the device puts the next entry (free-running)
 * @ring:	completed chains, then avail_event (with EVENT_IDX)
 */
struct vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vring_used_elem ring[];
};

/**
 * struct virtio_net_hdr_mrg - virtio-net header (12 bytes: with num_buffers)
 * @flags:	checksum flags, 0: the daemon offers no offload
 * @gso_type:	0: no segmentation offload
 * @hdr_len:	unused
 * @gso_size:	unused
 * @csum_start:	unused
 * @csum_offset: unused
 * @num_buffers: receive buffers this frame spans (mergeable buffers)
 */
struct virtio_net_hdr_mrg {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
} __attribute__((packed));

/* Ring sizes in bytes, for a queue of @n entries */
#define VRING_DESC_SIZE(n)	(16UL * (n))
#define VRING_AVAIL_SIZE(n)	(6UL + 2UL * (n))
#define VRING_USED_SIZE(n)	(6UL + 8UL * (n))

/**
 * struct vu_region - one region of guest memory shared by the front-end
 * @gpa:	guest-physical address of its start
 * @size:	length in bytes
 * @uva:	front-end (QEMU) virtual address of its start
 * @host:	where the daemon mapped its start
 * @map:	start of the whole mapping (from file offset 0)
 * @map_len:	length of the whole mapping
 */
struct vu_region {
	uint64_t gpa;
	uint64_t size;
	uint64_t uva;
	uint8_t *host;
	void *map;
	size_t map_len;
};

/**
 * struct vu_mem - guest memory and its dirty log
 * @regions:	mapped regions
 * @nregions:	number of valid entries in @regions
 * @log:	dirty bitmap, one bit per VU_LOG_PAGE of guest memory, or NULL
 * @log_map:	mapping holding @log (from file offset 0)
 * @log_map_len: length of @log_map
 * @log_size:	bytes in @log
 * @log_on:	VHOST_F_LOG_ALL negotiated: mark every write
 * @log_fd:	eventfd to kick after marking, or -1
 * @log_kick:	pages were marked since the last kick
 * @log_missed:	writes beyond the end of the log (reported, never fatal)
 */
struct vu_mem {
	struct vu_region regions[VU_REGIONS_MAX];
	unsigned int nregions;
	uint8_t *log;
	void *log_map;
	size_t log_map_len;
	size_t log_size;
	bool log_on;
	int log_fd;
	bool log_kick;
	unsigned long log_missed;
};

/**
 * struct virtq - one split virtqueue
 * @num:	ring size (power of two), 0 until set
 * @desc:	descriptor table, mapped
 * @avail:	available ring, mapped
 * @used:	used ring, mapped
 * @last_avail:	next available entry the device will take
 * @used_idx:	next used entry the device will fill
 * @signalled:	used index at the last notification
 * @signalled_valid: @signalled means something (reset on start)
 * @event_idx:	VIRTIO_RING_F_EVENT_IDX negotiated
 * @log_used:	VHOST_VRING_F_LOG: mark used-ring writes at @log_gpa
 * @log_gpa:	guest-physical address of the used ring, for the log
 * @call_fd:	eventfd to notify the driver, or -1
 */
struct virtq {
	uint16_t num;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t last_avail;
	uint16_t used_idx;
	uint16_t signalled;
	bool signalled_valid;
	bool event_idx;
	bool log_used;
	uint64_t log_gpa;
	int call_fd;
};

/**
 * struct virtq_seg - one buffer of a descriptor chain
 * @gpa:	guest-physical address
 * @len:	length
 */
struct virtq_seg {
	uint64_t gpa;
	uint32_t len;
};

/**
 * struct virtq_chain - a descriptor chain taken from the available ring
 * @head:	index of its head descriptor, for the used ring
 * @out:	device-readable buffers, in order
 * @out_cnt:	number of entries in @out
 * @out_len:	bytes in @out
 * @in:		device-writable buffers, in order
 * @in_cnt:	number of entries in @in
 * @in_len:	bytes in @in
 */
struct virtq_chain {
	uint16_t head;
	struct virtq_seg out[VIRTQ_SEGS_MAX];
	unsigned int out_cnt;
	size_t out_len;
	struct virtq_seg in[VIRTQ_SEGS_MAX];
	unsigned int in_cnt;
	size_t in_len;
};

/**
 * struct iov_pos - a read position in a list of buffers
 * @iov:	buffers
 * @cnt:	number of buffers
 * @i:		current buffer
 * @off:	offset in the current buffer
 */
struct iov_pos {
	const struct iovec *iov;
	size_t cnt;
	size_t i;
	size_t off;
};

/**
 * typedef virtq_chain_fn - consumer of one chain taken by virtq_drain()
 * @opaque:	caller's data
 * @chain:	the chain
 */
typedef void (*virtq_chain_fn)(void *opaque, const struct virtq_chain *chain);

int vu_region_map(struct vu_region *out, uint64_t gpa, uint64_t size,
		  uint64_t uva, uint64_t offset, int fd, const char *what);
void vu_mem_unmap(struct vu_mem *m);
int vu_log_map(struct vu_mem *m, int fd, uint64_t size, uint64_t offset,
	       const char *what);
void vu_log_unmap(struct vu_mem *m);
void *vu_gpa_to_host(const struct vu_mem *m, uint64_t gpa, uint64_t *len);
void *vu_uva_to_host(const struct vu_mem *m, uint64_t uva, uint64_t len);
void vu_log_write(struct vu_mem *m, uint64_t gpa, uint64_t len);
void vu_log_kick(struct vu_mem *m);

int virtq_start(struct virtq *q, const struct vu_mem *m, uint64_t desc_uva,
		uint64_t avail_uva, uint64_t used_uva);
int virtq_avail_count(const struct virtq *q);
int virtq_pop(struct virtq *q, const struct vu_mem *m,
	      struct virtq_chain *chain);
void virtq_unpop(struct virtq *q, unsigned int n);
ssize_t virtq_chain_read(const struct vu_mem *m,
			 const struct virtq_chain *chain, uint8_t *buf,
			 size_t size);
ssize_t virtq_chain_write(struct vu_mem *m, const struct virtq_chain *chain,
			  struct iov_pos *src);
void virtq_used_add(struct virtq *q, struct vu_mem *m, uint16_t head,
		    uint32_t len, unsigned int pos);
void virtq_used_publish(struct virtq *q, struct vu_mem *m, unsigned int n);
void virtq_notify(struct virtq *q);
bool virtq_kick_enable(struct virtq *q, struct vu_mem *m);
bool virtq_drain(struct virtq *q, struct vu_mem *m, struct virtq_chain *chain,
		 virtq_chain_fn fn, void *opaque);
int virtq_rx_collect(struct virtq *q, struct vu_mem *m,
		     struct virtq_chain *chains, unsigned int max, size_t total);
void virtq_rx_fill(struct virtq *q, struct vu_mem *m,
		   const struct virtq_chain *chains, unsigned int n,
		   struct iov_pos *src);

#endif /* VIRTIO_H */
