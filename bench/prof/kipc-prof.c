// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * kipc-prof: a QEMU TCG plugin that counts the guest instructions executed
 * at every guest address, between two marker instructions the guest runs.
 *
 *   qemu-system-x86_64 -icount shift=1,sleep=off -smp 1 \
 *       -plugin build/prof/kipc-prof.so,out=FILE ...
 *
 * Every translation block gets a counter that an inline add (no call into
 * the plugin) bumps each time the block runs; the block also remembers the
 * address of each of its instructions.  QEMU ends a block at every jump, so
 * a block's instructions all run once per execution; a `rep` string
 * instruction is a block of its own, run once per iteration, which is also
 * how icount counts it.  The counts are therefore the icount clock's own
 * instructions, attributed to addresses.
 *
 * The markers are 7-byte no-ops the guest program executes (kipc-bench -k):
 *
 *   nopl 0x4272706b(%rax)  = 0f 1f 80 'k' 'p' 'r' 'B'   begin an interval
 *   nopl 0x4572706b(%rax)  = 0f 1f 80 'k' 'p' 'r' 'E'   end it
 *
 * (harmless anywhere else).  At a begin marker every counter is set to 0;
 * at an end marker the counts are summed per instruction address and
 * appended to FILE as one interval:
 *
 *   # interval K insns TOTAL
 *   <address, 16 hex digits> <executions>     one line per address, sorted
 *   # end K
 *
 * Intervals are numbered from 1 in the order the guest ends them.  If the
 * guest never begins one, the counts since boot are written at exit as
 * interval 0 ("dump at exit, difference two runs").
 *
 * One vCPU only: the inline adds are not atomic (icount implies one).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <qemu-plugin.h>

QEMU_PLUGIN_EXPORT int qemu_plugin_version = QEMU_PLUGIN_VERSION;

struct block {
	uint64_t count;			/* executions since the last begin */
	size_t n;			/* instructions */
	uint64_t pc[];			/* their guest virtual addresses */
};

static struct block **blocks;
static size_t nblocks, maxblocks;
static const char *out_path;
static unsigned int intervals;
static int began;

enum { MARK_BEGIN = 1, MARK_END = 2 };

/* The marker's bytes, less the last one ('B' or 'E'). */
static const unsigned char marker[6] = { 0x0f, 0x1f, 0x80, 'k', 'p', 'r' };

/* qemu_plugin_outs() is silent without -d plugin: errors go to stderr. */
static void fail(const char *what)
{
	fprintf(stderr, "kipc-prof: %s\n", what);
	exit(1);
}

struct pc_count {
	uint64_t pc, count;
};

static int cmp_pc(const void *a, const void *b)
{
	uint64_t x = ((const struct pc_count *)a)->pc;
	uint64_t y = ((const struct pc_count *)b)->pc;

	return x < y ? -1 : x > y;
}

/* Append the counts since the last begin to the output as interval @k. */
static void dump(unsigned int k)
{
	struct pc_count *v;
	size_t i, j, n = 0, m;
	uint64_t total = 0;
	FILE *f;

	for (i = 0; i < nblocks; i++)
		if (blocks[i]->count)
			n += blocks[i]->n;
	v = malloc((n ? n : 1) * sizeof(*v));
	if (!v)
		fail("out of memory");
	n = 0;
	for (i = 0; i < nblocks; i++) {
		struct block *b = blocks[i];

		if (!b->count)
			continue;
		for (j = 0; j < b->n; j++) {
			v[n].pc = b->pc[j];
			v[n++].count = b->count;
		}
		total += b->count * b->n;
	}
	/* One line per address: retranslated blocks, and blocks that start inside
	 * another (a jump into its middle), repeat some. */
	qsort(v, n, sizeof(*v), cmp_pc);
	for (i = 0, m = 0; i < n; i++) {
		if (m && v[m - 1].pc == v[i].pc)
			v[m - 1].count += v[i].count;
		else
			v[m++] = v[i];
	}
	f = fopen(out_path, "a");
	if (!f)
		fail("cannot open the output file");
	fprintf(f, "# interval %u insns %" PRIu64 "\n", k, total);
	for (i = 0; i < m; i++)
		fprintf(f, "%016" PRIx64 " %" PRIu64 "\n", v[i].pc, v[i].count);
	fprintf(f, "# end %u\n", k);
	if (fclose(f))
		fail("cannot write the output file");
	free(v);
}

static void on_marker(unsigned int vcpu, void *udata)
{
	size_t i;

	if ((uintptr_t)udata == MARK_BEGIN) {
		for (i = 0; i < nblocks; i++)
			blocks[i]->count = 0;
		began = 1;
	} else if (began) {
		dump(++intervals);
		began = 0;
	}
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	size_t i, n = qemu_plugin_tb_n_insns(tb);
	struct block *b = calloc(1, sizeof(*b) + n * sizeof(b->pc[0]));

	if (!b)
		fail("out of memory");
	b->n = n;
	for (i = 0; i < n; i++) {
		struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
		const unsigned char *p = qemu_plugin_insn_data(insn);

		b->pc[i] = qemu_plugin_insn_vaddr(insn);
		if (qemu_plugin_insn_size(insn) == sizeof(marker) + 1 &&
		    !memcmp(p, marker, sizeof(marker)) &&
		    (p[6] == 'B' || p[6] == 'E'))
			qemu_plugin_register_vcpu_insn_exec_cb(insn, on_marker,
				QEMU_PLUGIN_CB_NO_REGS,
				(void *)(uintptr_t)(p[6] == 'B' ? MARK_BEGIN : MARK_END));
	}
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64,
						 &b->count, 1);
	if (nblocks == maxblocks) {
		maxblocks = maxblocks ? 2 * maxblocks : 65536;
		blocks = realloc(blocks, maxblocks * sizeof(*blocks));
		if (!blocks)
			fail("out of memory");
	}
	blocks[nblocks++] = b;
}

static void on_vm_exit(qemu_plugin_id_t id, void *udata)
{
	char msg[128];

	if (!intervals && !began)
		dump(0);
	snprintf(msg, sizeof(msg), "kipc-prof: %u intervals, %zu blocks translated\n",
		 intervals, nblocks);
	qemu_plugin_outs(msg);
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id,
					   const qemu_info_t *info,
					   int argc, char **argv)
{
	FILE *f;
	int i;

	for (i = 0; i < argc; i++) {
		if (!strncmp(argv[i], "out=", 4))
			out_path = argv[i] + 4;
		else {
			fprintf(stderr, "kipc-prof: unknown argument %s (out=FILE)\n", argv[i]);
			return -1;
		}
	}
	if (!out_path) {
		fprintf(stderr, "kipc-prof: out=FILE is required\n");
		return -1;
	}
	if (info->system_emulation && info->system.max_vcpus > 1)
		fprintf(stderr, "kipc-prof: %d vCPUs: counts are inexact (run with -smp 1)\n",
			info->system.max_vcpus);
	/* Start with an empty file: intervals are appended. */
	f = fopen(out_path, "w");
	if (!f || fclose(f)) {
		fprintf(stderr, "kipc-prof: cannot create %s\n", out_path);
		return -1;
	}
	qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
	qemu_plugin_register_atexit_cb(id, on_vm_exit, NULL);
	return 0;
}
