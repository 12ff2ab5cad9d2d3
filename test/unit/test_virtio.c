// SPDX-License-Identifier: GPL-2.0-or-later
/* test_virtio.c - split virtqueues over real shared memory (a memfd) */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "unit.h"
#include "virtio.h"

#define T_PAGE		4096UL
#define T_MEM		(64 * T_PAGE)
#define T_NUM		8
#define T_REGION1_GPA	0x100000000ULL

/* Layout in guest memory: rings in pages 1-3, buffers from page 8 */
#define T_DESC		(1 * T_PAGE)
#define T_AVAIL		(2 * T_PAGE)
#define T_USED		(3 * T_PAGE)
#define T_BUF		(8 * T_PAGE)

/**
 * struct t_guest - a guest memory of two regions and one ring
 * @fd:		memfd
 * @mem:	the test's own mapping of all of it
 * @m:		the daemon-side view (virtio.c)
 * @q:		the ring
 */
struct t_guest {
	int fd;
	uint8_t *mem;
	struct vu_mem m;
	struct virtq q;
};

/**
 * t_guest_init() - map a memfd as two regions, start a ring of T_NUM
 * @g:		guest to set up
 *
 * Return: 0 on success
 */
static int t_guest_init(struct t_guest *g)
{
	memset(g, 0, sizeof(*g));
	g->fd = memfd_create("test_virtio", MFD_CLOEXEC);
	if (g->fd < 0 || ftruncate(g->fd, T_MEM))
		return -1;
	g->mem = mmap(NULL, T_MEM, PROT_READ | PROT_WRITE, MAP_SHARED, g->fd, 0);
	if (g->mem == MAP_FAILED)
		return -1;
	/* Region 0: first half at 0, region 1: second half at 4 GiB */
	if (vu_region_map(&g->m.regions[0], 0, T_MEM / 2, 0x10000000, 0,
			  g->fd, "test") ||
	    vu_region_map(&g->m.regions[1], T_REGION1_GPA, T_MEM / 2,
			  0x10000000 + T_MEM / 2, T_MEM / 2, g->fd, "test"))
		return -1;
	g->m.nregions = 2;
	g->m.log_fd = -1;
	g->q.num = T_NUM;
	g->q.call_fd = -1;
	return virtq_start(&g->q, &g->m, 0x10000000 + T_DESC,
			   0x10000000 + T_AVAIL, 0x10000000 + T_USED);
}

/**
 * t_guest_free() - unmap and close
 * @g:		guest
 */
static void t_guest_free(struct t_guest *g)
{
	vu_mem_unmap(&g->m);
	vu_log_unmap(&g->m);
	munmap(g->mem, T_MEM);
	close(g->fd);
	if (g->q.call_fd >= 0)
		close(g->q.call_fd);
}

/**
 * t_desc() - the test's view of a descriptor
 * @g:		guest
 * @i:		index
 *
 * Return: pointer
 */
static struct vring_desc *t_desc(struct t_guest *g, unsigned int i)
{
	return (struct vring_desc *)(g->mem + T_DESC) + i;
}

/**
 * t_offer() - make a chain head available
 * @g:		guest
 * @head:	descriptor index
 */
static void t_offer(struct t_guest *g, uint16_t head)
{
	struct vring_avail *a = (struct vring_avail *)(g->mem + T_AVAIL);

	a->ring[a->idx % T_NUM] = head;
	a->idx++;
}

TEST(virtio_gpa_translation_follows_regions_and_refuses_outside)
{
	struct t_guest g;
	uint64_t len = 100;

	CHECK(!t_guest_init(&g));
	CHECK(vu_gpa_to_host(&g.m, T_REGION1_GPA + 10, &len) ==
	      g.m.regions[1].host + 10);
	len = T_MEM;
	CHECK(vu_gpa_to_host(&g.m, T_MEM / 2 - 8, &len) && len == 8);
	len = 1;
	CHECK(!vu_gpa_to_host(&g.m, T_MEM / 2, &len));
	CHECK(!vu_uva_to_host(&g.m, 0x10000000 + T_MEM - 8, 16));
	t_guest_free(&g);
}

TEST(virtio_chain_loop_is_refused)
{
	struct t_guest g;
	struct virtq_chain chain;

	CHECK(!t_guest_init(&g));
	*t_desc(&g, 0) = (struct vring_desc){ T_BUF, 64, VRING_DESC_F_NEXT, 1 };
	*t_desc(&g, 1) = (struct vring_desc){ T_BUF, 64, VRING_DESC_F_NEXT, 0 };
	t_offer(&g, 0);
	CHECK(virtq_pop(&g.q, &g.m, &chain) == -EBADMSG);
	CHECK(chain.head == 0);
	t_guest_free(&g);
}

TEST(virtio_next_index_beyond_ring_is_refused)
{
	struct t_guest g;
	struct virtq_chain chain;

	CHECK(!t_guest_init(&g));
	*t_desc(&g, 0) = (struct vring_desc){ T_BUF, 64, VRING_DESC_F_NEXT,
					      T_NUM };
	t_offer(&g, 0);
	CHECK(virtq_pop(&g.q, &g.m, &chain) == -EBADMSG);
	t_guest_free(&g);
}

TEST(virtio_available_index_jump_is_refused)
{
	struct t_guest g;
	struct virtq_chain chain;

	CHECK(!t_guest_init(&g));
	((struct vring_avail *)(g.mem + T_AVAIL))->idx = T_NUM + 1;
	CHECK(virtq_pop(&g.q, &g.m, &chain) == -EINVAL);
	t_guest_free(&g);
}

TEST(virtio_indirect_chain_is_read_in_order)
{
	struct vring_desc *tbl;
	struct t_guest g;
	struct virtq_chain chain;
	uint8_t buf[16];

	CHECK(!t_guest_init(&g));
	tbl = (struct vring_desc *)(g.mem + T_BUF);
	tbl[0] = (struct vring_desc){ T_BUF + 0x100, 3, VRING_DESC_F_NEXT, 1 };
	tbl[1] = (struct vring_desc){ T_BUF + 0x200, 4, 0, 0 };
	memcpy(g.mem + T_BUF + 0x100, "abc", 3);
	memcpy(g.mem + T_BUF + 0x200, "defg", 4);
	*t_desc(&g, 2) = (struct vring_desc){ T_BUF, 2 * sizeof(*tbl),
					      VRING_DESC_F_INDIRECT, 0 };
	t_offer(&g, 2);
	CHECK(virtq_pop(&g.q, &g.m, &chain) == 1);
	CHECK(chain.head == 2 && chain.out_cnt == 2 && chain.out_len == 7);
	CHECK(virtq_chain_read(&g.m, &chain, buf, sizeof(buf)) == 7);
	CHECK(!memcmp(buf, "abcdefg", 7));
	CHECK(virtq_chain_read(&g.m, &chain, buf, 6) == -EMSGSIZE);
	t_guest_free(&g);
}

TEST(virtio_nested_indirect_table_is_refused)
{
	struct vring_desc *tbl;
	struct t_guest g;
	struct virtq_chain chain;

	CHECK(!t_guest_init(&g));
	tbl = (struct vring_desc *)(g.mem + T_BUF);
	tbl[0] = (struct vring_desc){ T_BUF, 16, VRING_DESC_F_INDIRECT, 0 };
	*t_desc(&g, 0) = (struct vring_desc){ T_BUF, 16,
					      VRING_DESC_F_INDIRECT, 0 };
	t_offer(&g, 0);
	CHECK(virtq_pop(&g.q, &g.m, &chain) == -EBADMSG);
	t_guest_free(&g);
}

TEST(virtio_receive_write_marks_exactly_the_pages_written)
{
	struct vring_used *used;
	struct virtq_chain chains[2];
	struct t_guest g;
	uint8_t data[T_PAGE + 100], *log;
	struct iovec iov = { data, sizeof(data) };
	struct iov_pos src = { &iov, 1, 0, 0 };
	unsigned int page, marked = 0;
	int logfd;

	CHECK(!t_guest_init(&g));
	logfd = memfd_create("test_log", MFD_CLOEXEC);
	CHECK(logfd >= 0 && !ftruncate(logfd, T_PAGE));
	CHECK(!vu_log_map(&g.m, logfd, 64, 0, "test"));
	g.m.log_on = true;
	g.q.log_used = true;
	g.q.log_gpa = T_USED;
	memset(data, 0x5a, sizeof(data));

	/* Two one-page buffers, pages 10 and 12 */
	*t_desc(&g, 0) = (struct vring_desc){ 10 * T_PAGE, T_PAGE,
					      VRING_DESC_F_WRITE, 0 };
	*t_desc(&g, 1) = (struct vring_desc){ 12 * T_PAGE, T_PAGE,
					      VRING_DESC_F_WRITE, 0 };
	t_offer(&g, 0);
	t_offer(&g, 1);
	CHECK(virtq_rx_collect(&g.q, &g.m, chains, 2, sizeof(data)) == 2);
	virtq_rx_fill(&g.q, &g.m, chains, 2, &src);

	used = (struct vring_used *)(g.mem + T_USED);
	CHECK(used->idx == 2 && used->ring[1].len == 100);
	CHECK(g.mem[12 * T_PAGE + 99] == 0x5a && !g.mem[12 * T_PAGE + 100]);
	log = g.m.log;
	for (page = 0; page < 64 * 8; page++) {
		bool m = log[page / 8] & (1U << (page % 8));

		marked += m;
		if (page == 3 || page == 10 || page == 12)
			CHECK(m);
	}
	CHECK(marked == 3);
	close(logfd);
	t_guest_free(&g);
}

TEST(virtio_event_index_suppresses_notification)
{
	struct vring_avail *a;
	struct t_guest g;
	uint64_t v;

	CHECK(!t_guest_init(&g));
	g.q.event_idx = true;
	g.q.call_fd = eventfd(0, EFD_NONBLOCK);
	a = (struct vring_avail *)(g.mem + T_AVAIL);

	/* First notification always goes out */
	virtq_used_add(&g.q, &g.m, 0, 0, 0);
	virtq_used_publish(&g.q, &g.m, 1);
	virtq_notify(&g.q);
	CHECK(!eventfd_read(g.q.call_fd, &v));

	/* Driver wants a call only after used index 5 */
	a->ring[T_NUM] = 5;
	virtq_used_add(&g.q, &g.m, 0, 0, 0);
	virtq_used_publish(&g.q, &g.m, 1);
	virtq_notify(&g.q);
	CHECK(eventfd_read(g.q.call_fd, &v) < 0);

	/* ... and when the index passes 5, it gets one */
	virtq_used_add(&g.q, &g.m, 0, 0, 0);
	virtq_used_add(&g.q, &g.m, 0, 0, 1);
	virtq_used_add(&g.q, &g.m, 0, 0, 2);
	virtq_used_add(&g.q, &g.m, 0, 0, 3);
	virtq_used_publish(&g.q, &g.m, 4);
	virtq_notify(&g.q);
	CHECK(!eventfd_read(g.q.call_fd, &v));
	t_guest_free(&g);
}

/* A frame the transmit test sends: 12-byte header, then 52 bytes */
#define T_TX_LEN	64
#define T_TX_FRAMES	3

/**
 * struct t_tx - a driver sending frames, and what the device read of them
 * @g:		guest
 * @reaped:	used entries the driver took back so far
 * @frames:	frames the device read, in order
 * @lens:	their lengths, as virtq_chain_read() returned them
 * @n:		number of frames read
 */
struct t_tx {
	struct t_guest *g;
	uint16_t reaped;
	uint8_t frames[T_TX_FRAMES][T_TX_LEN];
	ssize_t lens[T_TX_FRAMES];
	unsigned int n;
};

/**
 * t_tx_buf() - the test's view of the buffer of a transmit chain
 * @g:		guest
 * @head:	chain head
 *
 * Return: pointer to T_TX_LEN bytes, at guest address T_BUF + head pages
 */
static uint8_t *t_tx_buf(struct t_guest *g, unsigned int head)
{
	return g->mem + T_BUF + head * T_PAGE;
}

/**
 * t_tx_reuse() - what a driver may do at any time: take back every chain
 *		  in the used ring and put the next frame in its buffer
 * @tx:		transmit test state
 */
static void t_tx_reuse(struct t_tx *tx)
{
	struct vring_used *used = (struct vring_used *)(tx->g->mem + T_USED);
	uint16_t idx = __atomic_load_n(&used->idx, __ATOMIC_ACQUIRE);

	for (; tx->reaped != idx; tx->reaped++)
		memset(t_tx_buf(tx->g, used->ring[tx->reaped % T_NUM].id),
		       0xee, T_TX_LEN);
}

/**
 * t_tx_frame() - the device's consumer of a chain, as vhost_user.c has it,
 *		  with the driver reusing buffers just before the copy
 * @opaque:	transmit test state
 * @chain:	chain passed on by virtq_drain()
 */
static void t_tx_frame(void *opaque, const struct virtq_chain *chain)
{
	struct t_tx *tx = opaque;

	t_tx_reuse(tx);
	if (tx->n == T_TX_FRAMES)
		return;
	tx->lens[tx->n] = virtq_chain_read(&tx->g->m, chain, tx->frames[tx->n],
					   T_TX_LEN);
	tx->n++;
}

TEST(virtio_transmit_buffers_are_read_before_they_are_given_back)
{
	static const uint16_t heads[T_TX_FRAMES] = { 0, 1, 3 };
	struct vring_used *used;
	struct virtq_chain chain;
	struct vring_desc *tbl;
	struct t_guest g;
	struct t_tx tx = { .g = &g };
	unsigned int i;

	CHECK(!t_guest_init(&g));
	for (i = 0; i < T_TX_FRAMES; i++)
		memset(t_tx_buf(&g, heads[i]), 0x10 * (i + 1), T_TX_LEN);

	/* The layouts vu_frontend rotates through: one buffer, a chain of
	 * two (header, then frame), and the same as an indirect table
	 */
	*t_desc(&g, 0) = (struct vring_desc){ T_BUF, T_TX_LEN, 0, 0 };
	*t_desc(&g, 1) = (struct vring_desc){ T_BUF + T_PAGE, 12,
					      VRING_DESC_F_NEXT, 2 };
	*t_desc(&g, 2) = (struct vring_desc){ T_BUF + T_PAGE + 12,
					      T_TX_LEN - 12, 0, 0 };
	tbl = (struct vring_desc *)(t_tx_buf(&g, 3) + T_PAGE / 2);
	tbl[0] = (struct vring_desc){ T_BUF + 3 * T_PAGE, 12,
				      VRING_DESC_F_NEXT, 1 };
	tbl[1] = (struct vring_desc){ T_BUF + 3 * T_PAGE + 12, T_TX_LEN - 12,
				      0, 0 };
	*t_desc(&g, 3) = (struct vring_desc){ T_BUF + 3 * T_PAGE + T_PAGE / 2,
					      2 * sizeof(*tbl),
					      VRING_DESC_F_INDIRECT, 0 };
	for (i = 0; i < T_TX_FRAMES; i++)
		t_offer(&g, heads[i]);

	CHECK(!virtq_drain(&g.q, &g.m, &chain, t_tx_frame, &tx));
	CHECK(tx.n == T_TX_FRAMES);
	for (i = 0; i < T_TX_FRAMES; i++) {
		uint8_t want[T_TX_LEN];

		memset(want, 0x10 * (i + 1), sizeof(want));
		CHECK(tx.lens[i] == T_TX_LEN);
		CHECK(!memcmp(tx.frames[i], want, sizeof(want)));
	}

	/* Every chain is given back once read, in order */
	used = (struct vring_used *)(g.mem + T_USED);
	CHECK(used->idx == T_TX_FRAMES);
	for (i = 0; i < T_TX_FRAMES; i++)
		CHECK(used->ring[i].id == heads[i] && !used->ring[i].len);
	t_guest_free(&g);
}
